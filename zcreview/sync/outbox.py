"""The office outbox: seal a 数据上报 batch, then drive it to a stored receipt, resumably."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session, col, select

from zcreview.domain.workflow import State
from zcreview.storage import transitions
from zcreview.storage.blobs import BlobStore
from zcreview.storage.store import Store
from zcreview.storage.sync_tables import InboxEntry, OutboxBatch, OutboxItem, SyncPath
from zcreview.storage.tables import ApplicationRow, AttachmentRow, RevisionRow, utcnow
from zcreview.sync.protocol import (
    DEFAULT_CHUNK,
    MAX_CHUNK,
    MIN_CHUNK,
    BlobNeed,
    BlobRef,
    Manifest,
    ManifestEntry,
    Receipt,
)
from zcreview.sync.transport import (
    AwaitingReceipt,
    Cancelled,
    ChunkRejected,
    OffsetMismatch,
    Refused,
    SyncError,
    Transport,
)

BatchState = Literal[
    "sealed", "offered", "uploading", "committing", "acknowledged", "partly_rejected"
]
DONE_STATES: frozenset[str] = frozenset({"acknowledged", "partly_rejected"})
STATE_LABELS: dict[str, str] = {
    "sealed": "已封存",
    "offered": "已提交清单",
    "uploading": "上传附件中",
    "committing": "确认中",
    "acknowledged": "已送达",
    "partly_rejected": "部分被拒",
}

# Each chunk waits for its answer before the next goes, so every chunk costs one round trip
# of idle link. Chunks sized to take about CHUNK_SECONDS at the measured rate keep that idle
# share small (300 ms each way on a 256 kbit/s link: ~90 % goodput, where 64 KiB chunks gave
# 80 %) while a cut still loses at most one chunk (sync.md: ≤ one chunk re-sent after a cut).
CHUNK_SECONDS = 6.0
CHUNK_ALIGN = 4096
MAX_CHUNK_REJECTIONS = 5
MAX_COMMIT_ATTEMPTS = 3


class SealError(SyncError):
    """A batch cannot be sealed; the message explains what to do."""


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


def approved_path(session: Session, series: str, level: str) -> SyncPath | None:
    """This office's approved path upward for a series and level (any year: paths are reused)."""
    return session.exec(
        select(SyncPath)
        .where(
            SyncPath.role == "lower",
            SyncPath.series == series,
            SyncPath.level == level,
            SyncPath.state == "approved",
        )
        .order_by(col(SyncPath.updated_at).desc())
    ).first()


def path_pending(session: Session, series: str, level: str) -> bool:
    """This office's path request upward for a series and level awaits the upper office."""
    found = session.exec(
        select(SyncPath.path_id).where(
            SyncPath.role == "lower",
            SyncPath.series == series,
            SyncPath.level == level,
            SyncPath.state == "pending",
        )
    ).first()
    return found is not None


def batch_state(session: Session, batch_id: str) -> tuple[str, str] | None:
    """A batch's state and last error, or None if there is no such batch."""
    batch = session.get(OutboxBatch, batch_id)
    return (batch.state, batch.last_error) if batch is not None else None


def open_batch_of(session: Session, app_id: str) -> str | None:
    """The unfinished batch this application is in, if any."""
    return session.exec(
        select(OutboxItem.batch_id)
        .join(OutboxBatch, col(OutboxBatch.batch_id) == col(OutboxItem.batch_id))
        .where(OutboxItem.application_id == app_id, col(OutboxBatch.state).not_in(DONE_STATES))
    ).first()


def _last_accepted(session: Session, app_id: str, to_code: str) -> str | None:
    """The revision the receiving office last accepted from us: the `supersedes` of the next."""
    return session.exec(
        select(OutboxItem.revision)
        .join(OutboxBatch, col(OutboxBatch.batch_id) == col(OutboxItem.batch_id))
        .where(
            OutboxItem.application_id == app_id,
            OutboxItem.outcome == "accepted",
            OutboxBatch.to_code == to_code,
        )
        .order_by(col(OutboxItem.seq).desc())
    ).first()


def _came_from_below(session: Session, app_id: str) -> bool:
    return (
        session.exec(select(InboxEntry.seq).where(InboxEntry.application_id == app_id)).first()
        is not None
    )


def _entry(session: Session, row: ApplicationRow, to_code: str) -> ManifestEntry:
    rev = session.exec(
        select(RevisionRow).where(
            RevisionRow.application_id == row.id, RevisionRow.revision == row.head_revision
        )
    ).one()
    blobs: dict[str, BlobRef] = {}
    for att in session.exec(
        select(AttachmentRow)
        .where(AttachmentRow.revision_id == rev.id)
        .order_by(col(AttachmentRow.id))
    ).all():
        blobs.setdefault(
            att.sha256,
            BlobRef(
                sha256=att.sha256,
                size=att.size,
                mime=att.mime or "application/octet-stream",
                name=att.name[:300],
            ),
        )
    last = _last_accepted(session, row.id, to_code)
    return ManifestEntry(
        application_id=uuid.UUID(row.id),
        revision=rev.revision,
        supersedes=last if last != rev.revision else None,
        series=row.series,
        level=row.level,
        year=row.year,
        blobs=list(blobs.values()),
        application=rev.body,
    )


def seal_batch(
    session: Session,
    app_ids: Sequence[str],
    year: int,
    level: str,
    series: str,
    reviewer: str,
    *,
    blobs: BlobStore | None = None,
) -> str:
    """Seal the given 通过未上报 applications into a batch for the approved path; its id.

    Raises SealError, explaining what to do, when no approved path is known for this series and
    level, or when an application is not ready (wrong state, other year/level/series, already in
    an unfinished batch, an attachment missing from `blobs`). The caller commits.
    """
    path = approved_path(session, series, level)
    if path is None:
        raise SealError(
            f"没有“{series}·{level}”的已审核通过路径，不能上报。请先申请路径："
            f"zcreview path request --series {series} --level {level} --upper 上级单位名称；"
            "已申请的，请等上级审核通过后运行 zcreview path list 刷新。"
        )
    if not app_ids:
        raise SealError("没有选择要上报的申报")
    problems: list[str] = []
    rows: list[ApplicationRow] = []
    for app_id in dict.fromkeys(app_ids):
        row = session.get(ApplicationRow, app_id)
        if row is None:
            problems.append(f"{app_id}：没有这份申报")
            continue
        who = f"{row.name}（{row.unit}）"
        if row.state != State.PASSED.value:
            problems.append(f"{who}：状态为“{row.state}”，只有“通过未上报”的申报可以上报")
        elif (row.year, row.level, row.series) != (year, level, series):
            problems.append(f"{who}：属于 {row.year} 年 {row.series}·{row.level}，不在本批次")
        elif (other := open_batch_of(session, row.id)) is not None:
            problems.append(f"{who}：已在未完成的批次 {other[:8]} 中")
        else:
            rows.append(row)
    if problems:
        raise SealError("以下申报不能上报：\n" + "\n".join(problems))
    entries = [_entry(session, row, path.upper_code) for row in rows]
    if blobs is not None:
        # Applications reported from below may go on up without their scans ever being
        # downloaded here: the receiver's hub already holds them.
        lost = sorted(
            {
                b.name or b.sha256[:12]
                for e in entries
                if not _came_from_below(session, str(e.application_id))
                for b in e.blobs
                if not blobs.has(b.sha256)
            }
        )
        if lost:
            raise SealError("本地附件缺失，无法上报：" + "、".join(lost[:10]))
    batch_id = str(uuid.uuid4())
    manifest = Manifest(
        batch_id=uuid.UUID(batch_id),
        to_office=path.upper_code,
        series=series,
        level=level,
        year=year,
        sealed_by=reviewer,
        entries=entries,
    )
    session.add(
        OutboxBatch(
            batch_id=batch_id,
            state="sealed",
            to_code=path.upper_code,
            to_name=path.upper_name,
            year=year,
            level=level,
            series=series,
            reviewer=reviewer,
            manifest=manifest.model_dump_json(),
            manifest_hash=manifest.digest(),
            bytes_total=sum(b.size for b in manifest.unique_blobs()),
        )
    )
    for entry in entries:
        session.add(
            OutboxItem(
                batch_id=batch_id,
                application_id=str(entry.application_id),
                revision=entry.revision,
                supersedes=entry.supersedes,
            )
        )
    return batch_id


def unfinished_batches(session: Session) -> list[OutboxBatch]:
    """Batches short of a stored receipt, oldest first (what `zcreview sync` drives)."""
    return list(
        session.exec(
            select(OutboxBatch)
            .where(col(OutboxBatch.state).not_in(DONE_STATES))
            .order_by(col(OutboxBatch.created_at))
        ).all()
    )


def batches(session: Session, limit: int = 200) -> list[OutboxBatch]:
    """Recent batches, newest first, for the outbox screen."""
    return list(
        session.exec(
            select(OutboxBatch).order_by(col(OutboxBatch.created_at).desc()).limit(limit)
        ).all()
    )


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
