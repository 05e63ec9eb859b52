"""Engines: SQLite in the office's data directory (WAL, busy timeout) or PostgreSQL by URL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

BUSY_TIMEOUT_MS = 10_000


def private_home(home: Path) -> None:
    """Create `home` readable by its owner only: it holds applicants' personal data and keys."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    if home.stat().st_mode & 0o077:
        home.chmod(0o700)


def private_sqlite_file(path: Path) -> None:
    """Create the database file 0600 before SQLite does (its WAL and SHM files inherit it)."""
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)


def sqlite_url(home: Path) -> str:
    return f"sqlite:///{(home / 'office.db').resolve()}"


def normalise_url(url: str) -> str:
    """Let users write `postgresql://…`; SQLAlchemy needs the psycopg 3 driver named."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite connections get WAL, a busy timeout and foreign keys."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def session(engine: Engine) -> Session:
    """A session whose objects stay readable after commit (screens read them after saving)."""
    return Session(engine, expire_on_commit=False)


def insert_missing(s: Session, model: Any) -> Any:
    """An INSERT of `model` rows that skips rows whose unique key is already held.

    One statement instead of a read and an insert, and no error when another writer stored the
    same keyed row a moment ago (the row is the same: keyed by content).
    """
    if s.get_bind().dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(model).on_conflict_do_nothing()
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    return pg_insert(model).on_conflict_do_nothing()
