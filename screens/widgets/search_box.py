"""The incremental search line: reports what to search for after a pause in typing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input

DEBOUNCE = 0.25
"""Seconds of quiet typing before a search is sent: one query per pause, not per key."""


class SearchBox(Input):
    """An Input that sends `Search` (debounced), `Done` on Enter and `Cancelled` on Esc."""

    HELP = "### 搜索框"

    DEFAULT_CSS = """
    SearchBox {
        border: none;
        height: 1;
        padding: 0 1;
        background: $boost;
    }
    SearchBox:focus { border: none; background: $primary-background; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "清除搜索", id="search.cancel"),
    ]

    @dataclass
    class Search(Message):
        text: str

    @dataclass
    class Done(Message):
        text: str

    @dataclass
    class Cancelled(Message):
        pass

    def __init__(self, *, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, id=id, compact=True, select_on_focus=False)
        self._timer: Timer | None = None

    def _on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE, self._send)

    def _send(self) -> None:
        self.post_message(self.Search(self.value.strip()))

    def _on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self.post_message(self.Done(self.value.strip()))

    def action_cancel(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.value = ""
        self.post_message(self.Cancelled())
