"""The base of the 路径, 数据上报 and 发件箱 screens: a main table walked with j/k, q to go back."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable

from zcreview.screens.sync_runner import SyncRunner
from zcreview.screens.workstation import workstation


class SyncScreen(Screen[None]):
    """Subclasses name their main table in `TABLE` (also the focused widget)."""

    CSS_PATH = "sync.tcss"
    TABLE = ""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor(1)", "下移", show=False),
        Binding("k", "cursor(-1)", "上移", show=False),
        Binding("q,escape", "back", "返回", id="sync.back"),
    ]

    @property
    def syncing(self) -> SyncRunner:
        """The app's sync runner, with its service, store and signal."""
        return workstation(self.app).sync

    @property
    def table(self) -> DataTable[object]:
        return self.query_one(self.TABLE, DataTable)

    def action_cursor(self, step: int) -> None:
        table = self.table
        table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + step)))

    def action_back(self) -> None:
        self.dismiss(None)
