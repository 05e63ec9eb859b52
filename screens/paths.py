"""路径: this office's requests upward and their state; requests from below to approve or reject."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from zcreview.configfiles import load_config
from zcreview.domain.catalogue import Config
from zcreview.screens.confirm import ConfirmScreen
from zcreview.screens.path_request import PathChoice, PathRequestDialog
from zcreview.screens.reason_dialog import ReasonDialog
from zcreview.screens.sync_runner import SyncEvent
from zcreview.screens.sync_screen import SyncScreen
from zcreview.screens.text import clean
from zcreview.storage.office import get_self
from zcreview.storage.sync_tables import SyncPath
from zcreview.storage.tables import OfficeRow
from zcreview.sync.paths import local_paths
from zcreview.sync.protocol import PathInfo
from zcreview.sync.routes import VIA_LABELS, lower_offices, path_via
from zcreview.sync.service import CycleReport, path_state_text
from zcreview.sync.transport import SyncError


@dataclass(frozen=True)
class PathRow:
    """One path as the table shows it (a copy: rows outlive their session)."""

    path_id: str
    role: str
    series: str
    level: str
    year: int
    other: str
    state: str
    text: str
    via: str = ""
    """"http" or "folder": how the path travels (the lower office's transport for requests
    from below)."""

    @classmethod
    def of(cls, p: SyncPath, this_year: int, via: str = "") -> PathRow:
        other = p.upper_name if p.role == "lower" else p.lower_name
        return cls(
            p.path_id,
            p.role,
            p.series,
            p.level,
            p.year,
            other,
            p.state,
            path_state_text(p, this_year),
            via,
        )

    @property
    def direction(self) -> str:
        if self.role == "lower":
            return "本单位申请"
        return "待我审核" if self.state == "pending" else "下级申请"

    @property
    def to_decide(self) -> bool:
        return self.role == "upper" and self.state == "pending"


class PathsScreen(SyncScreen):
    """The local mirror at once, then the hub's answer (in a worker); offline keeps the mirror."""

    TABLE = "#paths-table"

    HELP = """
## 路径

数据上报只能沿 **已审核通过的路径** 进行（003 §4.7）。一条路径是 本单位 → 上级单位，
对应一个职称系列和一个申报级别；往年开通的路径可直接使用，不必重新申请。

- `n` 路径申请：选择职称系列、申报级别，按名称搜索上级单位（已按路由规则预填建议）；
- `a` 审核通过、`x` 审核不通过（须写明原因）：上级单位审核下级单位的申请；
- `R` 从服务器刷新；离线时显示本地保存的路径；`q` 返回队列。

“方式”一栏说明路径经哪条途径往来：上报服务器，或文件夹（U 盘、共享目录）。下级单位的
申请从哪条途径来，审核结果就从哪条途径答复；下方列出各下级单位及其方式。
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "request", "申请路径", id="paths.request", tooltip="向上级单位申请路径"),
        Binding("a", "approve", "通过", id="paths.approve", tooltip="审核通过下级的路径申请"),
        Binding("x", "reject", "不通过", id="paths.reject", tooltip="审核不通过（须写明原因）"),
        Binding("R", "refresh", "刷新", id="paths.refresh", tooltip="从服务器刷新路径"),
    ]

    AUTO_FOCUS = "#paths-table"

    @dataclass
    class _Loaded(Message):
        rows: list[PathRow]
        note: str
        config: Config | None = None
        me: OfficeRow | None = None
        lower: str = ""

    @dataclass
    class _Done(Message):
        text: str
        error: bool = False
        rows: list[PathRow] = field(default_factory=list)

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[PathRow] = []
        self.note = ""
        self.config: Config | None = None
        self.me: OfficeRow | None = None
        self.lower = ""
        """The lower offices served and the transport each uses, one line."""
        self._busy = False

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield DataTable(cursor_type="row", zebra_stripes=False, id="paths-table")
        yield Static(id="paths-detail")
        yield Static(id="paths-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # The state next to the direction: at 80 columns the office name is what gets cut.
        table.add_columns("方向", "状态", "方式", "系列·级别", "年度", "对方单位")
        self.title = "路径"
        self.syncing.sync_signal.subscribe(self, self._synced)
        self._load(refresh=self.syncing.sync_service.enabled)

    def _synced(self, event: SyncEvent) -> None:
        if isinstance(event, CycleReport):
            self._load(refresh=False)

    # ----- loading ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="paths-load", exit_on_error=False)
    def _load(self, refresh: bool) -> None:
        config = self.config or load_config()
        rows, me, lower = self._read()
        if not self.syncing.sync_service.enabled:
            note = "未配置同步（settings.toml 无 [sync]）：只显示本地保存的路径"
            self.post_message(self._Loaded(rows, note, config, me, lower))
            return
        if not refresh:
            self.post_message(self._Loaded(rows, "", config, me, lower))
            return
        self.post_message(self._Loaded(rows, "正在从服务器刷新…", config, me, lower))
        try:
            self.syncing.sync_service.refresh_paths()
        except SyncError as exc:
            note = f"离线：显示本地保存的路径（{exc}）"
            self.post_message(self._Loaded(rows, note, config, me, lower))
            return
        rows, me, lower = self._read()
        self.post_message(self._Loaded(rows, "已从服务器刷新", config, me, lower))

    def _read(self) -> tuple[list[PathRow], OfficeRow | None, str]:
        """The local mirror with each path's transport, this office, and its lower offices."""
        this_year = date.today().year
        with self.syncing.store.session() as s:
            rows = [PathRow.of(p, this_year, path_via(s, p)) for p in local_paths(s)]
            lower = "、".join(o.label for o in lower_offices(s))
            return rows, get_self(session=s), f"下级单位：{lower}" if lower else ""

    def on_paths_screen__loaded(self, message: _Loaded) -> None:
        self.config = message.config or self.config
        self.me = message.me or self.me
        self.note = message.note
        self.lower = message.lower
        self._show(message.rows)

    def _show(self, rows: list[PathRow]) -> None:
        table = self.query_one(DataTable)
        keep = table.cursor_row
        self.rows = rows
        table.clear()
        for r in rows:
            # Office names come from other offices: Text, never markup.
            table.add_row(
                Text(r.direction, style="bold" if r.to_decide else ""),
                Text(clean(r.text), style=_STATE_STYLES.get(r.state, "")),
                Text(VIA_LABELS.get(r.via, r.via)),
                Text(f"{clean(r.series)}·{clean(r.level)}"),
                Text(str(r.year)),
                Text(clean(r.other)),
                key=r.path_id,
            )
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1))
        self._show_detail()
        self.refresh_bindings()

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()
        self.refresh_bindings()

    def _current(self) -> PathRow | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def _show_detail(self) -> None:
        row = self._current()
        detail = Text()
        if row is None:
            detail.append("还没有路径。按 n 向上级单位申请路径（上级审核通过后才能数据上报）。")
        else:
            who = "本单位 → " if row.role == "lower" else ""
            detail.append(f"{row.direction}：{who}{clean(row.other)}", style="bold")
            detail.append(f"  {clean(row.series)}·{clean(row.level)} {row.year}年  ")
            detail.append(clean(row.text))
            if row.via:
                detail.append(f"  经{VIA_LABELS.get(row.via, row.via)}", style="dim")
        self.query_one("#paths-detail", Static).update(detail)
        status = "\n".join(line for line in (clean(self.lower), self.note) if line)
        self.query_one("#paths-status", Static).update(Text(status, style="dim"))

    # ----- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("approve", "reject"):
            row = self._current()
            return row is not None and row.to_decide and not self._busy
        if action == "request":
            return self.config is not None and not self._busy
        return True

    def action_refresh(self) -> None:
        self._load(refresh=True)

    def action_request(self) -> None:
        assert self.config is not None
        approved = {
            (r.series, r.level): r.year
            for r in sorted(self.rows, key=lambda r: -r.year)
            if r.role == "lower" and r.state == "approved"
        }
        service = self.syncing.sync_service
        if not service.enabled:
            self.notify(
                "未配置同步，不能申请路径：在 settings.toml 中加入 [sync]",
                severity="warning",
                markup=False,
            )
            return
        dialog = PathRequestDialog(self.config, self.me, service, approved, date.today().year)
        self.app.push_screen(dialog, self._requested)

    def _requested(self, choice: PathChoice | None) -> None:
        if choice is not None:
            self._busy = True
            self._send_request(choice)

    @work(thread=True, group="paths-write", exit_on_error=False)
    def _send_request(self, choice: PathChoice) -> None:
        try:
            info = self.syncing.sync_service.request_path(
                choice.series, choice.level, choice.upper, choice.year
            )
        except SyncError as exc:
            self.post_message(self._Done(f"路径申请未能提交：{exc}", error=True))
            return
        self.post_message(self._Done(_answer(info)))

    def action_approve(self) -> None:
        row = self._current()
        if row is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._busy = True
                self._decide(row.path_id, True, "")

        question = f"审核通过 {row.other} 的“{row.series}·{row.level}”路径申请？"
        self.app.push_screen(ConfirmScreen(clean(question)), answered)

    def action_reject(self) -> None:
        row = self._current()
        if row is None:
            return

        def answered(reason: str | None) -> None:
            if reason:
                self._busy = True
                self._decide(row.path_id, False, reason)

        question = f"审核不通过 {row.other} 的“{row.series}·{row.level}”路径申请"
        self.app.push_screen(ReasonDialog(clean(question)), answered)

    @work(thread=True, group="paths-write", exit_on_error=False)
    def _decide(self, path_id: str, approve: bool, reason: str) -> None:
        try:
            info = self.syncing.sync_service.decide_path(path_id, approve, reason)
        except SyncError as exc:
            self.post_message(self._Done(f"未能提交审核结果：{exc}", error=True))
            return
        verdict = "审核通过" if info.state == "approved" else f"审核不通过（{info.reason}）"
        self.post_message(self._Done(f"{info.lower_office.name} 的路径申请：{verdict}"))

    def on_paths_screen__done(self, message: _Done) -> None:
        self._busy = False
        self.notify(
            message.text,
            title="路径",
            severity="error" if message.error else "information",
            timeout=12 if message.error else 6,
            markup=False,
        )
        self._load(refresh=False)


_STATE_STYLES = {"pending": "yellow", "approved": "green", "rejected": "bold red"}


def _answer(info: PathInfo) -> str:
    if info.state == "approved":
        done = "沿用往年已通过的路径，可直接数据上报" if info.reused else "已审核通过"
    elif info.state == "rejected":
        done = f"已被退回：{info.reason}"
    else:
        done = "已提交，等待上级单位审核"
    return f"路径 {info.series}·{info.level} → {info.upper_office.name}：{done}"
