"""Hub administration: office tokens (rotate, revoke), access (disable, enable), names, status.

Only the SHA-256 of a token is stored, so a rotated token is printed once and a revoked one is
replaced by the hash of a secret nobody holds. The hub records each office's last contact (at most
once a minute per office, so a busy office does not turn every read into a write).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from zcreview.storage import hub_audit
from zcreview.storage.migrations import Migration, create_tables, register
from zcreview.storage.sync_tables import HubBatch, HubDelivery, HubOffice, HubReturn
from zcreview.storage.tables import utcnow

CONTACT_EVERY_S = 60.0


class HubContact(SQLModel, table=True):
    """When an office last reached the hub with a valid token."""

    __tablename__ = "hub_contact"
    office_id: int = Field(primary_key=True)
    last_seen: datetime = Field(default_factory=utcnow)


register(Migration(17, "hub: last contact of each office", create_tables(HubContact)))


class AdminError(Exception):
    """An administration request that cannot be done; the message is for the user (Chinese)."""


@dataclass(frozen=True)
class OfficeStatus:
    credit_code: str
    name: str
    office_type: str
    office_level: str
    active: bool
    last_seen: datetime | None
    batches_open: int
    """Batches offered by the office and not committed (uploads under way or abandoned)."""
    batches_committed: int
    inbox_behind: int
    """Deliveries to the office past the cursor it acknowledged."""
    returns_behind: int


def new_token() -> tuple[str, str]:
    """A fresh token and its stored hash."""
    token = secrets.token_urlsafe(32)
    return token, hashlib.sha256(token.encode()).hexdigest()


def _office(s: Session, code: str) -> HubOffice:
    row = s.exec(select(HubOffice).where(HubOffice.credit_code == code)).first()
    if row is None:
        raise AdminError(f"上报中心没有登记统一社会信用代码为 {code} 的单位")
    return row


def _replace_token(engine: Engine, code: str, digest: str, action: str) -> None:
    with Session(engine) as s:
        row = _office(s, code)
        row.token_hash = digest
        s.add(row)
        hub_audit.append(s, hub_audit.ADMIN, action, code)
        s.commit()


def rotate_token(engine: Engine, code: str) -> str:
    """Give the office a new token (returned once); the old one stops working at once."""
    token, digest = new_token()
    _replace_token(engine, code, digest, "office.rotate")
    return token


def revoke_token(engine: Engine, code: str) -> None:
    """Make the office's token worthless (the hash of a secret nobody holds); `rotate_token`
    issues a new one when needed."""
    _replace_token(engine, code, new_token()[1], "office.revoke")


def set_active(engine: Engine, code: str, active: bool) -> None:
    """Disable (refuse every request of) or enable an office; its token and data are kept."""
    with Session(engine) as s:
        row = _office(s, code)
        row.active = active
        s.add(row)
        hub_audit.append(s, hub_audit.ADMIN, "office.enable" if active else "office.disable", code)
        s.commit()


def rename(engine: Engine, code: str, name: str) -> None:
    name = name.strip()
    if not name:
        raise AdminError("单位名称不能为空")
    with Session(engine) as s:
        row = _office(s, code)
        hub_audit.append(s, hub_audit.ADMIN, "office.rename", code, {"from": row.name, "to": name})
        row.name = name
        s.add(row)
        s.commit()


class ContactRecorder:
    """Writes an office's last contact at most every CONTACT_EVERY_S seconds per process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._last: dict[int, float] = {}
        self._lock = threading.Lock()

    def seen(self, office_id: int) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(office_id, -CONTACT_EVERY_S) < CONTACT_EVERY_S:
                return
            self._last[office_id] = now
        with Session(self.engine) as s:
            row = s.get(HubContact, office_id)
            if row is None:
                row = HubContact(office_id=office_id)
            row.last_seen = utcnow()
            s.add(row)
            try:
                s.commit()
            except Exception:  # another process recorded it at the same moment: either is right
                s.rollback()


def _count(s: Session, stmt: object) -> int:
    return int(s.exec(stmt).one() or 0)  # type: ignore[call-overload]


def status(engine: Engine, code: str | None = None) -> list[OfficeStatus]:
    """Status of one office (by credit code) or of all, in registration order."""
    with Session(engine) as s:
        offices = (
            [_office(s, code)]
            if code
            else list(s.exec(select(HubOffice).order_by(col(HubOffice.id))).all())
        )
        out = []
        for o in offices:
            contact = s.get(HubContact, o.id)
            batches = dict(
                s.exec(
                    select(HubBatch.state, func.count())
                    .where(HubBatch.office_id == o.id)
                    .group_by(HubBatch.state)
                ).all()
            )
            inbox = _count(
                s,
                select(func.count())
                .select_from(HubDelivery)
                .where(HubDelivery.to_office_id == o.id, col(HubDelivery.seq) > o.inbox_ack),
            )
            returns = _count(
                s,
                select(func.count())
                .select_from(HubReturn)
                .where(HubReturn.to_office_id == o.id, col(HubReturn.seq) > o.returns_ack),
            )
            out.append(
                OfficeStatus(
                    credit_code=o.credit_code,
                    name=o.name,
                    office_type=o.office_type,
                    office_level=o.office_level,
                    active=o.active,
                    last_seen=contact.last_seen if contact else None,
                    batches_open=int(batches.get("offered", 0)),
                    batches_committed=int(batches.get("committed", 0)),
                    inbox_behind=inbox,
                    returns_behind=returns,
                )
            )
        return out
