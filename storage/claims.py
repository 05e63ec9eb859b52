"""Claims: a reviewer holds an application for a lease while reviewing it; others read only.

Opening an application for review claims it (待审核/已补正/上级退回 → 审核中); the claim row keeps
the state it interrupted, so giving it up without a decision restores that state. Leases are
judged on the database's clock. Functions take `*, session`; the caller commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, update
from sqlmodel import Session, col

from zcreview.domain.corrections import to_local
from zcreview.domain.workflow import REVIEWABLE, State
from zcreview.storage.notices import close_open
from zcreview.storage.review_results import Claimed, ClaimedByOther, ClaimResult, ReadOnly
from zcreview.storage.review_tables import ClaimRow
from zcreview.storage.tables import ApplicationRow
from zcreview.storage.transitions import (
    ReviewError,
    VersionConflict,
    db_now,
    fetch_row,
    move,
    next_or_refuse,
)


class LeaseHeld(ReviewError):
    """Another reviewer holds an unexpired claim on the application."""

    def __init__(self, app_id: str, holder: str, until: datetime) -> None:
        self.app_id, self.holder, self.until = app_id, holder, until
        super().__init__(
            f"{holder} 正在审核这份申报（领取至 {to_local(until):%H:%M}），不能作出决定"
        )


def held_by_other(row: ApplicationRow, reviewer: str, now: datetime) -> bool:
    """Someone else's lease on the application is still running at `now`."""
    active = row.holder is not None and row.lease_until is not None and row.lease_until > now
    return active and row.holder != reviewer


def check_not_held(row: ApplicationRow, reviewer: str, now: datetime) -> None:
    """Raise LeaseHeld while another reviewer's lease runs."""
    if held_by_other(row, reviewer, now):
        assert row.holder is not None and row.lease_until is not None
        raise LeaseHeld(row.id, row.holder, row.lease_until)


def resume_state(app_id: str, *, session: Session) -> State | None:
    """The state a claim interrupted (what releasing it restores), or None if unclaimed."""
    held = session.get(ClaimRow, app_id, populate_existing=True)
    return State(held.resume_state) if held is not None else None


def set_claim(
    app_id: str, reviewer: str, resume: State, *, session: Session, now: datetime
) -> None:
    """Record that `reviewer` holds the application and which state to go back to."""
    claim_row = session.get(ClaimRow, app_id, populate_existing=True)
    if claim_row is None:
        claim_row = ClaimRow(application_id=app_id, reviewer=reviewer, resume_state=resume.value)
    claim_row.reviewer, claim_row.resume_state, claim_row.claimed_at = reviewer, resume.value, now
    session.add(claim_row)


def drop_claim(app_id: str, *, session: Session) -> None:
    """Forget the claim (a decision or a release ends it)."""
    session.execute(
        delete(ClaimRow)
        .where(col(ClaimRow.application_id) == app_id)
        .execution_options(synchronize_session=False)
    )


def claim(
    app_id: str,
    reviewer: str,
    *,
    session: Session,
    now: datetime | None = None,
    lease_minutes: int = 15,
) -> ClaimResult:
    """Open an application for review: hold it for `lease_minutes`.

    待审核/已补正/上级退回 become 审核中; an application this reviewer already holds has its lease
    extended (same version); an expired lease of another reviewer is taken over. Returns
    `ClaimedByOther` while someone else's lease runs, `ReadOnly` when the state allows no decision.
    Raises NotFound.
    """
    now = now or db_now(session)
    until = now + timedelta(minutes=lease_minutes)
    for _ in range(5):  # lost a race with another claimer: read again and decide again
        row = fetch_row(app_id, session)
        state = State(row.state)
        if held_by_other(row, reviewer, now):
            assert row.holder is not None and row.lease_until is not None
            return ClaimedByOther(app_id, row.holder, row.lease_until, row.version, state)
        if state not in REVIEWABLE:
            return ReadOnly(app_id, row.version, state)
        if row.holder == reviewer:
            result = cast(
                CursorResult[Any],
                session.execute(
                    update(ApplicationRow)
                    .where(
                        col(ApplicationRow.id) == app_id,
                        col(ApplicationRow.version) == row.version,
                    )
                    .values(lease_until=until)
                    .execution_options(synchronize_session=False)
                ),
            )
            if result.rowcount == 1:
                return Claimed(app_id, reviewer, until, row.version, state, renewed=True)
            continue
        new_state = (
            state if state in (State.IN_REVIEW, State.PASSED) else next_or_refuse(state, "claim")
        )
        try:
            version = move(
                row,
                reviewer,
                "claim",
                new_state,
                session=session,
                now=now,
                values={"holder": reviewer, "lease_until": until},
                payload={"until": until.isoformat(), "previous_holder": row.holder},
            )
        except VersionConflict:
            continue
        if state is State.IN_REVIEW:  # taking over an expired lease: keep what it interrupted
            resume = resume_state(app_id, session=session) or State.PENDING
        else:
            resume = state
        set_claim(app_id, reviewer, resume, session=session, now=now)
        if state is State.RESUBMITTED:
            close_open(app_id, "answered", session=session, now=now, revision=row.head_revision)
        return Claimed(app_id, reviewer, until, version, new_state)
    raise ReviewError("这份申报正被频繁修改，请稍后再试")


def release(
    app_id: str, reviewer: str, *, session: Session, now: datetime | None = None
) -> int | None:
    """Give up a claim without deciding; the application goes back to the state it came from.

    Returns the new version, or None if this reviewer did not hold it (nothing to do).
    """
    now = now or db_now(session)
    row = fetch_row(app_id, session)
    if row.holder != reviewer:
        return None
    state = State(row.state)
    new_state = state
    if state is State.IN_REVIEW:
        resume = resume_state(app_id, session=session)
        # The workflow's release goes to 待审核; an application that was 已补正, 上级退回 or
        # 通过未上报 before the claim must not lose that.
        new_state = (
            resume
            if resume is not None and resume is not State.PENDING
            else next_or_refuse(state, "release")
        )
    drop_claim(app_id, session=session)
    released = {"holder": None, "lease_until": None}
    return move(
        row,
        reviewer,
        "release",
        new_state,
        session=session,
        now=now,
        values=released,
    )
