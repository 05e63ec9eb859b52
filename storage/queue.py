"""Queue queries: counts per 年度/级别/系列/state, and pages of rows for a virtual list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from zcreview.domain.workflow import State
from zcreview.storage.tables import ApplicationRow

SortKey = Literal[
    "submitted_on", "name", "unit", "series", "title", "state", "year", "issues", "deadline"
]
SORT_COLUMNS: dict[str, Any] = {
    "submitted_on": ApplicationRow.submitted_on,
    "name": ApplicationRow.name,
    "unit": ApplicationRow.unit,
    "series": ApplicationRow.series,
    "title": ApplicationRow.title,
    "state": ApplicationRow.state,
    "year": ApplicationRow.year,
    "issues": ApplicationRow.n_fail,
    "deadline": ApplicationRow.deadline,
}


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

    def conditions(self) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = []
        if self.year is not None:
            conds.append(col(ApplicationRow.year) == self.year)
        if self.level is not None:
            conds.append(col(ApplicationRow.level) == self.level)
        if self.series is not None:
            conds.append(col(ApplicationRow.series) == self.series)
        if self.states:
            conds.append(col(ApplicationRow.state).in_(sorted(self.states)))
        if self.ids:
            conds.append(col(ApplicationRow.id).in_(sorted(self.ids)))
        if self.due_by is not None:
            conds.append(col(ApplicationRow.deadline) <= self.due_by)
            conds.append(col(ApplicationRow.state).in_(DEADLINE_STATES))
        text = self.search.strip()
        if text:
            # Escape LIKE wildcards: applicant text is data, never a pattern.
            esc = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            like = f"%{esc}%"
            matches = [
                col(ApplicationRow.name).like(like, escape="\\"),
                col(ApplicationRow.unit).like(like, escape="\\"),
                col(ApplicationRow.id_number).like(like, escape="\\"),
            ]
            if self.names:
                matches.append(col(ApplicationRow.name).in_(sorted(self.names)))
            conds.append(or_(*matches))
        return conds


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


_ROW_COLUMNS: tuple[Any, ...] = (
    ApplicationRow.id,
    ApplicationRow.name,
    ApplicationRow.unit,
    ApplicationRow.series,
    ApplicationRow.title,
    ApplicationRow.level,
    ApplicationRow.year,
    ApplicationRow.submitted_on,
    ApplicationRow.state,
    ApplicationRow.holder,
    ApplicationRow.n_ok,
    ApplicationRow.n_warn,
    ApplicationRow.n_fail,
    ApplicationRow.lease_until,
    ApplicationRow.deadline,
)


def count(flt: QueueFilter, *, session: Session) -> int:
    stmt = select(func.count()).select_from(ApplicationRow).where(*flt.conditions())
    return int(session.exec(stmt).one())


def page(flt: QueueFilter, offset: int, limit: int, *, session: Session) -> list[QueueRow]:
    """Rows `offset … offset+limit` of the filtered, sorted queue (stable: ties by id)."""
    stmt = (
        sa_select(*_ROW_COLUMNS)
        .where(*flt.conditions())
        .order_by(*_order(flt))
        .offset(max(0, offset))
        .limit(max(0, limit))
    )
    return [QueueRow(*r) for r in session.execute(stmt).all()]


def _order(flt: QueueFilter) -> list[Any]:
    sort_col = col(SORT_COLUMNS.get(flt.sort, ApplicationRow.submitted_on))
    ordered = sort_col.desc() if flt.descending else sort_col.asc()
    if flt.sort == "deadline":
        # Applications without a deadline after those with one, on SQLite and PostgreSQL alike.
        ordered = ordered.nulls_last()
    return [ordered, col(ApplicationRow.id).asc()]


def position_of(app_id: str, flt: QueueFilter, *, session: Session) -> int | None:
    """Index of an application in the filtered, sorted queue (to keep the cursor on it).

    Numbered by the database in one pass rather than by reading every id into Python.
    """
    numbered = (
        sa_select(
            col(ApplicationRow.id).label("id"),
            func.row_number().over(order_by=_order(flt)).label("n"),
        )
        .where(*flt.conditions())
        .subquery()
    )
    n = session.execute(sa_select(numbered.c.n).where(numbered.c.id == app_id)).scalar()
    return None if n is None else int(n) - 1


MAX_INITIALS_NAMES = 2000
"""At most this many names go into one initials search (two letters match a few hundred)."""


def distinct_names(*, session: Session) -> list[str]:
    """Every applicant name at this office, once (for searching by pinyin initials)."""
    stmt = sa_select(col(ApplicationRow.name)).distinct()
    return [str(n) for n in session.execute(stmt).scalars().all()]


@dataclass(frozen=True)
class TreeCount:
    year: int
    level: str
    series: str
    state: str
    count: int


def tree_counts(*, session: Session) -> list[TreeCount]:
    """Counts grouped by 年度 / 级别 / 系列 / state, for the left-hand tree."""
    stmt = sa_select(
        col(ApplicationRow.year),
        col(ApplicationRow.level),
        col(ApplicationRow.series),
        col(ApplicationRow.state),
        func.count(),
    ).group_by(
        col(ApplicationRow.year),
        col(ApplicationRow.level),
        col(ApplicationRow.series),
        col(ApplicationRow.state),
    )
    return [TreeCount(*r) for r in session.execute(stmt).all()]
