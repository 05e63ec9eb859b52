"""The queue as a virtual list: Line API rows paged from storage, never a widget per row."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import date
from typing import ClassVar

from rich.segment import Segment
from textual import work
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive, var
from textual.strip import Strip
from textual.worker import get_current_worker

from zcreview.screens.text import fit
from zcreview.screens.widgets.queue_rows import Column, RowPainter, empty_message
from zcreview.storage import queue as queue_db
from zcreview.storage.plain_sql import Reader
from zcreview.storage.queue import QueueFilter, QueueRow
from zcreview.storage.store import Store

PAGE_SIZE = 200
"""Rows per storage page: a few screens' worth, so PgDn rarely waits on the database."""
MAX_PAGES = 12
"""Pages kept in memory (LRU): about 2,400 rows whatever the queue's length."""


class QueueList(RowPainter, can_focus=True):
    """Applications of the current selection; `queue_filter` is pushed down by the screen."""

    HELP = "### 申报列表"

    DEFAULT_CSS = """
    QueueList {
        /* No scrollbar: the status line says 第 x / N 条, and a scrollbar repaints 40 cells on
           every PgDn over the wire. */
        overflow-x: hidden;
        overflow-y: hidden;
        background: $surface;
    }
    QueueList > .queue-list--header { text-style: bold; color: $primary; }
    QueueList > .queue-list--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    QueueList > .queue-list--cursor-blurred {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
    }
    QueueList > .queue-list--busy { color: $warning; }
    QueueList > .queue-list--done { color: $success; }
    QueueList > .queue-list--returned { color: $error; }
    QueueList > .queue-list--ok { color: $success; }
    QueueList > .queue-list--warn { color: $warning; }
    QueueList > .queue-list--fail { color: $error; text-style: bold; }
    QueueList > .queue-list--muted { color: $text-muted; }
    QueueList > .queue-list--marked { color: $accent; text-style: bold; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "queue-list--header",
        "queue-list--cursor",
        "queue-list--cursor-blurred",
        "queue-list--busy",
        "queue-list--done",
        "queue-list--returned",
        "queue-list--ok",
        "queue-list--warn",
        "queue-list--fail",
        "queue-list--muted",
        "queue-list--marked",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "下移", show=False),
        Binding("up,k", "cursor_up", "上移", show=False),
        Binding("pagedown,ctrl+f", "page_down", "下一页", show=False),
        Binding("pageup,ctrl+b", "page_up", "上一页", show=False),
        Binding("home,g", "first", "第一条", show=False),
        Binding("end,G", "last", "最后一条", show=False),
    ]

    @dataclass
    class Highlighted(Message):
        """The cursor moved to `index` (row is None while its page loads)."""

        index: int
        total: int
        row: QueueRow | None

    @dataclass
    class Counted(Message):
        """A new filter's count arrived (the list shows the new selection)."""

        total: int

    @dataclass
    class _Loaded(Message):
        """Rows fetched by a worker; dropped if the filter changed meanwhile."""

        generation: int
        queue_filter: QueueFilter
        total: int | None
        pages: dict[int, list[QueueRow]]
        cursor: int | None = None
        started_at: int | None = None
        """The cursor when a reload began: moved since (keys typed meanwhile), it stays put."""

    queue_filter: reactive[QueueFilter] = reactive(QueueFilter, always_update=False)
    cursor: var[int] = var(0)
    total: var[int] = var(0)

    def __init__(
        self,
        store: Store,
        *,
        ascii_mode: bool = False,
        first: FirstWindow | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """`first`: the first screenful already read (`first_window`), shown at mount."""
        super().__init__(name=name, id=id, classes=classes)
        self._store = store
        self._first = first
        self._ascii = ascii_mode
        self._pages: OrderedDict[int, list[QueueRow]] = OrderedDict()
        self._shown: QueueFilter | None = None  # filter of the rows on screen
        self._generation = 0
        self._requested: set[int] = set()
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)
        self._layout_width = -1
        self._layout: list[tuple[Column, int]] = []
        self._calendar: tuple[frozenset[date], frozenset[date]] | None = None
        self.marked: dict[str, QueueRow] = {}
        """Rows marked with Space (by id, in marking order), to act on together."""

    # ----- public helpers -------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        """True once the rows of the current filter are on screen."""
        return self._shown == self.queue_filter

    def row_at(self, index: int) -> QueueRow | None:
        """The row at `index` if its page is in memory."""
        page = self._pages.get(index // PAGE_SIZE)
        if page is None:
            return None
        offset = index % PAGE_SIZE
        return page[offset] if offset < len(page) else None

    @property
    def current(self) -> QueueRow | None:
        return self.row_at(self.cursor) if self.total else None

    def reload(self) -> None:
        """Count and fetch again (after a change in the database), keeping the cursor's row."""
        self._start_count(self.queue_filter, keep=self.current)

    def go_to(self, index: int) -> None:
        """Move the cursor to `index` (clamped)."""
        self.cursor = max(0, min(index, self.total - 1)) if self.total else 0

    # ----- loading ----------------------------------------------------------------------

    def watch_queue_filter(self, old: QueueFilter, new: QueueFilter) -> None:
        if old == new:
            # The screen's `data_bind` sets the same filter once more right after mount (bound
            # values are always written): `on_mount` has started that count already, and a
            # second COUNT and first page over 50,000 rows would compete with it.
            return
        # A new sort keeps the highlighted application; a new selection starts at the top.
        same_rows = replace(old, sort=new.sort, descending=new.descending) == new
        self._start_count(new, keep=self.current if same_rows else None)

    def on_mount(self) -> None:
        first, self._first = self._first, None
        if first is None or first[0] != self.queue_filter:
            self._start_count(self.queue_filter, keep=None)
            return
        _, total, pages = first
        self.on_queue_list__loaded(self._Loaded(-1, self.queue_filter, total, pages, 0, None))

    def _start_count(self, flt: QueueFilter, keep: QueueRow | None) -> None:
        self._count_worker(
            flt,
            keep.id if keep is not None else None,
            self._body_height(),
            self.cursor if keep is not None else None,
        )

    @work(thread=True, exclusive=True, group="queue-count")
    def _count_worker(
        self, flt: QueueFilter, keep_id: str | None, height: int, started_at: int | None
    ) -> None:
        worker = get_current_worker()
        with self._store.reading() as session:
            total = queue_db.count(flt, session=session)
            cursor = 0
            if keep_id is not None:
                found = queue_db.position_of(keep_id, flt, session=session)
                # Gone from the selection (passed under 待审核): the next row took its place.
                cursor = found if found is not None else min(started_at or 0, max(0, total - 1))
            if worker.is_cancelled:
                return
            first = max(0, cursor - height)
            pages = {
                p: queue_db.page(flt, p * PAGE_SIZE, PAGE_SIZE, session=session)
                for p in _pages_for(first, cursor + height, total)
            }
        if not worker.is_cancelled:
            self.post_message(self._Loaded(-1, flt, total, pages, cursor, started_at))

    def _request_window(self) -> None:
        """Fetch the pages around the visible rows that are not in memory yet."""
        if self._shown is None or not self.total:
            return
        top = round(self.scroll_y)
        body = self._body_height()
        wanted = [
            p
            for p in _pages_for(top - body, top + 2 * body, self.total)
            if p not in self._pages and p not in self._requested
        ]
        if wanted:
            self._requested.update(wanted)
            self._page_worker(self._generation, self._shown, wanted)

    @work(thread=True, exclusive=False, group="queue-pages")
    def _page_worker(self, generation: int, flt: QueueFilter, pages: list[int]) -> None:
        with self._store.reading() as session:
            loaded = {
                p: queue_db.page(flt, p * PAGE_SIZE, PAGE_SIZE, session=session) for p in pages
            }
        self.post_message(self._Loaded(generation, flt, None, loaded))

    def on_queue_list__loaded(self, message: _Loaded) -> None:
        message.stop()
        if message.total is not None:
            if message.queue_filter != self.queue_filter:
                return  # a newer filter is being counted
            self._generation += 1
            self._shown = message.queue_filter
            self._pages.clear()
            self._requested.clear()
            self._strips.clear()
            self.total = message.total
            self.virtual_size = Size(self.size.width, self.total + 1)
            self._store_pages(message.pages)
            new_cursor = message.cursor or 0
            if message.started_at is not None and self.cursor != message.started_at:
                new_cursor = max(0, min(self.cursor, self.total - 1))
            self.set_reactive(QueueList.cursor, new_cursor)
            self._scroll_cursor_into_view(center=True)
            self.refresh()
            self.post_message(self.Counted(self.total))
            self._post_highlighted()
            return
        if message.generation != self._generation:
            return
        self._requested.difference_update(message.pages)
        self._store_pages(message.pages)
        # Prefetched pages usually lie off screen: repaint only if a visible row was waiting.
        top = round(self.scroll_y)
        visible = set(_pages_for(top, top + self._body_height(), self.total))
        if visible & set(message.pages):
            self.refresh()
        if self.current is not None and any(self.cursor // PAGE_SIZE == p for p in message.pages):
            self._post_highlighted()

    def _store_pages(self, pages: dict[int, list[QueueRow]]) -> None:
        for number, rows in pages.items():
            self._pages[number] = rows
            self._pages.move_to_end(number)
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)

    # ----- cursor and scrolling -------------------------------------------------------

    def _body_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old + 1)
        self.refresh_line(new + 1)
        self._scroll_cursor_into_view()
        self._post_highlighted()

    def _scroll_cursor_into_view(self, center: bool = False) -> None:
        body = self._body_height()
        top = round(self.scroll_y)
        target = top
        if center and not (top <= self.cursor < top + body):
            target = self.cursor - body // 2
        elif self.cursor < top:
            target = self.cursor
        elif self.cursor >= top + body:
            target = self.cursor - body + 1
        target = max(0, min(target, max(0, self.total + 1 - self.scrollable_content_region.height)))
        if target != top:
            self.scroll_to(y=target, animate=False, force=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._request_window()

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.total + 1)
        self._request_window()

    def on_focus(self) -> None:
        self.refresh_line(self.cursor + 1)

    def on_blur(self) -> None:
        self.refresh_line(self.cursor + 1)

    def _post_highlighted(self) -> None:
        self.post_message(self.Highlighted(self.cursor, self.total, self.current))

    def action_cursor_down(self) -> None:
        self.go_to(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self.go_to(self.cursor - 1)

    def action_page_down(self) -> None:
        self._page(+1)

    def action_page_up(self) -> None:
        self._page(-1)

    def _page(self, direction: int) -> None:
        # Move the view and the cursor together (mutt/less): one repaint, not two.
        body = self._body_height()
        top = round(self.scroll_y)
        limit = max(0, self.total + 1 - self.scrollable_content_region.height)
        new_top = max(0, min(top + direction * body, limit))
        self.scroll_to(y=new_top, animate=False, force=True)
        if new_top == top:
            self.go_to(self.total - 1 if direction > 0 else 0)
        else:
            self.go_to(self.cursor + (new_top - top))

    def toggle_mark(self) -> None:
        """Mark or unmark the row under the cursor, then move down (aerc, yazi)."""
        row = self.current
        if row is None:
            return
        if row.id in self.marked:
            del self.marked[row.id]
        else:
            self.marked[row.id] = row
        self.refresh_line(self.cursor + 1)
        self.go_to(self.cursor + 1)

    def clear_marks(self) -> None:
        self.marked.clear()
        self._strips.clear()
        self.refresh()

    def action_first(self) -> None:
        self.go_to(0)

    def action_last(self) -> None:
        self.go_to(self.total - 1)

    # ----- rendering --------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            return self._header_strip(width)
        index = round(self.scroll_y) + y - 1
        base = self.rich_style
        if index >= self.total:
            if self.total == 0 and y == 1 and self._shown is not None:
                return self._message_strip(empty_message(self._shown), width)
            return Strip.blank(width, base)
        row = self.row_at(index)
        if row is None:
            self.call_later(self._request_window)
            return self._message_strip("载入中", width)
        is_cursor = index == self.cursor
        marked = row.id in self.marked
        key = (index, width, is_cursor, is_cursor and self.has_focus, self._generation, marked)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._row_strip(row, width, is_cursor)
            self._strips[key] = strip
        return strip

    def _header_strip(self, width: int) -> Strip:
        key = ("header", width, self.queue_filter.sort, self.queue_filter.descending)
        strip = self._strips.get(key)
        if strip is None:
            style = self.rich_style + self.get_component_rich_style("queue-list--header")
            arrow = (
                ("v" if self.queue_filter.descending else "^")
                if self._ascii
                else ("↓" if self.queue_filter.descending else "↑")
            )
            cells = []
            for column, w in self._columns(width):
                label = column.header
                if column.sort is not None and column.sort == self.queue_filter.sort:
                    label += arrow
                cells.append(fit(label, w))
            strip = Strip([Segment(fit(" ".join(cells), width), style)], width)
            self._strips[key] = strip
        return strip

    def _message_strip(self, text: str, width: int) -> Strip:
        style = self.rich_style + self.get_component_rich_style("queue-list--muted")
        return Strip([Segment(fit(text, width), style)], width)


def _pages_for(first: int, last: int, total: int) -> list[int]:
    """Page numbers covering rows `first … last`, clamped to the queue."""
    if total <= 0:
        return []
    first = max(0, first)
    last = min(total - 1, max(first, last))
    return list(range(first // PAGE_SIZE, last // PAGE_SIZE + 1))


FirstWindow = tuple[QueueFilter, int, dict[int, list[QueueRow]]]
"""A filter, its count and the pages of its first screenful."""


def first_window(store: Store, flt: QueueFilter, height: int) -> FirstWindow | None:
    """The first screenful of `flt` read now, when the store can answer at once
    (`Store.read_at_once`); None leaves it to the list's worker."""

    def read(reader: Reader) -> FirstWindow:
        total = queue_db.count(flt, session=reader)
        pages = {
            p: queue_db.page(flt, p * PAGE_SIZE, PAGE_SIZE, session=reader)
            for p in _pages_for(0, height, total)
        }
        return flt, total, pages

    return store.read_at_once(read)
