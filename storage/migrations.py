"""Schema migrations with a recorded version; a database is only ever moved forward."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from storage import tables


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
"""Version numbers by area: 1 foundation; 2–9 review; 10–19 sync and hub; 15 recognised text."""

LATEST_VERSION = 15
"""The newest version any area registers (a test checks it against the registered list).

A database already at this version is opened with one query and without importing the review
and sync table modules (about 0.2 s of start-up); bump it with every new migration."""


def register(migration: Migration) -> None:
    """Add a migration from another module (review, sync); keeps the list ordered."""
    if any(m.version == migration.version for m in MIGRATIONS):
        return
    MIGRATIONS.append(migration)
    MIGRATIONS.sort(key=lambda m: m.version)


class SchemaTooNew(RuntimeError):
    """The database was written by a newer zcreview."""


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table("schema_version"):
        return 0
    versions = conn.execute(select(tables.SchemaVersion.version)).scalars().all()  # type: ignore[call-overload]
    return max(versions, default=0)


def migrate(engine: Engine) -> int:
    """Apply every pending migration, each in its own transaction; return the final version.

    Raises SchemaTooNew when the database was written by a newer zcreview.
    """
    with engine.begin() as conn:
        version = current_version(conn)
    if version == LATEST_VERSION:
        return version  # the common case: nothing to do, nothing more to import
    _load_area_migrations()
    latest = MIGRATIONS[-1].version
    if version > latest:
        raise SchemaTooNew(f"数据库结构版本 {version} 高于本程序支持的 {latest}，请升级 zcreview")
    for m in MIGRATIONS:
        if m.version <= version:
            continue
        with engine.begin() as conn:
            m.apply(conn)
            conn.execute(tables.SchemaVersion.__table__.insert().values(version=m.version))  # type: ignore[attr-defined]
        version = m.version
    return version


def _load_area_migrations() -> None:
    """Import the modules that register later migrations (review and sync tables)."""
    import importlib

    for name in ("storage.review_tables", "storage.sync_tables", "storage.recognised"):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
