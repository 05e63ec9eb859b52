"""The office outbox: which paths may report, and sealing a 数据上报 batch from passed applications."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Literal

from sqlmodel import Session, col, select

from zcreview.domain.workflow import State
from zcreview.protocol import (
    BlobRef,
    Manifest,
    ManifestEntry,
)
from zcreview.storage.blobs import BlobStore
from zcreview.storage.sync_tables import InboxEntry, OutboxBatch, OutboxItem, SyncPath
from zcreview.storage.tables import ApplicationRow, AttachmentRow, RevisionRow
from zcreview.sync.transport import (
    SyncError,
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


class SealError(SyncError):
    """A batch cannot be sealed; the message explains what to do."""


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
