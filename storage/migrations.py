"""Schema migrations with a recorded version; a database is only ever moved forward."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from zcreview.storage import tables
from zcreview.storage.schema_versions import KNOWN_VERSIONS, LATEST_VERSION


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


def create_tables(*models: Any) -> Callable[[Connection], None]:
    """A migration step that creates exactly these tables (never the whole metadata)."""

    def _apply(conn: Connection) -> None:
        SQLModel.metadata.create_all(conn, tables=[m.__table__ for m in models])

    return _apply


MIGRATIONS: list[Migration] = [
    Migration(
        1,
        "offices, reviewers, applications, revisions, attachments, blobs",
        create_tables(*tables.V1_TABLES),
    ),
]
"""Version numbers by area (every one also in `schema_versions.KNOWN_VERSIONS`): 1 foundation; 2–9 review (13: audit anchors); 10–19 sync and hub
(15: recognised text, 16: intake notes, 19: bundle encryption and transports per direction)."""


def register(migration: Migration) -> None:
    """Add a migration from another module (review, sync); keeps the list ordered."""
    if any(m.version == migration.version for m in MIGRATIONS):
        return
    MIGRATIONS.append(migration)
    MIGRATIONS.sort(key=lambda m: m.version)


class SchemaTooNew(RuntimeError):
    """The database was written by a newer zcreview."""


def recorded_versions(conn: Connection) -> set[int]:
    """The versions of every migration applied to this database."""
    if not inspect(conn).has_table("schema_version"):
        return set()
    return set(conn.execute(select(tables.SchemaVersion.version)).scalars().all())  # type: ignore[call-overload]


def migrate(engine: Engine) -> int:
    """Apply every registered migration not yet recorded, in order, each in its own transaction;
    return the newest version.

    Raises SchemaTooNew when the database was written by a newer zcreview.
    """
    with engine.begin() as conn:
        done = recorded_versions(conn)
    if done == KNOWN_VERSIONS:
        return LATEST_VERSION  # the common case: nothing to do, nothing more to import
    _load_area_migrations()
    latest = MIGRATIONS[-1].version
    newest = max(done, default=0)
    if newest > latest:
        raise SchemaTooNew(f"数据库结构版本 {newest} 高于本程序支持的 {latest}，请升级 zcreview")
    for m in MIGRATIONS:
        if m.version in done:
            continue
        with engine.begin() as conn:
            m.apply(conn)
            conn.execute(tables.SchemaVersion.__table__.insert().values(version=m.version))  # type: ignore[attr-defined]
    return latest


def _load_area_migrations() -> None:
    """Import the modules that register later migrations (review and sync tables)."""
    import importlib

    for name in (
        "zcreview.storage.review_tables",
        "zcreview.storage.sync_tables",
        "zcreview.storage.blob_notes",
        "zcreview.storage.recognised",
        "zcreview.storage.hub_admin",
        "zcreview.storage.hub_audit",
    ):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
