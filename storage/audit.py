"""The append-only audit log: append an entry to the hash chain, read it, verify it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from zcreview.domain.audit import (
    AuditEntry,
    AuditProblem,
    AuditReport,
    StoredEntry,
    canonical_json,
    entry_hash,
    verify_chain,
)
from zcreview.storage import audit_anchor, audit_replay
from zcreview.storage.review_tables import HEAD_ID, AuditHeadRow, AuditRow
from zcreview.storage.tables import utcnow

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
    anchor = audit_anchor.anchor_of(session)
    if anchor is not None:
        audit_anchor.note_append(session, anchor, seq, digest)
    row = AuditRow(
        seq=seq,
        at=entry.at,
        actor=actor,
        action=action,
        application_id=application_id,
        payload=canonical_json(body),
        prev_hash=head.last_hash,
        hash=digest,
        mac=anchor.mac(digest) if anchor is not None else "",
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
    """Check the whole chain and what it protects.

    The chain: edited, deleted (gap, broken link, cut tail) or reordered entries. Outside the
    database (`storage.audit_anchor`): each entry's MAC under the office key (a re-hashed chain)
    and the head file (an end rolled back, a log emptied). Against the tables
    (`storage.audit_replay`): every application's state and version, and every decision, as the
    log's replay says they should be.
    """
    head = session.get(AuditHeadRow, HEAD_ID, populate_existing=True)
    if head is None:
        return AuditReport(0, 0, (AuditProblem(0, "truncated", "审计日志链头缺失"),))
    anchor = audit_anchor.anchor_of(session)
    recorded = anchor.read_head() if anchor is not None else None
    keyed_since = recorded.keyed_since if isinstance(recorded, audit_anchor.Head) else None
    replay = audit_replay.Replay()
    problems: list[AuditProblem] = []
    hashes: dict[int, str] = {}

    def walk() -> Iterator[StoredEntry]:
        for row in _iter_rows(session):
            stored = _stored(row)
            replay.feed(stored.entry)
            if isinstance(recorded, audit_anchor.Head) and row.seq == recorded.seq:
                hashes[row.seq] = row.hash
            keyed = bool(row.mac) or (keyed_since is not None and row.seq >= keyed_since)
            if anchor is not None and keyed and not anchor.mac_ok(row.hash, row.mac):
                problems.append(
                    AuditProblem(row.seq, "forged", "校验码与本单位密钥不符（条目被改写或重算）")
                )
            yield stored

    report = verify_chain(walk(), (head.last_seq, head.last_hash))
    problems += _anchor_problems(recorded, anchor, report.last_seq, hashes)
    problems += replay.compare(session)
    return AuditReport(report.count, report.last_seq, report.problems + tuple(problems))


def _anchor_problems(
    recorded: audit_anchor.Head | str | None,
    anchor: audit_anchor.Anchor | None,
    last_seq: int,
    hashes: dict[int, str],
) -> list[AuditProblem]:
    if anchor is None:
        return []
    if isinstance(recorded, str):
        return [AuditProblem(0, "anchor", recorded)]
    if recorded is None:
        if last_seq > 0 and anchor.has_key():
            return [AuditProblem(0, "anchor", f"{anchor.head_path} 缺失：无法确认日志末尾未被删除")]
        return []
    if last_seq < recorded.seq:
        return [
            AuditProblem(
                recorded.seq,
                "truncated",
                f"本机记录的链尾为第 {recorded.seq} 条，日志只到第 {last_seq} 条（末尾被删除或回退）",
            )
        ]
    if hashes.get(recorded.seq) != recorded.hash:
        return [
            AuditProblem(
                recorded.seq,
                "edited",
                f"第 {recorded.seq} 条与本机记录的链尾哈希不符（日志被重写）",
            )
        ]
    return []


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
