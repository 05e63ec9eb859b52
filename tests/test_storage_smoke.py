"""Migrations and the schema version on both backends."""

from __future__ import annotations

from sqlalchemy import text

from storage.migrations import MIGRATIONS, migrate
from storage.store import Store


def test_migrate_records_version_and_is_idempotent(store: Store) -> None:
    latest = MIGRATIONS[-1].version
    assert migrate(store.engine) == latest
    with store.engine.connect() as conn:
        versions = conn.execute(text("select version from schema_version")).scalars().all()
    assert sorted(versions) == sorted({m.version for m in MIGRATIONS})
