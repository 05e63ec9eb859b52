"""A yes/no question (quitting at the top level)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmScreen(ModalScreen[bool]):
    """Asks `question`; `y`/Enter answers yes, `n`/Esc/`q` no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "是", id="confirm.yes"),
        Binding("n,escape,q", "answer(False)", "否", id="confirm.no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self._question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="dialog"):
            yield Static(Text(self._question, style="bold"))
            yield Static(Text("y 确定    n 取消", style="dim"))

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
