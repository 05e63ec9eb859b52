"""What every hub resource shares: the database, the blob directory, the write turn, upload
locks, and the few lookups several resources make (an office by code, which blobs an office may
read)."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Self

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, create_engine, or_, select

from zcreview.hub.errors import HubError
from zcreview.hub.locks import file_lock
from zcreview.protocol import OfficeInfo
from zcreview.storage.blobs import BlobStore, valid_digest
from zcreview.storage.engine import (
    is_sqlite,
    make_engine,
    normalise_url,
    private_home,
    private_sqlite_file,
)
from zcreview.storage.hub_admin import ContactRecorder
from zcreview.storage.migrations import migrate
from zcreview.storage.sync_tables import (
    HubBlobRef,
    HubCounter,
    HubDelivery,
    HubOffice,
    HubOfficeBlob,
)

SEQ = "seq"
PAGE_MAX = 500
POOL_SIZE = 40
"""PostgreSQL connections kept open: one per worker thread of the server (anyio's default 40), so
a burst of offices never waits for a connection while the database is idle."""
RACE_RETRIES = 3
"""A keyed insert that lost a race with another writer is looked at again this many times."""
CRASH_ENV = "ZCREVIEW_HUB_CRASH_AT"
"""Fault tests name a point here (chunk_written, committed) to have the hub killed there."""


def crash_point(name: str) -> None:
    # SIGKILL, not an exception: the point is to prove recovery from a real power cut.
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def office_info(row: HubOffice) -> OfficeInfo:
    return OfficeInfo(
        name=row.name,
        credit_code=row.credit_code,
        office_type=row.office_type,
        office_level=row.office_level,
    )


def check_replay(owner_id: int, office: HubOffice, same: bool, what: str) -> None:
    """A replayed keyed write: the key must be this office's, and the content the same."""
    if owner_id != office.id:
        raise HubError("forbidden", f"该{what}属于其他单位", "belongs to another office")
    if not same:
        raise HubError(
            "conflict",
            f"同一{what}编号已用于不同的内容（已封存的内容不能修改）",
            "same id, different content",
        )


class HubBase:
    """Hub state: a database (offices, paths, batches …) and a content-addressed blob directory."""

    def __init__(self, engine: Engine, data_dir: Path, *, isolate_offices: bool = True) -> None:
        self.engine = engine
        self.data_dir = data_dir
        self.blobs = BlobStore(data_dir / "blobs")
        self.partial_dir = data_dir / "partial"
        self.partial_dir.mkdir(parents=True, exist_ok=True)
        # False only for the rules run inside one office's own database (folder bundles): the
        # bundle's bytes are verified before they run, and there is no other office to keep out.
        self.isolate_offices = isolate_offices
        for stray in self.partial_dir.iterdir():
            if stray.is_file():  # a per-blob partial from before uploads were kept per office
                stray.unlink(missing_ok=True)
        # SQLite has one writer at a time anyway; taking turns here spares the busy-wait. On
        # PostgreSQL writers run side by side: primary keys and unique constraints refuse a
        # second copy of a keyed row (the loser looks again), and the counter row lock orders
        # commits, so sequence numbers are handed out in commit order and cursors never skip.
        self._serialise = is_sqlite(engine)
        self._write_lock = threading.Lock()
        self.contacts = ContactRecorder(engine)
        with self._write(), Session(engine) as s:
            if s.get(HubCounter, SEQ) is None:
                s.add(HubCounter(name=SEQ, value=0))
                with contextlib.suppress(IntegrityError):  # another process made it first
                    s.commit()

    @classmethod
    def open(cls, data_dir: Path, db_url: str | None = None) -> Self:
        """Open (creating and migrating) a hub whose data lives in `data_dir`."""
        private_home(data_dir)
        if not db_url:
            private_sqlite_file(data_dir / "hub.db")
        url = normalise_url(db_url or f"sqlite:///{(data_dir / 'hub.db').resolve()}")
        if url.startswith("sqlite"):
            engine = make_engine(url)
        else:
            engine = create_engine(
                url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=10, pool_timeout=60
            )
        migrate(engine)
        return cls(engine, data_dir)

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[None]:
        if not self._serialise:
            yield
            return
        with self._write_lock:
            yield

    def _upload_lock(self, office_id: int, blob_id: str) -> AbstractContextManager[None]:
        """One writer per office upload on SQLite, across threads and processes of a host."""
        # 256 lock files per office at most: uploads sharing a prefix just take turns.
        lock_file = self.partial_dir / str(office_id) / "locks" / f"{blob_id[:2]}.lock"
        return file_lock(lock_file)

    def _office_by_code(self, s: Session, code: str) -> HubOffice:
        row = s.exec(select(HubOffice).where(HubOffice.credit_code == code)).first()
        if row is None:
            raise HubError("unknown_office", f"单位 {code} 未在上报服务器登记", "unknown office")
        return row

    def _partial(self, office_id: int, blob_id: str) -> Path:
        return self.partial_dir / str(office_id) / blob_id

    def _present(self, s: Session, office: HubOffice, blob_ids: list[str]) -> set[str]:
        """The blobs held here that count as this office's: it uploaded them itself, or a
        revision it sent or received names them. Naming a hash in an offer is not enough.
        """
        held = {b for b in blob_ids if self.blobs.has(b)}
        if not held or not self.isolate_offices:
            return held
        owned = set(
            s.exec(
                select(HubOfficeBlob.blob_id).where(
                    col(HubOfficeBlob.blob_id).in_(held),
                    HubOfficeBlob.office_id == office.id,
                    col(HubOfficeBlob.owned).is_(True),
                )
            ).all()
        )
        rest = held - owned
        if not rest:
            return owned
        travelled = s.exec(
            select(HubBlobRef.sha256)
            .join(
                HubDelivery,
                (col(HubBlobRef.application_id) == col(HubDelivery.application_id))
                & (col(HubBlobRef.revision) == col(HubDelivery.revision)),
            )
            .where(
                col(HubBlobRef.sha256).in_(rest),
                or_(
                    col(HubDelivery.to_office_id) == office.id,
                    col(HubDelivery.from_office_id) == office.id,
                ),
            )
            .distinct()
        ).all()
        return owned | set(travelled)

    def _may_read(self, office: HubOffice, blob_id: str) -> bool:
        with Session(self.engine) as s:
            return blob_id in self._present(s, office, [blob_id])

    @staticmethod
    def _not_found() -> HubError:
        # The one answer for a blob that does not exist and for one this office may not see.
        return HubError("unknown_blob", "服务器上没有这个附件", "blob not found")

    @staticmethod
    def _check_digest(blob_id: str) -> None:
        if not valid_digest(blob_id):
            raise HubError("bad_blob_id", "附件编号应为 64 位小写十六进制 SHA-256", "bad blob id")
