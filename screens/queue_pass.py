"""审核通过 straight from the queue: the confirmation that commits before it closes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from zcreview.domain.corrections import CorrectionNotice
from zcreview.screens.review_items import glyph
from zcreview.screens.review_services import ReviewServices
from zcreview.screens.text import clean, shown
from zcreview.storage.queue import QueueRow
from zcreview.storage.review_results import Decision
from zcreview.storage.transitions import ReviewError


class QueuePassDialog(ModalScreen[Decision | None]):
    """Asks to pass `row`, which the reviewer has just claimed at `version`.

    `y`/Enter commits the pass in a worker and closes only once it is stored (with the
    Decision); `n`/Esc/`q` closes with None and the caller releases the claim. A refusal
    (someone changed it meanwhile) is shown in the dialog, which then only offers `n`.
    """

    DEFAULT_CSS = """
    QueuePassDialog { align: center middle; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "confirm", "通过", id="queue-pass.yes"),
        Binding("n,escape,q", "cancel", "取消", id="queue-pass.no"),
    ]

    @dataclass
    class Done(Message):
        """The pass was stored (`decision`), or refused (`error` says why)."""

        decision: Decision | None
        error: str = ""

    def __init__(
        self,
        services: ReviewServices,
        reviewer: str,
        row: QueueRow,
        version: int,
        *,
        claim_message: str = "",
        flags: int = 0,
        above: CorrectionNotice | None = None,
    ) -> None:
        super().__init__()
        self.services = services
        self.reviewer = reviewer
        self.row = row
        self.version = version
        self.claim_message = claim_message
        self.flags = flags
        self.above = above
        self.error = ""
        self._busy = False

    def compose(self) -> ComposeResult:
        row, a = self.row, self.services.ascii_mode
        glyphs = [glyph(level, a) for level in range(3)]
        question = Text("审核通过：", style="bold")
        # Name and title are applicant data: Text, never markup.
        question.append(shown(clean(row.name), a), style="bold")
        question.append(shown(f"（{clean(row.title)}）", a))
        question.append("？", style="bold")
        found = Text("预审：")
        found.append(f"{glyphs[0]} {row.n_ok}  ", style="green")
        found.append(f"{glyphs[1]} {row.n_warn}  ", style="yellow")
        found.append(f"{glyphs[2]} {row.n_fail}", style="bold red" if row.n_fail else "")
        with Vertical(id="queue-pass-box", classes="dialog"):
            yield Static(question)
            yield Static(found)
            if row.n_fail:
                yield Static(
                    Text(
                        f"有 {row.n_fail} 项不符合（{glyphs[2]}），请确认已核实后再通过",
                        style="bold red",
                    ),
                    id="queue-pass-warning",
                )
            if self.flags:
                yield Static(
                    Text(
                        f"已标记 {self.flags} 项需补正：通过后标记保留，但不会退回申请人",
                        style="bold yellow",
                    ),
                    id="queue-pass-flags",
                )
            if self.above is not None:
                office = shown(clean(self.above.office_name), a) or "上级"
                yield Static(
                    Text(
                        f"{office}退回要求补正 {len(self.above.items)} 项"
                        f"（期限 {self.above.deadline:%Y-%m-%d}）：请确认均已处理后再通过",
                        style="bold red",
                    ),
                    id="queue-pass-above",
                )
            if self.claim_message:
                yield Static(Text(shown(clean(self.claim_message), a), style="dim"))
            yield Static(id="queue-pass-error")
            yield Static(Text("y 通过    n 取消", style="dim"), id="queue-pass-keys")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "confirm":
            return not self._busy and not self.error
        return True

    def action_confirm(self) -> None:
        self._busy = True
        self.refresh_bindings()
        self.query_one("#queue-pass-keys", Static).update(Text("正在保存", style="dim"))
        self._pass(self.row.id, self.version)

    @work(thread=True, exclusive=True, group="queue-pass")
    def _pass(self, app_id: str, version: int) -> None:
        try:
            decision = self.services.desk(self.reviewer).pass_application(app_id, version)
        except ReviewError as exc:
            self.post_message(self.Done(None, str(exc)))
            return
        self.post_message(self.Done(decision))

    def on_queue_pass_dialog_done(self, message: Done) -> None:
        if message.decision is not None:
            self.dismiss(message.decision)
            return
        self._busy = False
        self.error = message.error
        a = self.services.ascii_mode
        self.query_one("#queue-pass-error", Static).update(
            Text(shown(clean(message.error), a), style="bold red")
        )
        self.query_one("#queue-pass-keys", Static).update(Text("n 关闭", style="dim"))
        self.refresh_bindings()

    def action_cancel(self) -> None:
        if not self._busy:
            self.dismiss(None)
