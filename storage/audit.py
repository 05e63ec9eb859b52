"""The append-only audit log: append an entry to the hash chain, read it, verify it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.review_tables import HEAD_ID, AuditHeadRow, AuditRow
from storage.tables import utcnow
from zcreview.domain.audit import (
    AuditEntry,
    AuditProblem,
    AuditReport,
    StoredEntry,
    canonical_json,
    entry_hash,
    verify_chain,
)

__all__ = ["AuditReport", "append", "entries", "verify_audit"]


def append(
    *,
    session: Session,
    actor: str,
    action: str,
    application_id: str | None = None,
    payload: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditRow:
    """Append one entry in the caller's transaction (the caller commits).

    The first statement bumps the one-row chain head. That write takes the row lock on
    PostgreSQL and the database write lock on SQLite, so concurrent appenders queue up behind it
    and each links to the entry committed before it; a rolled-back append leaves no gap.
    """
    bumped = session.execute(
        update(AuditHeadRow)
        .where(col(AuditHeadRow.id) == HEAD_ID)
        .values(last_seq=AuditHeadRow.last_seq + 1)
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount != 1:  # type: ignore[attr-defined]
        raise RuntimeError("审计日志链头缺失，数据库结构不完整")
    head = session.exec(
        select(AuditHeadRow)
        .where(col(AuditHeadRow.id) == HEAD_ID)
        .execution_options(populate_existing=True)
    ).one()
    seq = head.last_seq
    body = dict(payload or {})
    entry = AuditEntry(
        seq=seq,
        at=now or utcnow(),
        actor=actor,
        action=action,
        application_id=application_id,
        payload=body,
    )
    digest = entry_hash(head.last_hash, entry)
    row = AuditRow(
        seq=seq,
        at=entry.at,
        actor=actor,
        action=action,
        application_id=application_id,
        payload=canonical_json(body),
        prev_hash=head.last_hash,
        hash=digest,
    )
    session.add(row)
    head.last_hash = digest
    session.add(head)
    session.flush()
    return row


def _stored(row: AuditRow) -> StoredEntry:
    try:
        payload = json.loads(row.payload)
    except ValueError:
        payload = {"<unreadable>": row.payload}
    if not isinstance(payload, dict):
        payload = {"<not an object>": payload}
    entry = AuditEntry(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        application_id=row.application_id,
        payload=payload,
    )
    return StoredEntry(entry=entry, prev_hash=row.prev_hash, hash=row.hash)


def _iter_rows(session: Session, batch: int = 2000) -> Iterator[AuditRow]:
    last = 0
    while True:
        rows = session.exec(
            select(AuditRow)
            .where(col(AuditRow.seq) > last)
            .order_by(col(AuditRow.seq))
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify_audit(session: Session) -> AuditReport:
    """Check the whole chain: edited, deleted (gap, broken link, cut tail) or reordered entries."""
    head = session.get(AuditHeadRow, HEAD_ID, populate_existing=True)
    if head is None:
        return AuditReport(0, 0, (AuditProblem(0, "truncated", "审计日志链头缺失"),))
    anchor = (head.last_seq, head.last_hash)
    return verify_chain((_stored(r) for r in _iter_rows(session)), anchor)


def entries(
    *, session: Session, application_id: str | None = None, limit: int = 200
) -> list[AuditRow]:
    """The newest entries first, optionally of one application (for a history panel)."""
    stmt = select(AuditRow).order_by(col(AuditRow.seq).desc()).limit(limit)
    if application_id is not None:
        stmt = stmt.where(col(AuditRow.application_id) == application_id)
    return list(session.exec(stmt).all())


def payload_of(row: AuditRow) -> dict[str, Any]:
    """The entry's payload as a dict (empty if unreadable)."""
    try:
        value = json.loads(row.payload)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
