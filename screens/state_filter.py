"""Choose which workflow states the queue shows."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection

from zcreview.domain.workflow import STATE_ORDER


class StateFilterScreen(ModalScreen[frozenset[str] | None]):
    """Space marks states, Enter applies (none marked = every state), Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "apply", "应用", id="states.apply", priority=True),
        Binding("escape,q", "cancel", "取消", id="states.cancel"),
        Binding("j", "down", "下移", show=False),
        Binding("k", "up", "上移", show=False),
    ]

    def __init__(self, selected: frozenset[str]) -> None:
        super().__init__()
        self._selected = selected

    def compose(self) -> ComposeResult:
        with Vertical(id="states-box", classes="dialog"):
            yield Static(Text("按状态筛选（空格选择，回车应用）", style="bold"))
            yield SelectionList[str](
                *[
                    Selection(Text(f"{i}  {s.value}"), s.value, s.value in self._selected)
                    for i, s in enumerate(STATE_ORDER, 1)
                ],
                id="states",
            )

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_down(self) -> None:
        self.query_one(SelectionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(SelectionList).action_cursor_up()

    def action_apply(self) -> None:
        self.dismiss(frozenset(self.query_one(SelectionList).selected))

    def action_cancel(self) -> None:
        self.dismiss(None)
