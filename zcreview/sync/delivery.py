"""Drive a sealed 数据上报 batch to a stored receipt: chunks sized to the link, resumable after a cut.

A drive offers the batch, uploads what the hub lacks in chunks, commits and stores the receipt;
any step may be cut and the next drive resumes where the hub says it stands.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session, select

from zcreview.domain.workflow import State
from zcreview.protocol import (
    DEFAULT_CHUNK,
    MAX_CHUNK,
    MIN_CHUNK,
    BlobNeed,
    Manifest,
    Receipt,
)
from zcreview.storage import transitions
from zcreview.storage.blobs import BlobStore
from zcreview.storage.store import Store
from zcreview.storage.sync_tables import OutboxBatch, OutboxItem
from zcreview.storage.tables import ApplicationRow, utcnow
from zcreview.sync.outbox import DONE_STATES, unfinished_batches
from zcreview.sync.transport import (
    AwaitingReceipt,
    Cancelled,
    ChunkRejected,
    OffsetMismatch,
    Refused,
    SyncError,
    Transport,
)

# Each chunk waits for its answer before the next goes, so every chunk costs one round trip
# of idle link. Chunks sized to take about CHUNK_SECONDS at the measured rate keep that idle
# share small (300 ms each way on a 256 kbit/s link: ~90 % goodput, where 64 KiB chunks gave
# 80 %) while a cut still loses at most one chunk (sync.md: ≤ one chunk re-sent after a cut).
CHUNK_SECONDS = 6.0
CHUNK_ALIGN = 4096
MAX_CHUNK_REJECTIONS = 5
MAX_COMMIT_ATTEMPTS = 3


@dataclass(frozen=True)
class BatchProgress:
    """What the outbox screen shows for one batch."""

    batch_id: str
    state: str
    bytes_sent: int
    bytes_total: int
    rate: float  # bytes per second since this drive began
    seconds_left: float | None
    message: str = ""


Progress = Callable[[BatchProgress], None]


class _Driver:
    """One drive of one batch; keeps the bookkeeping out of `drive`'s outline."""

    def __init__(
        self,
        store: Store,
        batch: OutboxBatch,
        transport: Transport,
        progress: Progress | None,
        cancel: threading.Event | None,
    ) -> None:
        self.store = store
        self.batch_id = batch.batch_id
        self.state = batch.state
        self.sent = batch.bytes_sent
        self.total = batch.bytes_total
        self.transport = transport
        self.progress = progress
        self.cancel = cancel
        self.started = time.monotonic()
        self.sent_this_run = 0
        self.chunk = DEFAULT_CHUNK

    def save(self, state: str | None = None, error: str = "") -> None:
        with self.store.session() as s:
            row = s.get(OutboxBatch, self.batch_id)
            assert row is not None
            if state is not None:
                row.state = self.state = state
            row.bytes_sent, row.bytes_total = self.sent, self.total
            row.last_error = error
            row.updated_at = utcnow()
            s.add(row)
            s.commit()
        self.report()

    def report(self, message: str = "") -> None:
        if self.progress is None:
            return
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.sent_this_run / elapsed
        left = (self.total - self.sent) / rate if rate > 0 else None
        self.progress(
            BatchProgress(self.batch_id, self.state, self.sent, self.total, rate, left, message)
        )

    def offered(self, missing: list[BlobNeed]) -> None:
        remaining = sum(n.size - n.have for n in missing)
        if self.state == "sealed":
            # Bytes to send are what the receiver lacks, not what the batch names.
            self.total = remaining
        self.sent = max(0, self.total - remaining)
        self.save("offered")

    def upload(self, blobs: BlobStore, need: BlobNeed) -> None:
        offset = need.have
        rejections = 0
        with blobs.path(need.sha256).open("rb") as f:
            while offset < need.size:
                if self.cancel is not None and self.cancel.is_set():
                    raise Cancelled()
                f.seek(offset)
                size = min(self.chunk, need.size - offset)
                if need.size - offset - size < MIN_CHUNK:
                    # A short tail would cost a round trip of its own: send it with this chunk.
                    size = min(MAX_CHUNK, need.size - offset)
                data = f.read(size)
                began = time.monotonic()
                try:
                    new_offset = self.transport.upload_chunk(need.sha256, offset, data)
                except OffsetMismatch as exc:
                    # A lost answer or another sender: continue from what the hub holds.
                    self.sent += exc.offset - offset
                    offset = exc.offset
                    continue
                except ChunkRejected:
                    rejections += 1
                    if rejections >= MAX_CHUNK_REJECTIONS:
                        raise SyncError(
                            f"附件 {need.sha256[:12]} 多次校验失败，请检查网络"
                        ) from None
                    continue
                took = max(time.monotonic() - began, 1e-6)
                wanted = int(len(data) / took * CHUNK_SECONDS) // CHUNK_ALIGN * CHUNK_ALIGN
                # Grow at most twofold per chunk: one fast answer is not yet a fast link.
                self.chunk = max(MIN_CHUNK, min(MAX_CHUNK, wanted, self.chunk * 2))
                self.sent += new_offset - offset
                self.sent_this_run += new_offset - offset
                offset = new_offset
                self.save()


def drive(
    batch_id: str,
    transport: Transport,
    store: Store,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Receipt:
    """Move a batch from whatever state it is in to a stored receipt and return the receipt.

    Safe to call again after a crash at any point: the offer and commit are idempotent on the
    hub, uploads resume from the hub's offsets, and the batch is marked done only in the
    transaction that stores the receipt. Raises Refused, Cancelled or SyncError.
    """
    with store.session() as s:
        batch = s.get(OutboxBatch, batch_id)
        if batch is None:
            raise SyncError(f"没有这个批次：{batch_id}")
        if batch.state in DONE_STATES and batch.receipt is not None:
            return Receipt.model_validate_json(batch.receipt)
    # A receipt stored without the batch being done (a restored database, a state reset by
    # hand): the hub then confirms it in a few bytes instead of sending it again.
    held = Receipt.model_validate_json(batch.receipt) if batch.receipt is not None else None
    manifest = Manifest.model_validate_json(batch.manifest)
    driver = _Driver(store, batch, transport, progress, cancel)
    try:
        for attempt in range(MAX_COMMIT_ATTEMPTS):
            answer = transport.offer(manifest)
            driver.offered(answer.missing)
            if answer.missing and not answer.committed:
                driver.save("uploading")
                for need in answer.missing:
                    driver.upload(store.blobs, need)
            driver.save("committing")
            try:
                receipt = transport.commit(batch_id, held)
            except Refused as exc:
                # Blobs vanished between offer and commit (a hub restored from backup):
                # offer again and send what is missing.
                if exc.code == "blobs_missing" and attempt + 1 < MAX_COMMIT_ATTEMPTS:
                    continue
                raise
            apply_receipt(store, batch_id, receipt)
            driver.state = "partly_rejected" if receipt.rejected else "acknowledged"
            driver.report()
            return receipt
        raise SyncError("附件反复丢失，批次未能确认")
    except SyncError as exc:
        driver.save(error=str(exc))
        raise


def apply_receipt(store: Store, batch_id: str, receipt: Receipt) -> None:
    """Store the receipt and its outcomes in one transaction.

    Accepted applications become 已上报; refused ones stay 通过未上报 (back in the queue) with the
    hub's reasons on their outbox item.
    """
    with store.session() as s:
        batch = s.get(OutboxBatch, batch_id)
        assert batch is not None
        if batch.state in DONE_STATES:
            return
        items = {
            i.application_id: i
            for i in s.exec(select(OutboxItem).where(OutboxItem.batch_id == batch_id)).all()
        }
        for result in receipt.results:
            app_id = str(result.application_id)
            item = items.get(app_id)
            if item is None:
                continue
            item.outcome = "accepted" if result.accepted else "rejected"
            item.reasons = json.dumps(result.reasons, ensure_ascii=False)
            item.seq = result.seq
            s.add(item)
            if result.accepted:
                _mark_reported(s, app_id, receipt.to_office.name, batch_id, result.seq)
        batch.receipt = receipt.model_dump_json()
        batch.state = "partly_rejected" if receipt.rejected else "acknowledged"
        batch.bytes_sent = batch.bytes_total
        batch.last_error = ""
        batch.updated_at = utcnow()
        s.add(batch)
        s.commit()


def _mark_reported(s: Session, app_id: str, by: str, batch_id: str, seq: int | None) -> None:
    """通过未上报 → 已上报 through the state writer, so 数据上报 enters the audit chain; a claim
    renewed at the same moment only makes it read the row again."""
    for _ in range(3):
        row = s.get(ApplicationRow, app_id, populate_existing=True)
        if row is None or row.state != State.PASSED.value:
            return
        try:
            transitions.move(
                row,
                by,
                "report",
                State.REPORTED,
                session=s,
                now=utcnow(),
                payload={"batch_id": batch_id, "seq": seq},
            )
            return
        except transitions.VersionConflict:
            continue


@dataclass(frozen=True)
class DriveResult:
    batch_id: str
    receipt: Receipt | None
    error: str = ""
    waiting: bool = False  # written as a folder bundle; the receipt has not come back yet


def drive_all(
    transport: Transport,
    store: Store,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> list[DriveResult]:
    """Drive every unfinished batch, oldest first; a refused batch does not stop the others."""
    with store.session() as s:
        ids = [b.batch_id for b in unfinished_batches(s)]
    results = []
    for batch_id in ids:
        try:
            results.append(
                DriveResult(batch_id, drive(batch_id, transport, store, progress, cancel))
            )
        except Refused as exc:
            results.append(DriveResult(batch_id, None, str(exc)))
        except AwaitingReceipt as exc:
            results.append(DriveResult(batch_id, None, str(exc), waiting=True))
    return results
