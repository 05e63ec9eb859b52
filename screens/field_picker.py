"""Pick a field, row or attachment of the application by typing part of its name (fuzzy)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from zcreview.screens.text import clean, fit


def step_options(options: OptionList, step: int) -> None:
    """Move an option list's highlight while the focus stays in the filter input."""
    if step > 0:
        options.action_cursor_down()
    else:
        options.action_cursor_up()


class FieldPicker(ModalScreen[str | None]):
    """Choices are (path, label, value); dismisses with the chosen path, or None."""

    DEFAULT_CSS = """
    FieldPicker { align: center middle; }
    FieldPicker #picker-box { width: 76; max-width: 96%; }
    FieldPicker #picker-options { height: auto; max-height: 14; margin: 0; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "取消", id="field-picker.cancel"),
        Binding("down", "move(1)", "下一个", show=False),
        Binding("up", "move(-1)", "上一个", show=False),
    ]

    AUTO_FOCUS = "#picker-filter"

    def __init__(
        self, choices: Sequence[tuple[str, str, str]], title: str = "添加补正条目"
    ) -> None:
        super().__init__()
        self._choices = list(choices)
        self._title = title
        self._shown: list[tuple[str, str, str]] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-box", classes="dialog"):
            yield Static(Text(self._title, style="bold"))
            yield Input(placeholder="输入条目名称筛选", id="picker-filter")
            options = OptionList(id="picker-options")
            options.can_focus = False
            yield options
            yield Static(Text("回车选择  Esc 取消", style="dim"))

    def on_mount(self) -> None:
        self._refill("")

    def _refill(self, query: str) -> None:
        query = query.strip()
        if query:
            matcher = Matcher(query)
            scored = [(matcher.match(f"{c[1]} {c[2]}"), c) for c in self._choices]
            self._shown = [c for s, c in sorted(scored, key=lambda p: -p[0]) if s > 0]
        else:
            self._shown = list(self._choices)
        options = self.query_one("#picker-options", OptionList)
        options.set_options(
            Option(Text(fit(clean(label), 40) + "  " + clean(value)[:30]), id=str(i))
            for i, (_, label, value) in enumerate(self._shown)
        )
        if self._shown:
            options.highlighted = 0

    @on(Input.Changed)
    def _filter(self, event: Input.Changed) -> None:
        self._refill(event.value)

    @on(Input.Submitted)
    @on(OptionList.OptionSelected)
    def _choose(self) -> None:
        index = self.query_one("#picker-options", OptionList).highlighted
        if index is None or not 0 <= index < len(self._shown):
            return
        self.dismiss(self._shown[index][0])

    def action_move(self, step: int) -> None:
        step_options(self.query_one("#picker-options", OptionList), step)

    def action_cancel(self) -> None:
        self.dismiss(None)
