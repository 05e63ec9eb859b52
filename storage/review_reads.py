"""Read models of review: the upper office's open list, a resubmission against its return,
an application's decisions and the 一览表 of a selection."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from sqlalchemy import text as sql_text
from sqlmodel import Session, col, select

from zcreview.domain.corrections import CorrectionItem, CorrectionNotice, to_local
from zcreview.domain.diff import assess_resubmission, diff_applications
from zcreview.domain.workflow import State
from zcreview.storage.applications import load_revision
from zcreview.storage.claims import resume_state
from zcreview.storage.notices import last_return, load_notice
from zcreview.storage.plain_sql import driver_params
from zcreview.storage.queue import QueueFilter
from zcreview.storage.review_results import DecisionListRow, ResubmissionContext
from zcreview.storage.review_tables import CorrectionItemRow, DecisionRow, ReturnRow
from zcreview.storage.tables import ApplicationRow, RevisionRow
from zcreview.storage.transitions import fetch_row


def upper_return(app_id: str, *, session: Session) -> CorrectionNotice | None:
    """The open correction list the upper office sent, while the application is 上级退回 here
    (also while a reviewer of this office has it in review after that return); else None."""
    row = fetch_row(app_id, session)
    state = State(row.state)
    if state is State.IN_REVIEW:
        state = resume_state(app_id, session=session) or state
    if state is not State.RETURNED_FROM_ABOVE:
        return None
    ret = last_return(app_id, session=session)
    if ret is None or ret.origin != "above":
        return None
    return load_notice(ret, session=session)


def own_return(app_id: str, state: str, *, session: Session) -> CorrectionNotice | None:
    """This office's correction list while the application is 已退回 (or 逾期放弃); else None."""
    if state not in (State.RETURNED.value, State.ABANDONED.value):
        return None
    ret = last_return(app_id, session=session)
    if ret is None or ret.origin == "above":
        return None
    return load_notice(ret, session=session)


def resubmission_context(app_id: str, *, session: Session) -> ResubmissionContext | None:
    """The last return against the head revision: diff and report. None if nothing came back
    since the last return (or there never was one)."""
    row = fetch_row(app_id, session)
    ret = last_return(app_id, session=session)
    if ret is None or ret.revision == row.head_revision:
        return None
    notice = load_notice(ret, session=session)
    old = load_revision(app_id, ret.revision, session=session)
    new = load_revision(app_id, row.head_revision, session=session)
    changes = diff_applications(old, new)
    head = session.exec(
        select(RevisionRow).where(
            col(RevisionRow.application_id) == app_id,
            col(RevisionRow.revision) == row.head_revision,
        )
    ).first()
    resubmitted_at = head.created_at if head is not None else None
    late = resubmitted_at is not None and to_local(resubmitted_at).date() > ret.deadline
    return ResubmissionContext(
        return_id=ret.id,
        notice=notice,
        old_revision=ret.revision,
        new_revision=row.head_revision,
        old=old,
        new=new,
        changes=changes,
        report=assess_resubmission(notice, changes),
        resubmitted_at=resubmitted_at,
        late=late,
    )


def history(app_id: str, *, session: Session) -> list[DecisionRow]:
    """Decisions on an application, oldest first (实名制: each names its reviewer)."""
    return list(
        session.exec(
            select(DecisionRow)
            .where(col(DecisionRow.application_id) == app_id)
            .order_by(col(DecisionRow.at), col(DecisionRow.id))
        ).all()
    )


def decision_list(flt: QueueFilter, *, session: Session) -> list[DecisionListRow]:
    """The 一览表 of a selection: each application with its last decision and return reasons."""
    where, params = flt.where()
    apps = session.exec(
        select(ApplicationRow)
        .where(sql_text(where).bindparams(**driver_params(session, params)))
        .order_by(col(ApplicationRow.unit), col(ApplicationRow.name), col(ApplicationRow.id))
    ).all()
    ids = [a.id for a in apps]
    last: dict[str, DecisionRow] = {}
    reasons: dict[str, str] = {}
    for chunk in _chunks(ids, 500):  # stay below bind-parameter limits
        for d in session.exec(
            select(DecisionRow)
            .where(col(DecisionRow.application_id).in_(chunk))
            .order_by(col(DecisionRow.at), col(DecisionRow.id))
        ).all():
            last[d.application_id] = d
        rets = session.exec(
            select(ReturnRow)
            .where(col(ReturnRow.application_id).in_(chunk))
            .order_by(col(ReturnRow.created_at))
        ).all()
        newest = {r.application_id: r for r in rets}
        items = session.exec(
            select(CorrectionItemRow)
            .where(col(CorrectionItemRow.return_id).in_([r.id for r in newest.values()]))
            .order_by(col(CorrectionItemRow.return_id), col(CorrectionItemRow.position))
        ).all()
        by_return: dict[str, list[str]] = {}
        for it in items:
            text = CorrectionItem(it.field_path, it.label, it.reason_id, it.reason, it.note).text()
            by_return.setdefault(it.return_id, []).append(f"{it.label}：{text}")
        for app_id, r in newest.items():
            reasons[app_id] = "；".join(by_return.get(r.id, []))
    out: list[DecisionListRow] = []
    for a in apps:
        decided = last.get(a.id)
        returned = a.state in (State.RETURNED.value, State.ABANDONED.value, State.RESUBMITTED.value)
        out.append(
            DecisionListRow(
                application_id=a.id,
                name=a.name,
                id_number=a.id_number,
                unit=a.unit,
                series=a.series,
                level=a.level,
                title=a.title,
                state=a.state,
                reviewer=decided.reviewer if decided is not None else "",
                decided_at=decided.at if decided is not None else None,
                return_reasons=reasons.get(a.id, "") if returned else "",
                year=a.year,
            )
        )
    return out


_T = TypeVar("_T")


def _chunks(seq: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]
