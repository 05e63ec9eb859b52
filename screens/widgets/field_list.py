"""The fields of one application under review: a Line API list of items with a field cursor."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from zcreview.screens import kinsoku
from zcreview.screens.review_items import ReviewItem, glyph, rank
from zcreview.screens.text import clean, shown

LABEL_CELLS = 14
WRAPPED_ITEMS = 4096
"""Items' strips kept (a few applications' worth at two widths)."""
"""Field labels are padded to this many cells so values line up (CJK labels count 2 a char)."""


_BAKED = ("heading", "label", "muted", "ok", "warn", "fail", "flag", "flag-text")
"""Component styles drawn into the wrapped strips: a change of any of them wraps again."""


class FieldList(ScrollView, can_focus=True, inherit_bindings=False):
    """Items pushed down by the review screen; reports the item under the cursor.

    Keys live on the screen (they work whether this list or the preview pane is showing);
    this widget only draws and moves the cursor. It takes none of ScrollView's keys: with
    them ↑/↓/Home/End/PgUp/PgDn scrolled the list under a cursor that stayed put.
    """

    DEFAULT_CSS = """
    FieldList {
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
        background: $surface;
    }
    FieldList > .field-list--cursor { background: $block-cursor-blurred-background; }
    FieldList:focus > .field-list--cursor { background: $block-cursor-background; }
    FieldList > .field-list--heading { text-style: bold; color: $primary; }
    FieldList > .field-list--label { text-style: bold; }
    FieldList > .field-list--muted { color: $text-muted; }
    FieldList > .field-list--ok { color: $success; }
    FieldList > .field-list--warn { color: $warning; }
    FieldList > .field-list--fail { color: $error; text-style: bold; }
    FieldList > .field-list--flag { color: $warning; text-style: bold reverse; }
    FieldList > .field-list--flag-text { color: $warning; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "field-list--cursor",
        "field-list--heading",
        "field-list--label",
        "field-list--muted",
        "field-list--ok",
        "field-list--warn",
        "field-list--fail",
        "field-list--flag",
        "field-list--flag-text",
    }

    items: var[list[ReviewItem]] = var(list, always_update=True)
    flags: var[dict[str, str]] = var(dict, always_update=True)
    """Flagged paths and the reason text shown under them."""
    cursor: var[int] = var(0)

    @dataclass
    class Highlighted(Message):
        """The cursor is on `item` (None when there are no items)."""

        index: int
        item: ReviewItem | None

    def __init__(
        self,
        *,
        ascii_mode: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._ascii = ascii_mode
        self._strips: list[list[Strip]] = []
        self._offsets: list[int] = []
        self._layout_width = -1
        self._baked: tuple[Style, ...] = ()
        self._wrapped: LRUCache[tuple[object, ...], list[Strip]] = LRUCache(WRAPPED_ITEMS)
        """Strips per item's look and width: headings, labels and common values recur from
        one application to the next, and a recheck (OCR finished) changes few items."""

    # ----- public -------------------------------------------------------------------------

    @property
    def current(self) -> ReviewItem | None:
        if 0 <= self.cursor < len(self.items):
            return self.items[self.cursor]
        return None

    def move(self, step: int) -> None:
        """Cursor to the next (step > 0) or previous selectable item."""
        i = self.cursor + step
        while 0 <= i < len(self.items):
            if self._selectable(i):
                self.cursor = i
                return
            i += step

    def go_to(self, index: int) -> None:
        if not self.items:
            return
        index = max(0, min(index, len(self.items) - 1))
        if not self._selectable(index):
            forward = next((i for i in range(index, len(self.items)) if self._selectable(i)), None)
            index = forward if forward is not None else index
        self.cursor = index

    def go_to_path(self, path: str) -> bool:
        """Cursor to the first non-change item at `path`; False if there is none."""
        for i, item in enumerate(self.items):
            if item.path == path and item.kind != "change":
                self.go_to(i)
                return True
        return False

    def page(self, direction: int) -> None:
        self._relayout()
        height = max(1, self.scrollable_content_region.height - 1)
        if not self._offsets:
            return
        here = self._offsets[min(self.cursor, len(self._offsets) - 1)]
        target = max(0, here + direction * height)
        index = max(0, bisect_right(self._offsets, target) - 1)
        self.go_to(index)

    def prepare(self) -> None:
        """Wrap the items now (else lazily, while painting): call after setting items and
        flags, so the list's height is part of the same frame's layout."""
        self._relayout()

    # ----- reactive -----------------------------------------------------------------------

    def _selectable(self, index: int) -> bool:
        return self.items[index].kind != "text"

    def watch_items(self) -> None:
        self.set_reactive(FieldList.cursor, 0)
        self.go_to(0)
        self._invalidate()
        self.scroll_to(y=0, animate=False)
        self._post_highlighted()

    def watch_flags(self) -> None:
        self._invalidate()

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        # Repaint the two items the cursor left and entered, not the whole list (a scroll
        # repaints everything by itself).
        for index in (old, new):
            if 0 <= index < len(self._offsets) and self._layout_width == self._width():
                self.refresh_lines(self._offsets[index], len(self._strips[index]))
            else:
                self.refresh()
        self._post_highlighted()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        # Focus and blur restyle the widget too; only the item colours are baked into the
        # wrapped strips (the cursor and background are applied while painting).
        try:
            styles = tuple(self._style(name) for name in _BAKED)
        except KeyError:  # before the component styles exist
            styles = ()
        if not styles or styles != self._baked:
            self._baked = styles
            self._wrapped.clear()
            self._invalidate()

    def _invalidate(self) -> None:
        """Lay out again before the next paint (items, flags, styles or width changed).

        Lazy: the screen sets items and flags together and styles arrive on mount; laying out
        on each would wrap every item several times per application opened.
        """
        self._layout_width = -1
        self.refresh()

    def _post_highlighted(self) -> None:
        self.post_message(self.Highlighted(self.cursor, self.current))

    # ----- layout -------------------------------------------------------------------------

    def _width(self) -> int:
        return max(10, self.scrollable_content_region.width or self.size.width or 80)

    def _relayout(self) -> None:
        width = self._width()
        if width == self._layout_width or not self.is_mounted:
            return
        self._layout_width = width
        self._strips = [self._cached_strips(item, width) for item in self.items]
        offsets: list[int] = []
        total = 0
        for strips in self._strips:
            offsets.append(total)
            total += len(strips)
        self._offsets = offsets
        self.virtual_size = Size(width, total)
        self.refresh()
        self.call_after_refresh(self._scroll_cursor_into_view)

    def _scroll_cursor_into_view(self) -> None:
        self._relayout()
        if not self._offsets or self.cursor >= len(self._offsets):
            return
        top = self._offsets[self.cursor]
        height = len(self._strips[self.cursor])
        self.scroll_to_region(
            Region(0, top, 1, min(height, max(1, self.scrollable_content_region.height))),
            animate=False,
            force=True,
        )

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"field-list--{name}", partial=True)

    def _level_style(self, level: int) -> Style:
        return self._style(("ok", "warn", "fail")[level])

    def _item_text(self, item: ReviewItem) -> Text:
        text = Text(no_wrap=False, overflow="fold")
        indent = "  " * item.depth
        level = item.mark
        mark = glyph(level, self._ascii) if level is not None else ""
        mark_cells = 2
        text.append(indent)
        text.append(f"{mark:<{mark_cells}}", self._level_style(level) if level is not None else "")
        text.append(" ")
        flag = self.flags.get(item.path) if item.kind != "change" else None
        if flag is not None:
            text.append("退", self._style("flag"))
            text.append(" ")
        # Check messages, notices and reasons quote seeds and people (≤, …, “”): in ASCII mode
        # ambiguous-width symbols give way to ASCII so CJK terminals keep the columns.
        a = self._ascii
        if item.kind == "heading":
            text.append(shown(item.label, a), self._style("heading"))
        elif item.kind == "text":
            text.append(shown(item.label, a), self._style("muted"))
        else:
            label = shown(item.label, a)
            pad = LABEL_CELLS - cell_len(label) if item.kind == "field" else 0
            text.append(label + " " * max(0, pad), self._style("label"))
            if item.value:
                text.append("  " if pad <= 0 else "")
                muted = item.kind == "attachment"
                text.append(shown(item.value, a), self._style("muted") if muted else "")
        sub = indent + " " * (mark_cells + 3)
        if flag is not None:
            text.append(f"\n{sub}退回：{shown(flag, a)}", self._style("flag-text"))
        if item.note:
            text.append(f"\n{sub}{shown(item.note, a)}", self._style("muted"))
        for result in item.problems:
            lv = rank(result.severity)
            text.append(f"\n{sub}{glyph(lv, self._ascii)} ", self._level_style(lv))
            # Check messages quote applicant text: clean it like any other applicant data.
            text.append(shown(clean(result.message), a), self._level_style(lv))
            seed = shown(clean(result.seed), a)
            text.append(f"  [{result.check_id} {seed}]", self._style("muted"))
        return text

    def _cached_strips(self, item: ReviewItem, width: int) -> list[Strip]:
        flag = self.flags.get(item.path) if item.kind != "change" else None
        problems = tuple((r.check_id, r.severity, r.message, r.seed) for r in item.problems)
        key: tuple[object, ...] = (
            width,
            item.kind,
            item.depth,
            item.mark,
            item.label,
            item.value,
            flag,
            item.note,
            *problems,
        )
        strips = self._wrapped.get(key)
        if strips is None:
            strips = self._item_strips(item, width)
            self._wrapped[key] = strips
        return strips

    def _item_strips(self, item: ReviewItem, width: int) -> list[Strip]:
        console = self.app.console
        text = self._item_text(item)
        if "\n" not in text.plain and text.cell_len <= width:
            # Most items are one short line: skip wrapping, the costly part of a layout.
            return [Strip(list(text.render(console))).extend_cell_length(width)]
        strips: list[Strip] = []
        for logical in text.split("\n"):
            for line in _hanging(logical, console, width):
                strips.append(Strip(list(line.render(console))).extend_cell_length(width))
        return [strip.crop(0, width) for strip in strips] or [Strip.blank(width)]

    # ----- Line API -----------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self._width()
        if width != self._layout_width:
            self._relayout()
        line = round(self.scroll_y) + y
        base = self.rich_style
        if not self._offsets:
            if y == 0 and not self.items:
                loading = Text("载入中", style=self._style("muted"))
                strip = Strip(list(loading.render(self.app.console)))
                return strip.extend_cell_length(width).apply_style(base)
            return Strip.blank(width, base)
        index = bisect_right(self._offsets, line) - 1
        if index < 0 or index >= len(self._strips):
            return Strip.blank(width, base)
        strips = self._strips[index]
        offset = line - self._offsets[index]
        if offset >= len(strips):
            return Strip.blank(width, base)
        strip = strips[offset].apply_style(base)
        if index == self.cursor:
            # Post-style: the cursor's background wins, the glyphs keep their colours.
            cursor = self._style("cursor")
            strip = Strip(Segment.apply_style(iter(strip), post_style=cursor), strip.cell_length)
        return strip


def _hanging(line: Text, console: Console, width: int) -> list[Text]:
    """`line` wrapped to `width` with continuation lines indented past its leading spaces,
    so a wrapped value or message stays in its column instead of running back to the margin."""
    plain = line.plain
    hang = len(plain) - len(plain.lstrip(" ")) + 2
    first, *rest = kinsoku.wrap(line, console, width) or [Text("")]
    if not rest or width - hang < 10:
        return [first, *rest]
    remainder = line[len(first.plain) :]
    remainder.rstrip()
    out = [first]
    for piece in kinsoku.wrap(remainder, console, width - hang):
        piece.pad_left(hang)
        out.append(piece)
    return out
