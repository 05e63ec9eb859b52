"""The hub's own audit trail: offices and tokens, paths, commits and returns, hash-chained.

The same chain as an office's log (`zcreview.domain.audit`): each entry's hash covers the one
before it and its own sequence number, and a one-row head records the last entry, so an edited,
deleted, reordered or truncated entry shows. An entry is appended in the transaction of the
change it records, so a commit and its entry stand or fall together.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Text, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Field, Session, SQLModel, col, select

from zcreview.domain.audit import (
    GENESIS,
    AuditEntry,
    AuditReport,
    StoredEntry,
    canonical_json,
    entry_hash,
    verify_chain,
)
from zcreview.storage.migrations import Migration, create_tables, register
from zcreview.storage.tables import utcnow

ADMIN = "管理员"
"""The actor of what the administrator did at the hub's command line."""


class HubAuditRow(SQLModel, table=True):
    """One entry of the hub's trail. `subject` is the office code, path, batch or return id."""

    __tablename__ = "hub_trail"
    seq: int = Field(primary_key=True, sa_type=BigInteger)
    at: datetime
    actor: str
    action: str = Field(index=True)
    subject: str | None = Field(default=None, index=True)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class HubAuditHead(SQLModel, table=True):
    """The one-row head: the last sequence number and hash the trail wrote."""

    __tablename__ = "hub_trail_head"
    id: int = Field(primary_key=True)
    last_seq: int = Field(default=0, sa_type=BigInteger)
    last_hash: str = Field(default=GENESIS, max_length=64)


def _create(conn: Connection) -> None:
    create_tables(HubAuditRow, HubAuditHead)(conn)
    conn.execute(
        HubAuditHead.__table__.insert().values(id=1, last_seq=0, last_hash=GENESIS)  # type: ignore[attr-defined]
    )


register(Migration(18, "hub: hash-chained audit trail", _create))


def append(
    session: Session,
    actor: str,
    action: str,
    subject: str | None = None,
    payload: Mapping[str, Any] | None = None,
) -> None:
    """Append one entry in the caller's transaction (the caller commits).

    Bumping the head first takes its row lock (PostgreSQL) or the write lock (SQLite), so
    appenders from every hub process queue up and each links to the entry committed before it.
    """
    # One statement takes the head's lock, moves it on and reads it back.
    last_seq, last_hash = session.execute(
        update(HubAuditHead)
        .where(col(HubAuditHead.id) == 1)
        .values(last_seq=HubAuditHead.last_seq + 1)
        .returning(col(HubAuditHead.last_seq), col(HubAuditHead.last_hash))
        .execution_options(synchronize_session=False)
    ).one()
    body = dict(payload or {})
    entry = AuditEntry(
        seq=last_seq,
        at=utcnow(),
        actor=actor,
        action=action,
        application_id=subject,
        payload=body,
    )
    digest = entry_hash(last_hash, entry)
    session.add(
        HubAuditRow(
            seq=entry.seq,
            at=entry.at,
            actor=actor,
            action=action,
            subject=subject,
            payload=canonical_json(body),
            prev_hash=last_hash,
            hash=digest,
        )
    )
    session.execute(
        update(HubAuditHead)
        .where(col(HubAuditHead.id) == 1)
        .values(last_hash=digest)
        .execution_options(synchronize_session=False)
    )


def _stored(row: HubAuditRow) -> StoredEntry:
    try:
        payload = json.loads(row.payload)
    except ValueError:
        payload = {"unreadable": row.payload}
    return StoredEntry(
        entry=AuditEntry(
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            action=row.action,
            application_id=row.subject,
            payload=payload,
        ),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def _rows(session: Session, batch: int = 2000) -> Iterator[HubAuditRow]:
    after = 0
    while True:
        rows = session.exec(
            select(HubAuditRow)
            .where(col(HubAuditRow.seq) > after)
            .order_by(col(HubAuditRow.seq))
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq


def verify(engine: Engine) -> AuditReport:
    """Check the whole trail against its hashes and its head."""
    with Session(engine) as s:
        head = s.get(HubAuditHead, 1)
        mark = (head.last_seq, head.last_hash) if head is not None else None
        return verify_chain((_stored(r) for r in _rows(s)), mark)


def recent(engine: Engine, limit: int = 50) -> list[HubAuditRow]:
    """The newest entries, newest last."""
    with Session(engine) as s:
        rows = s.exec(select(HubAuditRow).order_by(col(HubAuditRow.seq).desc()).limit(limit)).all()
    return list(reversed(rows))
