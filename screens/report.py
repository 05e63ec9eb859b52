"""数据上报: choose a 年度/级别/系列, mark passed applications, seal a batch and watch it go."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, ProgressBar, Select, Static

from zcreview.screens.confirm import ConfirmScreen
from zcreview.screens.report_texts import PathState, path_text, scope_key
from zcreview.screens.report_watch import BatchWatch
from zcreview.screens.sync_runner import SyncEvent
from zcreview.screens.text import clean, clean_block, human_size
from zcreview.screens.workstation import workstation
from zcreview.sync.delivery import BatchProgress
from zcreview.sync.outbox import SealError, approved_path, batch_state, path_pending, seal_batch
from zcreview.sync.service import (
    CycleReport,
    ReceiptLine,
    Reportable,
    Scope,
    blob_sizes,
    receipt_lines,
    reportable,
    scopes,
)
from zcreview.sync.transport import SyncError

MARK = "[x]"
NO_MARK = "[ ]"


class ReportScreen(BatchWatch):
    """Owns the marks; the list shows them. Watching the sealed batch is `BatchWatch`'s job."""

    SCREEN_NAME = "report"

    TABLE = "#report-apps"

    HELP = """
## 数据上报

按 **年度 / 申报级别 / 职称系列** 选择“通过未上报”的申报，上报给路径的上级单位（004 §5）。

- 上方选择范围；`空格` 选中/取消当前申报并移到下一份，`A` 全选，`I` 反选；
- `s` 封存并上报：确认件数和附件大小后封存批次，随即发送（进度条显示已发送、速率和剩余时间），
  送达后逐份显示回执：接收，或拒收及原因（拒收的申报回到本列表，备注中写明原因）；
- 没有已审核通过的路径时不能上报：按 `P` 打开“路径”申请；
- `o` 发件箱：每个批次的状态、字节数和重试；`q` 返回队列。
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "space", "toggle_mark", "选中", id="report.toggle", tooltip="选中/取消并移到下一份"
        ),
        Binding("A", "select_all", "全选", id="report.all"),
        Binding("I", "invert", "反选", id="report.invert"),
        Binding("s", "seal", "封存上报", id="report.seal", tooltip="封存所选申报为批次并上报"),
        Binding("o", "outbox", "发件箱", id="report.outbox", tooltip="所有批次及其状态"),
    ]

    AUTO_FOCUS = "#report-apps"

    @dataclass
    class _Loaded(Message):
        scopes: list[Scope]
        scope: Scope | None
        apps: list[Reportable]
        path: PathState
        receipts: list[ReceiptLine] = field(default_factory=list)
        batch_state: str = ""
        batch_error: str = ""

    @dataclass
    class _Sealed(Message):
        batch_id: str | None
        error: str = ""

    def __init__(self, scope: str | None = None, marked: frozenset[str] = frozenset()) -> None:
        """`scope` (`year|level|series`) and `marked`: open on the rows marked in the queue."""
        super().__init__()
        self.scopes: list[Scope] = []
        self.scope: Scope | None = None
        self.apps: list[Reportable] = []
        self.marked: set[str] = set(marked)
        self._wanted = scope
        self.path = PathState()
        self._busy = False

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield Select[str]([], prompt="年度 · 级别 · 系列", compact=True, id="report-scope")
        yield Static(id="report-path")
        yield DataTable(cursor_type="row", id="report-apps")
        yield Static(id="report-selection")
        yield ProgressBar(show_eta=False, id="report-progress")
        yield Static(id="report-rate")
        yield DataTable(cursor_type="row", id="report-receipts")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "数据上报"
        self.query_one("#report-apps", DataTable).add_columns(
            "选", "姓名", "单位", "职称", "附件", "备注"
        )
        self.query_one("#report-receipts", DataTable).add_columns("回执", "姓名", "单位", "原因")
        self.syncing.signal.subscribe(self, self._synced)
        self.set_interval(1.0, self._stall_check)
        self._load(self._wanted)

    # ----- loading ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="report-load", exit_on_error=False)
    def _load(self, wanted: str | None) -> None:
        watching = self.watching
        with self.syncing.store.session() as s:
            found = scopes(s)
            scope = next((x for x in found if scope_key(x) == wanted), None)
            if scope is None and wanted:
                year, level, series = wanted.split("|", 2)
                scope = Scope(int(year), level, series, 0)
            scope = scope or (found[0] if found else None)
            apps: list[Reportable] = []
            path = PathState()
            if scope is not None:
                apps = reportable(s, scope.year, scope.level, scope.series)
                approved = approved_path(s, scope.series, scope.level)
                if approved is not None:
                    path = PathState(approved.upper_name, approved.year)
                else:
                    path = PathState(pending=path_pending(s, scope.series, scope.level))
            receipts: list[ReceiptLine] = []
            state = error = ""
            if watching is not None:
                receipts = receipt_lines(s, watching)
                state, error = batch_state(s, watching) or ("", "")
        self.post_message(self._Loaded(found, scope, apps, path, receipts, state, error))

    def on_report_screen__loaded(self, message: _Loaded) -> None:
        self.scopes, self.scope, self.path = message.scopes, message.scope, message.path
        self.apps = message.apps
        selectable = {a.application_id for a in self.apps if a.batch is None}
        self.marked &= selectable
        self._show_scopes()
        self._show_path()
        self._show_apps()
        if self.watching is not None:
            self._show_receipts(message.receipts, message.batch_state, message.batch_error)
        self.refresh_bindings()

    def _show_scopes(self) -> None:
        select = self.query_one("#report-scope", Select)
        options = [
            (f"{s.year}年度 · {clean(s.level)} · {clean(s.series)}（{s.count} 份）", scope_key(s))
            for s in self.scopes
        ]
        current = scope_key(self.scope) if self.scope is not None else None
        if current is not None and current not in {k for _, k in options}:
            assert self.scope is not None
            options.insert(
                0,
                (
                    f"{self.scope.year}年度 · {self.scope.level} · {self.scope.series}（0 份）",
                    current,
                ),
            )
        with select.prevent(Select.Changed):
            select.set_options(options)
            if current is not None:
                select.value = current

    def _show_path(self) -> None:
        self.query_one("#report-path", Static).update(path_text(self.scope, self.path))

    def _show_apps(self) -> None:
        table = self.query_one("#report-apps", DataTable)
        keep = table.cursor_row
        table.clear()
        for a in self.apps:
            note = Text()
            if a.batch is not None:
                note.append(f"已在批次 {a.batch[:8]} 中", style="dim")
            elif a.refused:
                note.append(f"上次被拒收：{clean(a.refused)}", style="bold red")
            # Applicant text: Text cells, never markup.
            table.add_row(
                Text(MARK if a.application_id in self.marked else NO_MARK),
                Text(clean(a.name)),
                Text(clean(a.unit)),
                Text(clean(a.title)),
                Text(human_size(a.size), justify="right"),
                note,
                key=a.application_id,
            )
        if self.apps:
            table.move_cursor(row=min(max(keep, 0), len(self.apps) - 1))
        self._show_selection()

    def _show_selection(self) -> None:
        chosen = [a for a in self.apps if a.application_id in self.marked]
        line = Text(f"已选 {len(chosen)} / {len(self.apps)} 份")
        if chosen:
            line.append(f" · 附件约 {human_size(sum(a.size for a in chosen))}")
        line.append("    空格 选中  A 全选  I 反选  s 封存上报", style="dim")
        self.query_one("#report-selection", Static).update(line)

    def _synced(self, event: SyncEvent) -> None:
        if isinstance(event, BatchProgress):
            if event.batch_id == self.watching:
                self._show_progress(event)
        elif isinstance(event, CycleReport):
            if self.watching is not None and event.error:
                self._failed = True
                self._set_rate(Text(self._not_sent(clean(event.error)), style="bold red"))
            self._load(scope_key(self.scope) if self.scope else None)

    # ----- marks --------------------------------------------------------------------------

    def _current(self) -> Reportable | None:
        table = self.query_one("#report-apps", DataTable)
        row = table.cursor_row
        return self.apps[row] if self.apps and 0 <= row < len(self.apps) else None

    def _set_mark(self, app: Reportable, on_: bool) -> None:
        if app.batch is not None:
            return
        if on_:
            self.marked.add(app.application_id)
        else:
            self.marked.discard(app.application_id)
        table = self.query_one("#report-apps", DataTable)
        table.update_cell(
            app.application_id, table.ordered_columns[0].key, Text(MARK if on_ else NO_MARK)
        )

    def action_toggle_mark(self) -> None:
        app = self._current()
        if app is None:
            return
        self._set_mark(app, app.application_id not in self.marked)
        self.action_cursor(1)
        self._show_selection()

    def action_select_all(self) -> None:
        for a in self.apps:
            self._set_mark(a, True)
        self._show_selection()

    def action_invert(self) -> None:
        for a in self.apps:
            self._set_mark(a, a.application_id not in self.marked)
        self._show_selection()

    @on(Select.Changed, "#report-scope")
    def _scope_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and (
            self.scope is None or event.value != scope_key(self.scope)
        ):
            self.marked.clear()
            self._load(event.value)
            self.query_one("#report-apps", DataTable).focus()

    # ----- sealing ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "seal":
            return (bool(self.marked) and not self._busy) or None
        return True

    def action_seal(self) -> None:
        scope = self.scope
        if scope is None or not self.marked:
            return
        if not self.path.upper:
            self.notify(
                f"没有“{scope.series}·{scope.level}”的已审核通过路径，不能上报。"
                "请按 P 打开“路径”申请，上级单位审核通过后再上报。",
                title="不能上报",
                severity="error",
                timeout=15,
                markup=False,
            )
            return
        reviewer = getattr(self.app, "reviewer", None)
        if not reviewer:
            self.notify(
                "数据上报须由实名审核人操作，请先选择审核人", severity="error", markup=False
            )
            return
        ids = [a.application_id for a in self.apps if a.application_id in self.marked]
        self._confirm(ids, scope, reviewer)

    @work(thread=True, exclusive=True, group="report-size", exit_on_error=False)
    def _confirm(self, ids: list[str], scope: Scope, reviewer: str) -> None:
        with self.syncing.store.session() as s:
            size = sum(blob_sizes(s, ids).values())
        question = (
            f"封存并上报 {len(ids)} 份申报（附件 {human_size(size)}）\n"
            f"{scope.year}年度 {scope.level} {scope.series} → {self.path.upper}？"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._busy = True
                self.refresh_bindings()
                self._seal(ids, scope, reviewer)

        self.app.call_from_thread(
            self.app.push_screen, ConfirmScreen(clean_block(question)), answered
        )

    @work(thread=True, group="report-seal", exit_on_error=False)
    def _seal(self, ids: list[str], scope: Scope, reviewer: str) -> None:
        store = self.syncing.store
        try:
            with store.session() as s:
                batch_id = seal_batch(
                    s, ids, scope.year, scope.level, scope.series, reviewer, blobs=store.blobs
                )
                s.commit()
        except (SealError, SyncError) as exc:
            self.post_message(self._Sealed(None, str(exc)))
            return
        self.post_message(self._Sealed(batch_id))

    def on_report_screen__sealed(self, message: _Sealed) -> None:
        self._busy = False
        if message.batch_id is None:
            self.notify(message.error, title="未能封存", severity="error", timeout=15, markup=False)
            self.refresh_bindings()
            return
        self.watching = message.batch_id
        self.marked.clear()
        self._set_rate(Text(f"批次 {message.batch_id[:8]} 已封存，正在发送…"))
        self.query_one("#report-progress", ProgressBar).display = True
        if self.syncing.service.enabled:
            self.syncing.drive_batch(message.batch_id)
        else:
            self._set_rate(
                Text(f"批次 {message.batch_id[:8]} 已封存。未配置同步（[sync]），配置后发送。")
            )
        self._load(scope_key(self.scope) if self.scope else None)

    # ----- navigation ---------------------------------------------------------------------

    def action_outbox(self) -> None:
        workstation(self.app).open_screen("outbox")
