"""发件箱: every 数据上报 batch with its state, bytes and retries; resume one, see its receipt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from zcreview.domain.corrections import to_local
from zcreview.screens.sync_runner import SyncEvent
from zcreview.screens.sync_screen import SyncScreen
from zcreview.screens.text import clean, human_size
from zcreview.sync.delivery import BatchProgress
from zcreview.sync.outbox import DONE_STATES, STATE_LABELS, batches
from zcreview.sync.routes import VIA_LABELS, batch_via, lower_offices
from zcreview.sync.service import CycleReport, ReceiptLine, receipt_lines


@dataclass(frozen=True)
class BatchRow:
    batch_id: str
    scope: str
    to_name: str
    state: str
    bytes_sent: int
    bytes_total: int
    error: str
    when: str
    via: str = ""
    """"http" or "folder": how the batch went upward."""

    @property
    def done(self) -> bool:
        return self.state in DONE_STATES


class OutboxScreen(SyncScreen):
    """Batches newest first; the receipt of the highlighted one below."""

    SCREEN_NAME = "outbox"

    TABLE = "#outbox-table"

    HELP = """
## 发件箱

每个数据上报批次：状态（已封存 → 已提交清单 → 上传附件中 → 确认中 → 已送达 / 部分被拒）、
已发送字节、最近一次错误。未送达的批次在后台同步时自动续传（断点续传，不重复发送）。

- `r` 立即续传所选批次；`$` 同步全部；
- 下方列出所选批次每份申报的回执：接收，或拒收及原因；`q` 返回。

“方式”一栏是批次的上报途径：上报服务器，或文件夹（U 盘，加密给接收单位）。
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "resume", "续传", id="outbox.resume", tooltip="立即续传所选批次"),
    ]

    AUTO_FOCUS = "#outbox-table"

    @dataclass
    class _Loaded(Message):
        rows: list[BatchRow]
        lower: str = ""

    @dataclass
    class _Receipts(Message):
        batch_id: str
        lines: list[ReceiptLine]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[BatchRow] = []
        self.lower = ""
        """The lower offices served and the transport each uses, one line."""

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield DataTable(cursor_type="row", id="outbox-table")
        yield Static(id="outbox-detail")
        yield DataTable(cursor_type="none", id="outbox-receipts")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "发件箱"
        self.query_one("#outbox-table", DataTable).add_columns(
            # State and bytes first: at 80 columns the long names are what gets cut.
            "批次",
            "状态",
            "已发送",
            "年度·级别·系列",
            "封存时间",
            "方式",
            "接收单位",
        )
        self.query_one("#outbox-receipts", DataTable).add_columns("回执", "姓名", "单位", "原因")
        self.syncing.signal.subscribe(self, self._synced)
        self._load()

    def _synced(self, event: SyncEvent) -> None:
        if isinstance(event, CycleReport):
            self._load()
        elif isinstance(event, BatchProgress):
            self._progress(event)

    @work(thread=True, exclusive=True, group="outbox-load", exit_on_error=False)
    def _load(self) -> None:
        with self.syncing.store.session() as s:
            rows = [
                BatchRow(
                    b.batch_id,
                    f"{b.year} {b.level} {b.series}",
                    b.to_name,
                    b.state,
                    b.bytes_sent,
                    b.bytes_total,
                    b.last_error,
                    f"{to_local(b.created_at):%m-%d %H:%M}",
                    batch_via(s, b.batch_id),
                )
                for b in batches(s)
            ]
            lower = "、".join(o.label for o in lower_offices(s))
        self.post_message(self._Loaded(rows, f"下级单位：{lower}" if lower else ""))

    def on_outbox_screen__loaded(self, message: _Loaded) -> None:
        table = self.query_one("#outbox-table", DataTable)
        keep = table.cursor_row
        self.rows = message.rows
        self.lower = message.lower
        table.clear()
        for r in self.rows:
            table.add_row(*self._cells(r), key=r.batch_id)
        if self.rows:
            table.move_cursor(row=min(max(keep, 0), len(self.rows) - 1))
        self._selected()

    def _cells(self, r: BatchRow) -> list[Text]:
        style = "green" if r.state == "acknowledged" else "bold red" if r.done else "yellow"
        return [
            Text(r.batch_id[:8]),
            Text(STATE_LABELS.get(r.state, r.state), style=style),
            Text(f"{human_size(r.bytes_sent)}/{human_size(r.bytes_total)}"),
            Text(clean(r.scope)),
            Text(r.when),
            Text(VIA_LABELS.get(r.via, r.via)),
            Text(clean(r.to_name)),
        ]

    def _progress(self, p: BatchProgress) -> None:
        for i, r in enumerate(self.rows):
            if r.batch_id == p.batch_id:
                row = BatchRow(
                    r.batch_id,
                    r.scope,
                    r.to_name,
                    p.state,
                    p.bytes_sent,
                    p.bytes_total,
                    "",
                    r.when,
                    r.via,
                )
                self.rows[i] = row
                table = self.query_one("#outbox-table", DataTable)
                for col, cell in zip(table.ordered_columns, self._cells(row), strict=True):
                    table.update_cell(r.batch_id, col.key, cell)

    def _current(self) -> BatchRow | None:
        row = self.query_one("#outbox-table", DataTable).cursor_row
        return self.rows[row] if self.rows and 0 <= row < len(self.rows) else None

    @on(DataTable.RowHighlighted, "#outbox-table")
    def _selected(self) -> None:
        self.refresh_bindings()
        r = self._current()
        detail = Text()
        if r is None:
            detail.append("还没有上报批次。在“数据上报”中选择申报并封存（s）。")
        else:
            detail.append(f"批次 {r.batch_id}  ", style="bold")
            detail.append(STATE_LABELS.get(r.state, r.state))
            detail.append(f"  经{VIA_LABELS.get(r.via, r.via)}", style="dim")
            if r.error:
                detail.append(
                    f"  最近一次错误：{clean(r.error)}（后台同步时自动重试）", style="red"
                )
            self._receipts(r.batch_id)
        if self.lower:
            detail.append("\n" + clean(self.lower), style="dim")
        self.query_one("#outbox-detail", Static).update(detail)

    @work(thread=True, exclusive=True, group="outbox-receipts", exit_on_error=False)
    def _receipts(self, batch_id: str) -> None:
        with self.syncing.store.session() as s:
            lines = receipt_lines(s, batch_id)
        self.post_message(self._Receipts(batch_id, lines))

    def on_outbox_screen__receipts(self, message: _Receipts) -> None:
        table = self.query_one("#outbox-receipts", DataTable)
        table.clear()
        for r in message.lines:
            verdict = {"accepted": ("接收", "green"), "rejected": ("拒收", "bold red")}.get(
                r.outcome, ("待回执", "dim")
            )
            table.add_row(
                Text(verdict[0], style=verdict[1]),
                Text(clean(r.name)),
                Text(clean(r.unit)),
                Text(clean("；".join(r.reasons))),
            )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resume":
            r = self._current()
            return r is not None and not r.done and self.syncing.service.enabled
        return True

    def action_resume(self) -> None:
        r = self._current()
        if r is not None:
            self.syncing.drive_batch(r.batch_id)
            self.notify(f"批次 {r.batch_id[:8]} 续传中", markup=False)
