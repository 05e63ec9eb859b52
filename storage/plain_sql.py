"""Plain SQL text run on either kind of connection an office has.

The queue's reads are written once as SQL with named parameters (`:name`), which both SQLite's
own driver and SQLAlchemy's `text()` take. The workstation reads its first page through the
standard `sqlite3` module, before SQLAlchemy is imported (about a fifth of a second of
start-up); every other caller passes its session. Values come back as the driver stores them,
so dates are converted here, once, for both.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from sqlmodel import Session

Reader: TypeAlias = "Session | sqlite3.Connection"
"""Where a read runs: an ORM session (SQLite or PostgreSQL) or a plain SQLite connection."""

Params: TypeAlias = Mapping[str, object]


def rows(reader: Reader, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
    """Every row of `sql` as a tuple."""
    if isinstance(reader, sqlite3.Connection):
        return reader.execute(sql, driver_params(reader, params)).fetchall()
    from sqlalchemy import text

    return [tuple(r) for r in reader.execute(text(sql), driver_params(reader, params)).all()]


def driver_params(reader: Reader, params: Params | None) -> dict[str, object]:
    """`params` as the reader's driver takes them: on SQLite, dates as the ISO text SQLAlchemy
    stores there (Python's own date adapter is deprecated); PostgreSQL takes dates."""
    if not isinstance(reader, sqlite3.Connection) and reader.get_bind().dialect.name != "sqlite":
        return dict(params or {})
    return {
        k: v.isoformat() if isinstance(v, date) and not isinstance(v, datetime) else v
        for k, v in (params or {}).items()
    }


def scalar(reader: Reader, sql: str, params: Params | None = None) -> Any:
    """The first column of the first row, or None."""
    found = rows(reader, sql, params)
    return found[0][0] if found else None


def in_list(column: str, values: Sequence[object], prefix: str, params: dict[str, object]) -> str:
    """`column IN (:p0, :p1, …)` with the values added to `params` (both drivers take it)."""
    names = []
    for i, value in enumerate(values):
        names.append(f":{prefix}{i}")
        params[f"{prefix}{i}"] = value
    return f"{column} IN ({', '.join(names)})"


def as_date(value: object) -> date | None:
    """A DATE column's value: PostgreSQL gives a date, SQLite the ISO text SQLAlchemy wrote."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])


def as_datetime(value: object) -> datetime | None:
    """A DATETIME column's value (naive, as SQLAlchemy reads it back on SQLite)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
