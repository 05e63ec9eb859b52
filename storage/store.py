"""An office store: its database (migrated) and its blob store, from home dir and URL.

The database engine (SQLAlchemy) is created on first use. The workstation builds its store
deferred and paints the queue first: an office on SQLite whose schema is current answers the
queue's reads through the standard `sqlite3` module meanwhile (`reading`), and the engine opens
right after the first paint. Every other command opens the store at once (`open_store`), so a
database that cannot be used is reported before anything runs.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from zcreview.storage.blobs import BlobStore
from zcreview.storage.plain_sql import Reader
from zcreview.storage.schema_versions import KNOWN_VERSIONS

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

SQLITE_FILE = "office.db"
READ_TIMEOUT_S = 10.0
"""How long a plain read waits for a writer's lock (as the engine's busy timeout)."""
AT_ONCE_TIMEOUT_S = 0.2
"""How long `read_at_once` waits for a lock before leaving the read to a worker."""

T = TypeVar("T")


class Store:
    """One office's database and blobs. `engine` opens (and migrates) the database on first
    use, once, whichever thread asks first."""

    def __init__(self, home: Path, db_url: str | None = None) -> None:
        self.home = home
        self.db_url = db_url or None
        self.blobs = BlobStore(home / "blobs")
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self._plain_file: Path | None = None

    @property
    def engine(self) -> Engine:
        engine = self._engine
        if engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = _open_engine(self.home, self.db_url)
                engine = self._engine
        return engine

    @property
    def is_open(self) -> bool:
        return self._engine is not None

    def session(self) -> Session:
        from zcreview.storage.engine import session

        return session(self.engine)

    @contextmanager
    def reading(self, timeout: float = READ_TIMEOUT_S) -> Iterator[Reader]:
        """Somewhere to run plain-SQL reads (`zcreview.storage.plain_sql`): a read-only SQLite
        connection in one transaction while the engine is not open yet and the database is
        known current, else a session."""
        plain = self._plain_file if self._engine is None else None
        if plain is None:
            with self.session() as s:
                yield s
            return
        conn = sqlite3.connect(
            f"{plain.resolve().as_uri()}?mode=ro",
            uri=True,
            timeout=timeout,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            conn.execute("BEGIN")  # count and page from one snapshot
            yield conn
        finally:
            conn.close()

    def read_at_once(self, read: Callable[[Reader], T]) -> T | None:
        """`read` run now on a plain SQLite connection, or None when there is none (the engine
        is open, or PostgreSQL) or the database is busy: the caller then reads in a worker.
        For a screen's first paint, which should hold its data rather than a "loading" line."""
        if self._plain_file is None or self._engine is not None:
            return None
        try:
            with self.reading(timeout=AT_ONCE_TIMEOUT_S) as reader:
                return read(reader)
        except sqlite3.Error:
            return None  # locked or unreadable: the worker's read reports it properly

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def open_store(home: Path, db_url: str | None = None) -> Store:
    """Open (creating and migrating) the office database and blob store under `home`."""
    store = Store(home, db_url)
    _ = store.engine
    return store


def deferred_store(home: Path, db_url: str | None = None) -> Store:
    """A store whose engine opens on first use, when `home` holds a SQLite database at the
    current schema (checked with one plain query); otherwise opened now, like `open_store`,
    so a new, old or unusable database is migrated or reported before the caller goes on."""
    store = Store(home, db_url)
    path = home / SQLITE_FILE
    if db_url is None and _is_current(path):
        store._plain_file = path
    else:
        _ = store.engine
    return store


def _is_current(path: Path) -> bool:
    if not path.is_file():
        return False
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
        try:
            found = {int(v) for (v,) in conn.execute("SELECT version FROM schema_version")}
        finally:
            conn.close()
    except (sqlite3.Error, ValueError, TypeError):
        return False
    return found == KNOWN_VERSIONS


def _open_engine(home: Path, db_url: str | None) -> Engine:
    from zcreview.storage import audit_anchor
    from zcreview.storage.engine import make_engine, private_home, private_sqlite_file, sqlite_url
    from zcreview.storage.migrations import migrate
    from zcreview.storage.scratch import clean_stale_scratch

    private_home(home)
    if not db_url:
        private_sqlite_file(home / SQLITE_FILE)
    clean_stale_scratch(home)  # what a killed import left behind
    engine = make_engine(db_url or sqlite_url(home))
    migrate(engine)
    # The audit chain is anchored in the home, outside the database it protects.
    audit_anchor.register(engine, home)
    return engine
