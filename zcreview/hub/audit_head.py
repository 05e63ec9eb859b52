"""The audit chain head each office leaves with the hub, kept as a witness outside the office
database: the newest one per office, never moved back (the office side is `sync.audithead`)."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from zcreview.protocol import AuditHead
from zcreview.storage.sync_tables import HubAuditHead, HubOffice
from zcreview.storage.tables import utcnow


def keep(engine: Engine, office: HubOffice, head: AuditHead) -> AuditHead:
    """Store `head` unless the hub holds a newer one; answer what the hub holds now."""
    with Session(engine) as s:
        row = s.get(HubAuditHead, office.id, with_for_update=True)
        if row is None:
            assert office.id is not None
            row = HubAuditHead(office_id=office.id, seq=head.seq, hash=head.hash)
        elif head.seq > row.seq:
            row.seq, row.hash, row.updated_at = head.seq, head.hash, utcnow()
        s.add(row)
        s.commit()
        return AuditHead(seq=row.seq, hash=row.hash)


def held(engine: Engine, office: HubOffice) -> AuditHead:
    """The head the hub holds for this office (seq 0 when it never sent one)."""
    with Session(engine) as s:
        row = s.get(HubAuditHead, office.id)
        if row is None:
            return AuditHead(seq=0, hash="0" * 64)
        return AuditHead(seq=row.seq, hash=row.hash)
