"""Decisions: pass, return, reopen, the deadline sweep and a return received from above.

Every decision is an `UPDATE application … WHERE id = :id AND version = :expected` (through
`storage.transitions.move`); when another reviewer (or an incoming revision) got there first it
matches no row and `VersionConflict` names who changed it. Nothing is overwritten silently.
Functions take `*, session` and leave the commit to the caller, so one action is one unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from zcreview.domain.corrections import CorrectionItem, deadline_problem, local_today
from zcreview.domain.workflow import State
from zcreview.storage.claims import check_not_held, drop_claim, set_claim
from zcreview.storage.flags import clear_flags
from zcreview.storage.notices import build_notice, close_open, items_payload, store_notice
from zcreview.storage.review_results import Decision
from zcreview.storage.review_tables import new_id
from zcreview.storage.sync_links import queue_return_down, unfinished_batch_of
from zcreview.storage.tables import ApplicationRow
from zcreview.storage.transitions import (
    NotAllowed,
    VersionConflict,
    conflict,
    db_now,
    fetch_row,
    move,
    next_or_refuse,
)

SYSTEM_ACTOR = "系统"
"""The actor of what no reviewer did by hand (the deadline sweep)."""


def _check_decidable(
    row: ApplicationRow, reviewer: str, expected_version: int, session: Session, now: datetime
) -> None:
    if row.version != expected_version:
        raise conflict(row.id, expected_version, session)
    check_not_held(row, reviewer, now)


def _check_not_reporting(row: ApplicationRow, session: Session) -> None:
    """A passed application inside an unfinished 数据上报 batch cannot change state: the
    receipt that comes back would then describe something else."""
    batch = unfinished_batch_of(row.id, session=session)
    if batch is not None:
        raise NotAllowed(
            f"{row.name} 在尚未送达的上报批次 {batch[:8]} 中，不能重新审核或退回；"
            "请在“数据上报”中等该批次送达（或被拒收）后再操作"
        )


def pass_application(
    app_id: str,
    reviewer: str,
    expected_version: int,
    *,
    session: Session,
    now: datetime | None = None,
) -> Decision:
    """审核通过: 审核中/上级退回 → 通过未上报, releasing the claim.

    Raises VersionConflict, LeaseHeld, NotAllowed, NotFound.
    """
    now = now or db_now(session)
    row = fetch_row(app_id, session)
    _check_decidable(row, reviewer, expected_version, session, now)
    to = next_or_refuse(State(row.state), "pass")
    version = move(
        row,
        reviewer,
        "pass",
        to,
        session=session,
        now=now,
        expected=expected_version,
        values={"holder": None, "lease_until": None, "deadline": None},
    )
    drop_claim(app_id, session=session)
    return Decision(app_id, "pass", to, version, reviewer, now)


def return_application(
    app_id: str,
    reviewer: str,
    items: Sequence[CorrectionItem],
    deadline: date,
    expected_version: int,
    *,
    session: Session,
    now: datetime | None = None,
    office_name: str | None = None,
) -> Decision:
    """审核不通过并退回 with a one-shot correction list and a deadline.

    Allowed from 审核中, 通过未上报 (004 §4 提示3) and 上级退回. Stores the notice and its exact
    text, sets the application's deadline, consumes the draft flags; a revision reported from a
    lower office also gets its return queued for sending down. Raises VersionConflict,
    LeaseHeld, NotAllowed (no items, an item without a reason, a deadline in the past, inside an
    unfinished 数据上报 batch), NotFound.
    """
    now = now or db_now(session)
    late = deadline_problem(deadline, local_today(now))
    if late:
        raise NotAllowed(late)
    row = fetch_row(app_id, session)
    _check_decidable(row, reviewer, expected_version, session, now)
    _check_not_reporting(row, session)
    to = next_or_refuse(State(row.state), "return")
    notice, text = build_notice(
        app_id, reviewer, items, deadline, session=session, now=now, office=office_name
    )
    return_id = new_id()
    version = move(
        row,
        reviewer,
        "return",
        to,
        session=session,
        now=now,
        expected=expected_version,
        values={"holder": None, "lease_until": None, "deadline": deadline},
        payload={"return_id": return_id, **items_payload(notice)},
        return_id=return_id,
    )
    store_notice(notice, text, return_id, session=session, now=now)
    # Reported from below: the same return travels down (sync delivers it, by this id).
    queue_return_down(notice, return_id, session=session)
    drop_claim(app_id, session=session)
    clear_flags(app_id, session=session)
    return Decision(app_id, "return", to, version, reviewer, now, return_id, notice, text)


def reopen(
    app_id: str,
    reviewer: str,
    expected_version: int,
    *,
    session: Session,
    now: datetime | None = None,
    lease_minutes: int = 15,
) -> Decision:
    """Reopen a passed, not yet reported application (通过未上报 → 审核中, 004 §4 提示3).

    The reviewer holds it afterwards; releasing it without a decision puts it back to 通过未上报.
    Raises VersionConflict, LeaseHeld, NotAllowed (also inside an unfinished 数据上报 batch),
    NotFound.
    """
    now = now or db_now(session)
    row = fetch_row(app_id, session)
    _check_decidable(row, reviewer, expected_version, session, now)
    _check_not_reporting(row, session)
    state = State(row.state)
    to = next_or_refuse(state, "reopen")
    until = now + timedelta(minutes=lease_minutes)
    version = move(
        row,
        reviewer,
        "reopen",
        to,
        session=session,
        now=now,
        expected=expected_version,
        values={"holder": reviewer, "lease_until": until},
    )
    set_claim(app_id, reviewer, state, session=session, now=now)
    return Decision(app_id, "reopen", to, version, reviewer, now)


def expire_overdue(today: date, *, session: Session, now: datetime | None = None) -> list[str]:
    """已退回 past its deadline → 逾期放弃 (002 §5(6)); returns the ids it moved.

    The deadline day itself still counts. An application changed meanwhile is left for the next
    run rather than overwritten.
    """
    now = now or db_now(session)
    rows = session.exec(
        select(ApplicationRow).where(
            col(ApplicationRow.state) == State.RETURNED.value,
            col(ApplicationRow.deadline) < today,
        )
    ).all()
    moved: list[str] = []
    to = next_or_refuse(State.RETURNED, "expire")
    for row in rows:
        deadline = row.deadline.isoformat() if row.deadline else None
        try:
            move(
                row,
                SYSTEM_ACTOR,
                "expire",
                to,
                session=session,
                now=now,
                payload={"deadline": deadline, "today": today.isoformat()},
            )
        except VersionConflict:
            continue
        close_open(row.id, "expired", session=session, now=now)
        moved.append(row.id)
    return moved


def record_return_from_above(
    app_id: str,
    office_name: str,
    reviewer: str,
    items: Sequence[CorrectionItem],
    deadline: date,
    *,
    session: Session,
    now: datetime | None = None,
) -> str:
    """Store a return the upper office sent (已上报 → 上级退回) so re-review can show it.

    For the sync layer when it applies a received return; `reviewer` is the upper office's.
    Returns the notice id.
    """
    now = now or db_now(session)
    row = fetch_row(app_id, session)
    to = next_or_refuse(State(row.state), "return_from_above")
    notice, text = build_notice(
        app_id,
        reviewer,
        items,
        deadline,
        session=session,
        now=now,
        office=office_name,
        origin="above",
    )
    return_id = new_id()
    move(
        row,
        f"{office_name} {reviewer}".strip(),
        "return_from_above",
        to,
        session=session,
        now=now,
        values={"deadline": deadline},
        payload={"return_id": return_id, **items_payload(notice)},
    )
    store_notice(notice, text, return_id, session=session, now=now)
    return return_id
