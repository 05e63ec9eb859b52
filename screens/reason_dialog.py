"""Ask for a reason that may not be left empty (路径审核不通过)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class ReasonDialog(ModalScreen[str | None]):
    """A one-line reason; Enter confirms (refused while empty), Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "取消", id="reason.cancel"),
    ]

    def __init__(self, question: str, *, placeholder: str = "原因（必填）") -> None:
        super().__init__()
        self._question = question
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="reason-box", classes="dialog"):
            yield Static(Text(self._question, style="bold"))
            yield Input(placeholder=self._placeholder, compact=True, id="reason-input")
            yield Static(Text("回车确定    Esc 取消", style="dim"), id="reason-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        reason = event.value.strip()
        if not reason:
            self.query_one("#reason-hint", Static).update(
                Text("须写明原因，下级单位会看到它", style="bold red")
            )
            return
        self.dismiss(reason)

    def action_cancel(self) -> None:
        self.dismiss(None)
