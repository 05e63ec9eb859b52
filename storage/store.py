"""An opened office store: its engine (migrated) and its blob store, from home dir and URL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from zcreview.storage import audit_anchor
from zcreview.storage.blobs import BlobStore
from zcreview.storage.engine import (
    make_engine,
    private_home,
    private_sqlite_file,
    session,
    sqlite_url,
)
from zcreview.storage.migrations import migrate
from zcreview.storage.scratch import clean_stale_scratch


@dataclass
class Store:
    engine: Engine
    blobs: BlobStore
    home: Path

    def session(self) -> Session:
        return session(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(home: Path, db_url: str | None = None) -> Store:
    """Open (creating and migrating) the office database and blob store under `home`."""
    private_home(home)
    if not db_url:
        private_sqlite_file(home / "office.db")
    clean_stale_scratch(home)  # what a killed import left behind
    engine = make_engine(db_url or sqlite_url(home))
    migrate(engine)
    # The audit chain is anchored in the home, outside the database it protects.
    audit_anchor.register(engine, home)
    return Store(engine=engine, blobs=BlobStore(home / "blobs"), home=home)
