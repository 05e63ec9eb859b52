"""The office's audit chain head, held by the hub as a witness outside the office database.

At each sync the office sends the head of its chain (seq, hash); the hub keeps the newest one
per office and never moves it back (`zcreview.hub.audit_head`). `zcreview audit verify` asks the hub for it when the hub is
reachable: a chain that no longer reaches that seq, or holds another hash there, was rolled
back or rewritten.
"""

from __future__ import annotations

from sqlmodel import Session, select

from zcreview.domain.audit import AuditProblem
from zcreview.protocol import AuditHead
from zcreview.storage.review_tables import HEAD_ID, AuditHeadRow, AuditRow
from zcreview.storage.store import Store
from zcreview.sync.transport import Transport


def push(transport: Transport, store: Store) -> AuditHead | None:
    """Send this office's chain head; the hub's answer, or None when the transport has no hub."""
    with store.session() as s:
        head = s.get(AuditHeadRow, HEAD_ID)
        if head is None or head.last_seq == 0:
            return None
        mine = AuditHead(seq=head.last_seq, hash=head.last_hash)
    return transport.put_audit_head(mine)


def compare(witness: AuditHead, session: Session, where: str) -> list[AuditProblem]:
    """Problems when the chain does not hold the head the witness recorded."""
    if witness.seq == 0:
        return []
    entry = session.exec(select(AuditRow).where(AuditRow.seq == witness.seq)).first()
    if entry is None:
        return [
            AuditProblem(
                witness.seq,
                "truncated",
                f"{where}记录的链尾为第 {witness.seq} 条，本单位日志中已没有这一条（末尾被删除或回退）",
            )
        ]
    if entry.hash != witness.hash:
        return [
            AuditProblem(
                witness.seq,
                "edited",
                f"第 {witness.seq} 条与{where}记录的链尾哈希不符（日志被重写）",
            )
        ]
    return []
