"""Queue queries: counts per 年度/级别/系列/state, and pages of rows for a virtual list.

Written as plain SQL (`zcreview.storage.plain_sql`): the same text runs through an ORM session
or, for the workstation's first page, a plain SQLite connection opened before SQLAlchemy loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from zcreview.domain.workflow import State
from zcreview.storage.plain_sql import Reader, as_date, as_datetime, in_list, rows, scalar

SortKey = Literal[
    "submitted_on", "name", "unit", "series", "title", "state", "year", "issues", "deadline"
]
SORT_COLUMNS: dict[str, str] = {
    "submitted_on": "submitted_on",
    "name": "name",
    "unit": "unit",
    "series": "series",
    "title": "title",
    "state": "state",
    "year": "year",
    "issues": "n_fail",
    "deadline": "deadline",
}
"""Sort key → column of `application` (the only names ever put into ORDER BY)."""


DEADLINE_STATES = (State.RETURNED.value, State.RETURNED_FROM_ABOVE.value)
"""States whose deadline runs: the applicant (已退回) or this office (上级退回) must act by it."""


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows: a tree selection, a state filter, a search and a sort."""

    year: int | None = None
    level: str | None = None
    series: str | None = None
    states: frozenset[str] = field(default_factory=frozenset)
    search: str = ""
    sort: str = "submitted_on"
    descending: bool = False
    due_by: date | None = None
    """Only applications whose correction deadline is on or before this day (due soon)."""
    ids: frozenset[str] = frozenset()
    """Only these applications (the rows marked in the queue), when given."""
    names: frozenset[str] = frozenset()
    """Names the search also matches by their pinyin initials (`wh`: 王华), found by the
    caller with `distinct_names` and `zcreview.domain.pinyin`."""

    def where(self) -> tuple[str, dict[str, object]]:
        """The WHERE clause (`1=1` when nothing is filtered) and its parameters."""
        conds: list[str] = []
        params: dict[str, object] = {}
        if self.year is not None:
            conds.append("year = :year")
            params["year"] = self.year
        if self.level is not None:
            conds.append("level = :level")
            params["level"] = self.level
        if self.series is not None:
            conds.append("series = :series")
            params["series"] = self.series
        if self.states:
            conds.append(in_list("state", sorted(self.states), "st", params))
        if self.ids:
            conds.append(in_list("id", sorted(self.ids), "id", params))
        if self.due_by is not None:
            conds.append("deadline <= :due_by")
            params["due_by"] = self.due_by
            conds.append(in_list("state", DEADLINE_STATES, "ds", params))
        text = self.search.strip()
        if text:
            # Escape LIKE wildcards: applicant text is data, never a pattern.
            esc = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params["like"] = f"%{esc}%"
            matches = [
                "name LIKE :like ESCAPE '\\'",
                "unit LIKE :like ESCAPE '\\'",
                "id_number LIKE :like ESCAPE '\\'",
            ]
            if self.names:
                matches.append(in_list("name", sorted(self.names), "nm", params))
            conds.append(f"({' OR '.join(matches)})")
        return " AND ".join(conds) or "1=1", params


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue list."""

    id: str
    name: str
    unit: str
    series: str
    title: str
    level: str
    year: int
    submitted_on: date | None
    state: str
    holder: str | None
    n_ok: int
    n_warn: int
    n_fail: int
    lease_until: datetime | None = None
    """When the holder's claim runs out: past it, the application is free to take over."""
    deadline: date | None = None
    """The correction deadline of an open return (已退回), else None."""


_ROW_COLUMNS = (
    "id, name, unit, series, title, level, year, submitted_on, state, holder,"
    " n_ok, n_warn, n_fail, lease_until, deadline"
)


def _row(values: tuple[object, ...]) -> QueueRow:
    (app_id, name, unit, series, title, level, year, submitted, state, holder) = values[:10]
    n_ok, n_warn, n_fail, lease, deadline = values[10:]
    return QueueRow(
        str(app_id),
        str(name),
        str(unit),
        str(series),
        str(title),
        str(level),
        int(year),  # type: ignore[call-overload]
        as_date(submitted),
        str(state),
        None if holder is None else str(holder),
        int(n_ok),  # type: ignore[call-overload]
        int(n_warn),  # type: ignore[call-overload]
        int(n_fail),  # type: ignore[call-overload]
        as_datetime(lease),
        as_date(deadline),
    )


def count(flt: QueueFilter, *, session: Reader) -> int:
    where, params = flt.where()
    return int(scalar(session, f"SELECT count(*) FROM application WHERE {where}", params) or 0)


def page(flt: QueueFilter, offset: int, limit: int, *, session: Reader) -> list[QueueRow]:
    """Rows `offset … offset+limit` of the filtered, sorted queue (stable: ties by id)."""
    where, params = flt.where()
    params = {**params, "offset": max(0, offset), "limit": max(0, limit)}
    sql = (
        f"SELECT {_ROW_COLUMNS} FROM application WHERE {where}"
        f" ORDER BY {_order(flt)} LIMIT :limit OFFSET :offset"
    )
    return [_row(r) for r in rows(session, sql, params)]


def _order(flt: QueueFilter) -> str:
    column = SORT_COLUMNS.get(flt.sort, "submitted_on")
    ordered = f"{column} DESC" if flt.descending else f"{column} ASC"
    if flt.sort == "deadline":
        # Applications without a deadline after those with one, on SQLite and PostgreSQL alike.
        ordered += " NULLS LAST"
    return f"{ordered}, id ASC"


def position_of(app_id: str, flt: QueueFilter, *, session: Reader) -> int | None:
    """Index of an application in the filtered, sorted queue (to keep the cursor on it).

    Numbered by the database in one pass rather than by reading every id into Python.
    """
    where, params = flt.where()
    sql = (
        f"SELECT n FROM (SELECT id, row_number() OVER (ORDER BY {_order(flt)}) AS n"
        f" FROM application WHERE {where}) AS numbered WHERE id = :wanted"
    )
    n = scalar(session, sql, {**params, "wanted": app_id})
    return None if n is None else int(n) - 1


MAX_INITIALS_NAMES = 2000
"""At most this many names go into one initials search (two letters match a few hundred)."""


def distinct_names(*, session: Reader) -> list[str]:
    """Every applicant name at this office, once (for searching by pinyin initials)."""
    return [str(r[0]) for r in rows(session, "SELECT DISTINCT name FROM application")]


@dataclass(frozen=True)
class TreeCount:
    year: int
    level: str
    series: str
    state: str
    count: int


def tree_counts(*, session: Reader) -> list[TreeCount]:
    """Counts grouped by 年度 / 级别 / 系列 / state, for the left-hand tree."""
    sql = (
        "SELECT year, level, series, state, count(*) FROM application"
        " GROUP BY year, level, series, state"
    )
    return [
        TreeCount(int(y), str(lv), str(se), str(st), int(n))
        for y, lv, se, st, n in rows(session, sql)
    ]
