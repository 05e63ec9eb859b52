"""Review tables (schema v2, v13): returns and their items, draft flags, decisions, claims, audit log."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, inspect, select, text
from sqlalchemy.engine import Connection
from sqlmodel import Field, Session, SQLModel

from zcreview.domain.audit import GENESIS
from zcreview.storage.migrations import Migration, create_tables, register
from zcreview.storage.tables import utcnow


def new_id() -> str:
    return str(uuid.uuid4())


class ReturnRow(SQLModel, table=True):
    """A return notice (一次性告知): the revision it judged, the deadline, the text sent."""

    __tablename__ = "review_return"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    application_id: str = Field(index=True, max_length=36)
    revision: str = Field(max_length=64)  # the revision the items refer to
    reviewer: str
    office_name: str = ""
    deadline: date
    created_at: datetime = Field(default_factory=utcnow)
    notice_text: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="open", index=True)  # open / answered / expired
    origin: str = "office"  # office (this office returned it) / above (the upper office did)
    answered_revision: str | None = Field(default=None, max_length=64)
    closed_at: datetime | None = None


class CorrectionItemRow(SQLModel, table=True):
    """One item of a return notice, in the order the notice lists it."""

    __tablename__ = "review_correction_item"
    id: int | None = Field(default=None, primary_key=True)
    return_id: str = Field(index=True, foreign_key="review_return.id", max_length=36)
    position: int
    field_path: str
    label: str
    reason_id: str
    reason: str
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class FlagRow(SQLModel, table=True):
    """A reviewer's draft flag on an item; a return turns the flags into its items."""

    __tablename__ = "review_flag"
    __table_args__ = (UniqueConstraint("application_id", "reviewer", "field_path"),)
    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(index=True, max_length=36)
    reviewer: str
    field_path: str
    label: str = ""
    reason_id: str = ""
    reason: str = ""
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class DecisionRow(SQLModel, table=True):
    """A decision by a named reviewer (实名制): pass, return, reopen, or the deadline's expire."""

    __tablename__ = "review_decision"
    __table_args__ = (Index("ix_review_decision_app_at", "application_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(max_length=36)
    revision: str = Field(max_length=64)
    reviewer: str
    action: str  # pass / return / reopen / expire
    at: datetime = Field(default_factory=utcnow)
    return_id: str | None = Field(default=None, max_length=36)


class ClaimRow(SQLModel, table=True):
    """What an open claim interrupted, so releasing it puts the application back where it was.

    The holder and lease themselves live on ApplicationRow, where the queue reads them.
    """

    __tablename__ = "review_claim"
    application_id: str = Field(primary_key=True, max_length=36)
    reviewer: str
    resume_state: str
    claimed_at: datetime = Field(default_factory=utcnow)


class AuditRow(SQLModel, table=True):
    """An append-only, hash-chained record of every action.

    `seq` is assigned by the writer under the chain lock rather than by the database: sequences
    skip numbers on rollback, and a gap must mean a deleted entry.
    """

    __tablename__ = "audit_log"
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(default_factory=utcnow)
    actor: str
    action: str = Field(index=True)
    application_id: str | None = Field(default=None, index=True, max_length=36)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    mac: str = Field(default="", max_length=64)
    """HMAC of `hash` under the office's key (`storage.audit_anchor`); empty before v13."""


class AuditHeadRow(SQLModel, table=True):
    """The chain's tail (one row). Writers lock it to serialise appends; it also anchors the end
    of the chain, so entries deleted from the end are noticed."""

    __tablename__ = "audit_head"
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_seq: int = 0
    last_hash: str = Field(default=GENESIS, max_length=64)


REVIEW_TABLES = [
    ReturnRow,
    CorrectionItemRow,
    FlagRow,
    DecisionRow,
    ClaimRow,
    AuditRow,
    AuditHeadRow,
]

HEAD_ID = 1


def _create_v2(conn: Connection) -> None:
    create_tables(*REVIEW_TABLES)(conn)
    conn.execute(
        AuditHeadRow.__table__.insert().values(  # type: ignore[attr-defined]
            id=HEAD_ID, last_seq=0, last_hash=GENESIS
        )
    )


register(
    Migration(
        2, "review: returns, correction items, flags, decisions, claims, audit log", _create_v2
    )
)


def _add_audit_mac(conn: Connection) -> None:
    """The MAC column (absent on databases made before v13), a baseline entry with every
    application's state and version, so a replay of the log starts from what was there, and the
    hub's table of the heads offices send."""
    from zcreview.storage.sync_tables import HubAuditHead

    create_tables(HubAuditHead)(conn)
    if "mac" not in {c["name"] for c in inspect(conn).get_columns("audit_log")}:
        conn.execute(text("ALTER TABLE audit_log ADD COLUMN mac VARCHAR(64) NOT NULL DEFAULT ''"))
    from zcreview.storage import audit  # the chain writer, once its tables exist
    from zcreview.storage.tables import ApplicationRow

    rows = conn.execute(
        select(ApplicationRow.id, ApplicationRow.state, ApplicationRow.version)  # type: ignore[call-overload]
    ).all()
    if not rows:
        return
    with Session(bind=conn) as session:
        audit.append(
            session=session,
            actor="系统",
            action="baseline",
            payload={"states": {i: [state, version] for i, state, version in rows}},
        )
        session.commit()  # joins the migration's transaction, which commits it


register(
    Migration(13, "audit: entry MACs, baseline of states, heads held by the hub", _add_audit_mac)
)
