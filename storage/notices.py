"""Return notices: made from one basis, validated once, stored with their exact text, read back.

A notice is stored with the text the applicant received, so `export notice` and the review
screen show what was sent, not a re-rendering. Only one notice of an application is open at a
time. Functions take `*, session` and leave the commit to the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from zcreview.domain.corrections import (
    CorrectionItem,
    CorrectionNotice,
    NoticeBasis,
    Origin,
    return_problems,
)
from zcreview.domain.model import Application
from zcreview.storage.applications import load_revision
from zcreview.storage.office import get_self, reviewer_phone
from zcreview.storage.review_tables import CorrectionItemRow, ReturnRow
from zcreview.storage.sync_links import arrival_of
from zcreview.storage.transitions import NotAllowed, db_now, fetch_row


def office_name(*, session: Session) -> str:
    """This office's name ("" before `office init`)."""
    office = get_self(session=session)
    return office.name if office is not None else ""


def notice_basis(
    app_id: str,
    reviewer: str,
    *,
    session: Session,
    office: str | None = None,
    head: Application | None = None,
) -> NoticeBasis:
    """What a return of the head revision by `reviewer` is made of: the revision, the office
    (this one unless `office` names another), the lower office the revision came from (none:
    the applicant) and the reviewer's phone. `head`: the head revision if already read.
    Raises NotFound."""
    row = fetch_row(app_id, session)
    came = arrival_of(app_id, row.head_revision, session=session)
    if head is None:
        head = load_revision(app_id, row.head_revision, session=session)
    return NoticeBasis(
        application_id=app_id,
        revision=row.head_revision,
        application=head,
        office_name=office if office is not None else office_name(session=session),
        to_office=came.from_name if came is not None else "",
        phone=reviewer_phone(reviewer, session=session),
    )


def checked_items(items: Sequence[CorrectionItem]) -> tuple[CorrectionItem, ...]:
    """The items of a return that may be sent; NotAllowed with the first problem if not."""
    problems = return_problems(items)
    if problems:
        raise NotAllowed(problems[0])
    return tuple(items)


def build_notice(
    app_id: str,
    reviewer: str,
    items: Sequence[CorrectionItem],
    deadline: date,
    *,
    session: Session,
    now: datetime | None = None,
    office: str | None = None,
    origin: Origin = "office",
) -> tuple[CorrectionNotice, str]:
    """The notice a return would send and its text, without storing anything.

    Raises NotAllowed (no items, a duplicate item, an item without a reason), NotFound.
    """
    checked = checked_items(items)
    basis = notice_basis(app_id, reviewer, session=session, office=office)
    return basis.notice(reviewer, checked, deadline, now or db_now(session), origin)


def store_notice(
    notice: CorrectionNotice, text: str, return_id: str, *, session: Session, now: datetime
) -> None:
    """Store a notice, its items and its exact text; the previous open notice is closed."""
    session.execute(
        update(ReturnRow)
        .where(col(ReturnRow.application_id) == notice.application_id)
        .where(col(ReturnRow.status) == "open")
        .values(status="answered", closed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.add(
        ReturnRow(
            id=return_id,
            application_id=notice.application_id,
            revision=notice.revision,
            reviewer=notice.reviewer,
            office_name=notice.office_name,
            deadline=notice.deadline,
            created_at=notice.created,
            notice_text=text,
            origin=notice.origin,
        )
    )
    session.flush()  # the items' foreign key needs the notice row first
    for pos, item in enumerate(notice.items):
        session.add(
            CorrectionItemRow(
                return_id=return_id,
                position=pos,
                field_path=item.field_path,
                label=item.label,
                reason_id=item.reason_id,
                reason=item.reason,
                note=item.note,
            )
        )


def items_payload(notice: CorrectionNotice) -> dict[str, Any]:
    """The audit payload of a return: its deadline and items."""
    return {
        "deadline": notice.deadline.isoformat(),
        "items": [
            {"path": i.field_path, "reason_id": i.reason_id, "reason": i.reason, "note": i.note}
            for i in notice.items
        ],
    }


def close_open(
    app_id: str, status: str, *, session: Session, now: datetime, revision: str | None = None
) -> None:
    """Close the application's open notice: `answered` (by `revision`) or `expired`."""
    values: dict[str, Any] = {"status": status, "closed_at": now}
    if revision is not None:
        values["answered_revision"] = revision
    session.execute(
        update(ReturnRow)
        .where(col(ReturnRow.application_id) == app_id, col(ReturnRow.status) == "open")
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def last_return(app_id: str, *, session: Session) -> ReturnRow | None:
    """The newest return notice of an application (from this office or from above)."""
    return session.exec(
        select(ReturnRow)
        .where(col(ReturnRow.application_id) == app_id)
        .order_by(col(ReturnRow.created_at).desc())
        .limit(1)
    ).first()


def load_notice(ret: ReturnRow, *, session: Session) -> CorrectionNotice:
    """A stored return as the domain's notice."""
    rows = session.exec(
        select(CorrectionItemRow)
        .where(col(CorrectionItemRow.return_id) == ret.id)
        .order_by(col(CorrectionItemRow.position))
    ).all()
    items = tuple(
        CorrectionItem(r.field_path, r.label, r.reason_id, r.reason, r.note) for r in rows
    )
    origin: Origin = "above" if ret.origin == "above" else "office"
    return CorrectionNotice(
        application_id=ret.application_id,
        revision=ret.revision,
        reviewer=ret.reviewer,
        items=items,
        deadline=ret.deadline,
        created=ret.created_at,
        origin=origin,
        office_name=ret.office_name,
    )
