"""Who is reviewing? Asked when several reviewers are registered and none was named."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from zcreview.screens.text import clean


class ReviewerPicker(ModalScreen[str | None]):
    """A list of the registered reviewers; Enter picks one, Esc continues read-only."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "read_only", "只读浏览", id="picker.read-only"),
        Binding("j", "down", "下移", show=False),
        Binding("k", "up", "上移", show=False),
    ]

    def __init__(self, names: list[str], note: str = "") -> None:
        super().__init__()
        self._names = names
        self._note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-box", classes="dialog"):
            yield Static(Text("请选择审核人（实名制）", style="bold"))
            if self._note:
                yield Static(Text(self._note))
            # Names are data typed by an administrator: Text, never markup.
            yield OptionList(
                *[Option(Text(clean(n)), id=str(i)) for i, n in enumerate(self._names)],
                id="reviewers",
            )
            yield Static(Text("回车确定    Esc 只读浏览", style="dim"))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        assert event.option.id is not None
        self.dismiss(self._names[int(event.option.id)])

    def action_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_read_only(self) -> None:
        self.dismiss(None)
