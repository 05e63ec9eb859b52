"""How the queue list draws: its columns (fitted to the width) and one application's row.

The list widget (`queue_list`) pages rows in from storage and moves the cursor; this module
turns a `QueueRow` into a styled strip: states in colour, stale claims muted, deadlines in
working days, the pre-check counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.scroll_view import ScrollView
from textual.strip import Strip

from zcreview.domain.workflow import State
from zcreview.screens.text import clean, fit
from zcreview.screens.workstation import Workstation, workstation
from zcreview.storage.queue import DEADLINE_STATES, QueueFilter, QueueRow


@dataclass(frozen=True)
class Column:
    """One column of the list: width in cells, priority (lower survives narrow screens)."""

    key: str
    header: str
    width: int
    priority: int
    sort: str | None = None
    flex: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", 8, 0, "name"),
    Column("unit", "单位", 12, 1, "unit", flex=True),
    Column("series", "系列", 12, 8, "series"),
    Column("title", "申报职称", 12, 4, "title"),
    Column("submitted_on", "提交日期", 10, 7, "submitted_on"),
    Column("state", "状态", 10, 2, "state"),
    Column("deadline", "补正期限", 9, 5, "deadline"),
    Column("holder", "审核人", 8, 6),
    Column("checks", "检查", 11, 3, "issues"),
)
SORT_ORDER: tuple[str, ...] = tuple(c.sort for c in COLUMNS if c.sort is not None)
SORT_LABELS: dict[str, str] = {c.sort: c.header for c in COLUMNS if c.sort is not None}

_STATE_CLASS: dict[str, str] = {
    State.IN_REVIEW.value: "queue-list--busy",
    State.PASSED.value: "queue-list--done",
    State.REPORTED.value: "queue-list--done",
    State.FINISHED.value: "queue-list--done",
    State.RETURNED.value: "queue-list--returned",
    State.ABANDONED.value: "queue-list--returned",
}


def empty_message(flt: QueueFilter) -> str:
    """Why the list is empty, and what to do about it."""
    if flt.search:
        return f"没有姓名、单位或身份证号含“{clean(flt.search)}”的申报（Esc 清除搜索）"
    if flt.states:
        return "所选范围内没有这些状态的申报（0 清除状态筛选）"
    return "没有符合条件的申报"


def layout_columns(width: int) -> list[tuple[Column, int]]:
    """The columns that fit `width` cells (one space between), the flexible one widened.

    Columns are taken in priority order until one does not fit, so a narrow screen loses the
    least important columns, never an important one in favour of a smaller one.
    """
    chosen: list[Column] = []
    used = 0
    for column in sorted(COLUMNS, key=lambda c: c.priority):
        extra = column.width + (1 if chosen else 0)
        if used + extra > width:
            break
        chosen.append(column)
        used += extra
    chosen.sort(key=COLUMNS.index)
    spare = max(0, width - used)
    return [(c, c.width + (spare if c.flex else 0)) for c in chosen]


class RowPainter(ScrollView):
    """Draws rows for `QueueList` (which sets the attributes below in its `__init__`)."""

    marked: dict[str, QueueRow]
    _ascii: bool
    _layout_width: int
    _layout: list[tuple[Column, int]]
    _calendar: tuple[frozenset[date], frozenset[date]] | None

    def _columns(self, width: int) -> list[tuple[Column, int]]:
        if width != self._layout_width:
            self._layout_width = width
            self._layout = layout_columns(width)
        return self._layout

    def _row_strip(self, row: QueueRow, width: int, is_cursor: bool) -> Strip:
        base = self.rich_style
        if is_cursor:
            name = "queue-list--cursor" if self.has_focus else "queue-list--cursor-blurred"
            base = base + self.get_component_rich_style(name)
        segments: list[Segment] = []
        used = 0
        for column, w in self._columns(width):
            if segments:
                segments.append(Segment(" ", base))
                used += 1
            segments.extend(self._cell(row, column, w, base, is_cursor))
            used += w
        if used < width:
            segments.append(Segment(" " * (width - used), base))
        # One run per style: every style change costs an SGR sequence and a reset on the wire.
        return Strip(segments, width).simplify()

    def _cell(
        self, row: QueueRow, column: Column, width: int, base: Style, is_cursor: bool
    ) -> Iterable[Segment]:
        # Applicant text goes straight into Segments: never parsed as markup.
        key = column.key
        if key == "checks":
            yield from self._checks(row, width, base, is_cursor)
            return
        if key == "submitted_on":
            text = row.submitted_on.isoformat() if row.submitted_on else "-"
        elif key == "deadline":
            yield from self._deadline(row, width, base, is_cursor)
            return
        else:
            text = clean(getattr(row, key) or "")
        style = base
        if key == "name" and row.id in self.marked:
            # Marked (Space): a star before the name, in the accent colour.
            text = "*" + text
            if not is_cursor:
                style = base + self.get_component_rich_style("queue-list--marked", partial=True)
        stale = self._stale_claim(row)
        if stale and key == "state":
            # Nobody is on it any more: say so instead of "审核中", and show it muted.
            text = "领取超时"
        if stale and key in ("state", "holder") and not is_cursor:
            style = base + self.get_component_rich_style("queue-list--muted", partial=True)
        elif key == "state" and not is_cursor and row.state in _STATE_CLASS:
            style = base + self.get_component_rich_style(_STATE_CLASS[row.state], partial=True)
        yield Segment(fit(text, width), style)

    def _deadline(
        self, row: QueueRow, width: int, base: Style, is_cursor: bool
    ) -> Iterable[Segment]:
        """`06-19剩3`: the day and the working days left; red when due within 2 days."""
        if row.deadline is None or row.state not in DEADLINE_STATES:
            yield Segment(" " * width, base)
            return
        left = self.working_days_left(row.deadline)
        tail = "逾期" if left < 0 else f"剩{left}"
        style = base
        if left <= 2 and not is_cursor:
            style = base + self.get_component_rich_style("queue-list--fail", partial=True)
        yield Segment(fit(f"{row.deadline:%m-%d}{tail}", width), style)

    def working_days_left(self, deadline: date) -> int:
        """Working days from today to `deadline`, by the office's calendar (holidays, 调休)."""
        # Loaded on the first deadline shown: start-up pays for neither the application model
        # nor the configuration.
        from zcreview.domain.corrections import to_local, working_days_left

        if self._calendar is None:
            policy = workstation(self.app).services.policy()
            self._calendar = (policy.holidays, policy.extra_workdays)
        holidays, workdays = self._calendar
        today = to_local(self.now()).date()
        return working_days_left(today, deadline, holidays, workdays)

    def _stale_claim(self, row: QueueRow) -> bool:
        """A 审核中 whose holder's lease ran out (anyone may take it over now)."""
        if row.state != State.IN_REVIEW.value or row.lease_until is None:
            return False
        until = row.lease_until
        if until.tzinfo is None:
            until = until.replace(tzinfo=UTC)  # stored as naive UTC by SQLite
        return until <= self.now()

    def now(self) -> datetime:
        """The office clock: the review services' (frozen in tests), else the real one."""
        app = self.app
        clock = app.services.clock if isinstance(app, Workstation) else None
        return clock() if clock is not None else datetime.now(UTC)

    def _checks(self, row: QueueRow, width: int, base: Style, is_cursor: bool) -> Iterable[Segment]:
        marks = ("+", "!", "x") if self._ascii else ("✓", "⚠", "✗")
        parts = [
            (f"{marks[0]}{row.n_ok}", "queue-list--ok", row.n_ok),
            (f"{marks[1]}{row.n_warn}", "queue-list--warn", row.n_warn),
            (f"{marks[2]}{row.n_fail}", "queue-list--fail", row.n_fail),
        ]
        used = 0
        for i, (text, component, value) in enumerate(parts):
            piece = (" " if i else "") + text
            if used + cell_len(piece) > width:
                break
            if not value:
                # A zero is left blank: easier to scan, and one style run less per row.
                piece = " " * cell_len(piece)
                style = base
            elif is_cursor:
                style = base
            else:
                style = base + self.get_component_rich_style(component, partial=True)
            yield Segment(piece, style)
            used += cell_len(piece)
        if used < width:
            yield Segment(" " * (width - used), base)
