"""The workstation's deferred store: its queue reads through the standard sqlite3 module equal
the same reads through the engine, and anything but a current SQLite office opens at once."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests import tui_data
from tests.conftest import drop_pg_schema, pg_url_for_new_schema
from zcreview.domain.workflow import State
from zcreview.storage import queue
from zcreview.storage.identity import office_identity
from zcreview.storage.office import init_office
from zcreview.storage.store import deferred_store, open_store

STATES = [s.value for s in State]


def _varied(i: int) -> dict[str, Any]:
    """Deadlines, leases and missing dates, so every conversion is exercised."""
    extra: dict[str, Any] = {"deadline": None, "lease_until": None}
    if i % 4 == 0:
        extra["state"] = State.RETURNED.value
        extra["deadline"] = date(2026, 12, 1) + timedelta(days=i % 9)
    if i % 6 == 1:
        extra["state"] = State.IN_REVIEW.value
        extra["holder"] = "张审核"
        extra["lease_until"] = datetime(2026, 12, 5, 8, 30, tzinfo=UTC) + timedelta(minutes=i)
    if i % 11 == 0:
        extra["submitted_on"] = None
    return extra


@pytest.fixture
def office(tmp_path: Path) -> Path:
    home = tmp_path / "office"
    store = open_store(home)
    tui_data.fill(store, 120, override=_varied)
    tui_data.add_reviewers(store, "张审核", "李审核")
    with store.session() as s:
        init_office(
            session=s,
            name="环翠区人社局",
            credit_code="11371002MB2855123X",
            office_type="人社局",
            office_level="区县",
        )
        s.commit()
    store.dispose()
    return home


FILTERS = [
    queue.QueueFilter(),
    queue.QueueFilter(year=2025, level="中级"),
    queue.QueueFilter(states=frozenset({State.RETURNED.value, State.PENDING.value})),
    queue.QueueFilter(search="张"),
    queue.QueueFilter(search="%_"),
    queue.QueueFilter(due_by=date(2026, 12, 4)),
    queue.QueueFilter(sort="deadline"),
    queue.QueueFilter(sort="deadline", descending=True),
    queue.QueueFilter(search="zz", names=frozenset({"王芳", "李娜"})),
    *(
        queue.QueueFilter(sort=key, descending=d)
        for key in queue.SORT_COLUMNS
        for d in (False, True)
    ),
]


def _reads(reader: Any, flt: queue.QueueFilter) -> tuple[object, ...]:
    rows = queue.page(flt, 3, 40, session=reader)
    where = queue.position_of(rows[-1].id, flt, session=reader) if rows else None
    return queue.count(flt, session=reader), rows, where


def test_plain_reads_equal_the_engine_reads(office: Path) -> None:
    store = deferred_store(office)
    assert not store.is_open
    with store.reading() as plain:
        assert isinstance(plain, sqlite3.Connection)
        before = [_reads(plain, f) for f in FILTERS]
        tree = queue.tree_counts(session=plain)
        names = queue.distinct_names(session=plain)
        who = office_identity(session=plain)
    assert not store.is_open  # nothing above needed the engine
    _ = store.engine
    with store.reading() as session:
        assert not isinstance(session, sqlite3.Connection)
        assert [_reads(session, f) for f in FILTERS] == before
        assert queue.tree_counts(session=session) == tree
        assert sorted(queue.distinct_names(session=session)) == sorted(names)
        assert office_identity(session=session) == who
    store.dispose()
    assert who.office == "环翠区人社局" and who.reviewers == ["张审核", "李审核"]
    leased = [r for _, rows, _ in before for r in rows if r.lease_until is not None]  # type: ignore[attr-defined]
    assert leased and all(isinstance(r.lease_until, datetime) for r in leased)
    due = before[FILTERS.index(queue.QueueFilter(due_by=date(2026, 12, 4)))]
    assert due[0] and all(r.deadline <= date(2026, 12, 4) for r in due[1])  # type: ignore[attr-defined]


def test_the_plain_connection_cannot_write(office: Path) -> None:
    store = deferred_store(office)
    with store.reading() as plain, pytest.raises(sqlite3.OperationalError):
        assert isinstance(plain, sqlite3.Connection)
        plain.execute("DELETE FROM application")
    with open_store(office).session() as s:
        assert queue.count(queue.QueueFilter(), session=s) == 120


def test_an_office_not_at_the_current_schema_opens_at_once(office: Path, tmp_path: Path) -> None:
    with sqlite3.connect(office / "office.db") as conn:
        conn.execute("DELETE FROM schema_version WHERE version = 19")
    store = deferred_store(office)
    assert store.is_open  # migrated before anything reads
    with sqlite3.connect(office / "office.db") as conn:
        assert (19,) in conn.execute("SELECT version FROM schema_version").fetchall()
    store.dispose()
    new = deferred_store(tmp_path / "new")  # no database yet: created and migrated
    assert new.is_open
    new.dispose()


@pytest.mark.postgres
def test_a_postgresql_office_opens_at_once_and_reads_through_its_engine(tmp_path: Path) -> None:
    url, schema = pg_url_for_new_schema()
    try:
        store = deferred_store(tmp_path / "home", url)
        assert store.is_open
        tui_data.fill(store, 30, override=_varied)
        with store.reading() as session:
            assert not isinstance(session, sqlite3.Connection)
            assert queue.count(queue.QueueFilter(due_by=date(2026, 12, 4)), session=session) > 0
            rows = queue.page(queue.QueueFilter(sort="deadline"), 0, 30, session=session)
        assert rows[0].deadline is not None and rows[-1].deadline is None
        store.dispose()
    finally:
        drop_pg_schema(schema)
