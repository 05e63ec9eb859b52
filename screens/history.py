"""An application's history: claims, flags, decisions, notices, reports and receipts in order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from zcreview.domain.corrections import to_local
from zcreview.screens.text import clean, shown
from zcreview.storage.history import HistoryEntry, application_history
from zcreview.storage.store import Store


def history_text(entries: list[HistoryEntry], *, ascii_mode: bool = False) -> Text:
    """One line per event: local time, who, what (people's names are data: cleaned)."""
    text = Text()
    if not entries:
        text.append("没有记录", style="dim")
    for i, e in enumerate(entries):
        if i:
            text.append("\n")
        text.append(f"{to_local(e.at):%Y-%m-%d %H:%M}  ", style="dim")
        if e.actor:
            text.append(shown(clean(e.actor), ascii_mode) + "  ", style="bold")
        text.append(shown(clean(e.what), ascii_mode))
    return text


class HistoryScreen(ModalScreen[None]):
    """The history of one application, newest at the bottom; Esc, q or h closes it."""

    DEFAULT_CSS = """
    HistoryScreen { align: center middle; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,h", "close", "关闭", id="history.close"),
        Binding("j,down", "scroll(1)", "下滚", show=False),
        Binding("k,up", "scroll(-1)", "上滚", show=False),
    ]

    @dataclass
    class _Loaded(Message):
        entries: list[HistoryEntry]

    def __init__(self, store: Store, app_id: str, title: str, *, ascii_mode: bool = False) -> None:
        super().__init__()
        self._store = store
        self._app_id = app_id
        self._title = title
        self._ascii = ascii_mode

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="history-box", classes="dialog"):
            yield Static(Text(f"历史：{clean(self._title)}", style="bold"))
            yield Static(Text("载入中", style="dim"), id="history-body")
            yield Static(Text("Esc 关闭", style="dim"))

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="history")
    def _load(self) -> None:
        with self._store.session() as session:
            entries = application_history(self._app_id, session=session)
        self.post_message(self._Loaded(entries))

    def on_history_screen__loaded(self, message: _Loaded) -> None:
        self.query_one("#history-body", Static).update(
            history_text(message.entries, ascii_mode=self._ascii)
        )
        self.query_one("#history-box", VerticalScroll).scroll_end(animate=False)

    def action_scroll(self, lines: int) -> None:
        self.query_one("#history-box", VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
