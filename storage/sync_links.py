"""Where review meets sync: unfinished 数据上报 batches, and returns queued to go down.

The review module uses these so that a decision and its sync consequence are one transaction;
`zcreview.sync` delivers what is queued here (`inbox.push_returns`).
"""

from __future__ import annotations

import json

from sqlmodel import Session, col, select

from zcreview.domain.corrections import CorrectionNotice
from zcreview.storage.sync_tables import InboxEntry, OutboxBatch, OutboxItem, ReturnSent

DONE_BATCH_STATES: frozenset[str] = frozenset({"acknowledged", "partly_rejected"})
"""Outbox states with a stored receipt (the rest can still change the application's state)."""


def unfinished_batch_of(app_id: str, *, session: Session) -> str | None:
    """The id of the unfinished outbox batch this application is in, or None."""
    return session.exec(
        select(OutboxItem.batch_id)
        .join(OutboxBatch, col(OutboxBatch.batch_id) == col(OutboxItem.batch_id))
        .where(
            col(OutboxItem.application_id) == app_id,
            col(OutboxBatch.state).not_in(DONE_BATCH_STATES),
        )
    ).first()


def arrival_of(app_id: str, revision: str, *, session: Session) -> InboxEntry | None:
    """How this revision reached this office from a lower office, or None (local intake)."""
    return session.exec(
        select(InboxEntry)
        .where(col(InboxEntry.application_id) == app_id, col(InboxEntry.revision) == revision)
        .order_by(col(InboxEntry.seq).desc())
    ).first()


def queue_return_down(
    notice: CorrectionNotice, return_id: str, *, session: Session
) -> ReturnSent | None:
    """Queue a return for the lower office the judged revision came from; None when it was not
    reported from below (then the return concerns the applicant only).

    The corrections are stored in the wire form of `zcreview.protocol.Correction`, so the
    sync layer sends them as they are. The caller commits.
    """
    came = arrival_of(notice.application_id, notice.revision, session=session)
    if came is None:
        return None
    corrections = [
        {
            "item": i.field_path,
            "reason": i.reason,
            "detail": i.note,
            "label": i.label,
            "reason_id": i.reason_id,
        }
        for i in notice.items
    ]
    row = ReturnSent(
        return_id=return_id,
        application_id=notice.application_id,
        revision=notice.revision,
        to_name=came.from_name,
        to_code=came.from_code,
        corrections=json.dumps(corrections, ensure_ascii=False),
        deadline=notice.deadline,
        reviewer=notice.reviewer,
    )
    session.add(row)
    return row
