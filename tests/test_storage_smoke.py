"""Migrations and the schema version on both backends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from zcreview.storage.engine import make_engine, sqlite_url
from zcreview.storage.migrations import (
    KNOWN_VERSIONS,
    LATEST_VERSION,
    MIGRATIONS,
    SchemaTooNew,
    _load_area_migrations,
    migrate,
    recorded_versions,
)
from zcreview.storage.store import Store, open_store
from zcreview.storage.tables import SchemaVersion

ROOT = Path(__file__).resolve().parents[1]


def test_migrate_records_version_and_is_idempotent(store: Store) -> None:
    latest = MIGRATIONS[-1].version
    assert migrate(store.engine) == latest
    with store.engine.connect() as conn:
        versions = conn.execute(text("select version from schema_version")).scalars().all()
    assert sorted(versions) == sorted({m.version for m in MIGRATIONS})


def test_latest_version_constant_matches_registered_migrations() -> None:
    """The fast path trusts KNOWN_VERSIONS: it must be exactly the registered migrations."""
    _load_area_migrations()
    assert MIGRATIONS[-1].version == LATEST_VERSION
    assert {m.version for m in MIGRATIONS} == KNOWN_VERSIONS


def test_a_lower_migration_added_later_is_still_applied(store: Store) -> None:
    """A database at the newest version that lacks an older one (merged from another area)
    gets it on the next open."""
    lower = next(m for m in MIGRATIONS if m.version != LATEST_VERSION and m.version > 1)
    with store.engine.begin() as conn:
        conn.execute(text("delete from schema_version where version = :v"), {"v": lower.version})
    applied: list[int] = []
    original = lower.apply
    try:
        object.__setattr__(lower, "apply", lambda conn: applied.append(lower.version))
        assert migrate(store.engine) == LATEST_VERSION
    finally:
        object.__setattr__(lower, "apply", original)
    assert applied == [lower.version]
    with store.engine.connect() as conn:
        assert recorded_versions(conn) == KNOWN_VERSIONS


def test_up_to_date_database_opens_without_importing_area_tables(tmp_path: Path) -> None:
    """Opening an up-to-date office is one query: the review and sync tables stay unimported."""
    open_store(tmp_path).dispose()
    code = (
        "import sys; from pathlib import Path; from storage.store import open_store; "
        f"open_store(Path({str(tmp_path)!r})).dispose(); "
        "print(sorted(m for m in ('zcreview.storage.review_tables', 'zcreview.storage.sync_tables') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


def test_older_database_is_migrated_to_latest(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path))
    try:
        first = MIGRATIONS[0]
        with engine.begin() as conn:
            first.apply(conn)
            conn.execute(
                SchemaVersion.__table__.insert().values(version=first.version)  # type: ignore[attr-defined]
            )
        assert migrate(engine) == LATEST_VERSION
        with engine.connect() as conn:
            assert inspect(conn).has_table("review_return")
    finally:
        engine.dispose()


def test_newer_database_is_refused(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    try:
        with store.engine.begin() as conn:
            conn.execute(
                SchemaVersion.__table__.insert().values(version=LATEST_VERSION + 1)  # type: ignore[attr-defined]
            )
        with pytest.raises(SchemaTooNew):
            migrate(store.engine)
    finally:
        store.dispose()
