"""Review actions: claim, pass, return, reopen, expire and draft flags; versioned and audited.

Two layers. Repository functions take `*, session` and leave the commit to the caller, so one user
action is one unit of work. `ReviewDesk` is the small service the review screen uses: each method
is one committed transaction, so a decision is stored before the screen says it is done.

Every decision is an `UPDATE application … WHERE id = :id AND version = :expected`; when another
reviewer (or an incoming revision) got there first it matches no row and `VersionConflict` names
who changed it. Nothing is overwritten silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from zcreview.domain.corrections import (
    CorrectionItem,
    CorrectionNotice,
    Origin,
    ReviewPolicy,
    local_today,
    render_notice_text,
    to_local,
)
from zcreview.domain.diff import (
    FieldChange,
    ResubmissionReport,
    assess_resubmission,
    diff_applications,
)
from zcreview.domain.model import Application
from zcreview.domain.paths import label_for_path
from zcreview.domain.workflow import REVIEWABLE, State, TransitionError, next_state
from zcreview.storage import audit
from zcreview.storage.applications import load_revision
from zcreview.storage.engine import session as new_session
from zcreview.storage.office import get_self, reviewer_phone
from zcreview.storage.queue import QueueFilter
from zcreview.storage.review_tables import (
    AuditRow,
    ClaimRow,
    CorrectionItemRow,
    DecisionRow,
    FlagRow,
    ReturnRow,
    new_id,
)
from zcreview.storage.sync_links import arrival_of, queue_return_down, unfinished_batch_of
from zcreview.storage.tables import ApplicationRow, RevisionRow, utcnow
from zcreview.storage.transitions import (
    ACTION_LABELS as ACTION_LABELS,
)
from zcreview.storage.transitions import (
    NotAllowed as NotAllowed,
)
from zcreview.storage.transitions import (
    NotFound as NotFound,
)
from zcreview.storage.transitions import (
    ReviewError as ReviewError,
)
from zcreview.storage.transitions import (
    VersionConflict as VersionConflict,
)
from zcreview.storage.transitions import conflict, db_now, move

SYSTEM_ACTOR = "系统"
"""The actor of what no reviewer did by hand (the deadline sweep)."""


# --------------------------------------------------------------------------------------------
# Errors and results
# --------------------------------------------------------------------------------------------


class LeaseHeld(ReviewError):
    """Another reviewer holds an unexpired claim on the application."""

    def __init__(self, app_id: str, holder: str, until: datetime) -> None:
        self.app_id, self.holder, self.until = app_id, holder, until
        super().__init__(
            f"{holder} 正在审核这份申报（领取至 {to_local(until):%H:%M}），不能作出决定"
        )


@dataclass(frozen=True)
class Claimed:
    """The reviewer holds the application until `until`; decide with `version`."""

    app_id: str
    reviewer: str
    until: datetime
    version: int
    state: State
    renewed: bool = False
    ok: bool = field(default=True, init=False)

    @property
    def message(self) -> str:
        verb = "已续期" if self.renewed else "已领取"
        return f"{verb}，由您审核至 {to_local(self.until):%H:%M}"


@dataclass(frozen=True)
class ClaimedByOther:
    """Another reviewer holds an unexpired claim: the application can be read, not decided."""

    app_id: str
    holder: str
    until: datetime
    version: int
    state: State
    ok: bool = field(default=False, init=False)

    @property
    def message(self) -> str:
        return (
            f"{self.holder} 正在审核这份申报（领取至 {to_local(self.until):%H:%M}），"
            "您可以查看，但不能作出决定"
        )


@dataclass(frozen=True)
class ReadOnly:
    """The state allows no decision here (已退回, 已上报, 逾期放弃 …): open it to read only."""

    app_id: str
    version: int
    state: State
    ok: bool = field(default=False, init=False)

    @property
    def message(self) -> str:
        return f"这份申报当前状态为“{self.state.value}”，只能查看"


ClaimResult = Claimed | ClaimedByOther | ReadOnly


@dataclass(frozen=True)
class Decision:
    """A committed decision: the new state and version, and for a return its notice."""

    app_id: str
    action: str
    state: State
    version: int
    reviewer: str
    at: datetime
    return_id: str | None = None
    notice: CorrectionNotice | None = None
    notice_text: str | None = None

    @property
    def message(self) -> str:
        if self.notice is not None:
            return f"已退回，补正期限 {self.notice.deadline:%Y-%m-%d}"
        return f"已{ACTION_LABELS.get(self.action, self.action)}，当前状态“{self.state.value}”"


@dataclass(frozen=True)
class ResubmissionContext:
    """What re-review shows: the return, both revisions, the changes and how they answer it."""

    return_id: str
    notice: CorrectionNotice
    old_revision: str
    new_revision: str
    old: Application
    new: Application
    changes: list[FieldChange]
    report: ResubmissionReport
    resubmitted_at: datetime | None
    late: bool
    """Received after the deadline (Beijing date): 002 §5(6) treats that as abandoned."""


@dataclass(frozen=True)
class DecisionListRow:
    """One line of the decision list (一览表) of a selection."""

    application_id: str
    name: str
    id_number: str
    unit: str
    series: str
    level: str
    title: str
    state: str
    reviewer: str
    decided_at: datetime | None
    return_reasons: str
    year: int = 0


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _fetch(app_id: str, session: Session) -> ApplicationRow:
    # populate_existing: a long-lived session must not answer from a stale identity map.
    row = session.get(ApplicationRow, app_id, populate_existing=True)
    if row is None:
        raise NotFound(f"没有这份申报：{app_id}")
    return row


def _lease_active(row: ApplicationRow, now: datetime) -> bool:
    return row.holder is not None and row.lease_until is not None and row.lease_until > now


def _held_by_other(row: ApplicationRow, reviewer: str, now: datetime) -> bool:
    return _lease_active(row, now) and row.holder != reviewer


def _transition(state: State, action: str) -> State:
    try:
        return next_state(state, action)
    except TransitionError as exc:
        raise NotAllowed(str(exc)) from exc


def _set_claim(app_id: str, reviewer: str, resume: State, session: Session, now: datetime) -> None:
    claim_row = session.get(ClaimRow, app_id, populate_existing=True)
    if claim_row is None:
        claim_row = ClaimRow(application_id=app_id, reviewer=reviewer, resume_state=resume.value)
    claim_row.reviewer, claim_row.resume_state, claim_row.claimed_at = reviewer, resume.value, now
    session.add(claim_row)


def _drop_claim(app_id: str, session: Session) -> None:
    session.execute(
        delete(ClaimRow)
        .where(col(ClaimRow.application_id) == app_id)
        .execution_options(synchronize_session=False)
    )


# --------------------------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------------------------


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
        row = _fetch(app_id, session)
        state = State(row.state)
        if _held_by_other(row, reviewer, now):
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
            state if state in (State.IN_REVIEW, State.PASSED) else _transition(state, "claim")
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
            previous = session.get(ClaimRow, app_id, populate_existing=True)
            resume = State(previous.resume_state) if previous is not None else State.PENDING
        else:
            resume = state
        _set_claim(app_id, reviewer, resume, session, now)
        if state is State.RESUBMITTED:
            _mark_answered(app_id, row.head_revision, session, now)
        return Claimed(app_id, reviewer, until, version, new_state)
    raise ReviewError("这份申报正被频繁修改，请稍后再试")


def release(
    app_id: str, reviewer: str, *, session: Session, now: datetime | None = None
) -> int | None:
    """Give up a claim without deciding; the application goes back to the state it came from.

    Returns the new version, or None if this reviewer did not hold it (nothing to do).
    """
    now = now or db_now(session)
    row = _fetch(app_id, session)
    if row.holder != reviewer:
        return None
    state = State(row.state)
    new_state = state
    if state is State.IN_REVIEW:
        held = session.get(ClaimRow, app_id, populate_existing=True)
        resume = State(held.resume_state) if held is not None else None
        # The workflow's release goes to 待审核; an application that was 已补正, 上级退回 or
        # 通过未上报 before the claim must not lose that.
        new_state = (
            resume
            if resume is not None and resume is not State.PENDING
            else (_transition(state, "release"))
        )
    _drop_claim(app_id, session)
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


# --------------------------------------------------------------------------------------------
# Decisions
# --------------------------------------------------------------------------------------------


def _check_decidable(
    row: ApplicationRow, reviewer: str, expected_version: int, session: Session, now: datetime
) -> None:
    if row.version != expected_version:
        raise conflict(row.id, expected_version, session)
    if _held_by_other(row, reviewer, now):
        assert row.holder is not None and row.lease_until is not None
        raise LeaseHeld(row.id, row.holder, row.lease_until)


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
    row = _fetch(app_id, session)
    _check_decidable(row, reviewer, expected_version, session, now)
    to = _transition(State(row.state), "pass")
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
    _drop_claim(app_id, session)
    return Decision(app_id, "pass", to, version, reviewer, now)


def _office_name(session: Session) -> str:
    office = get_self(session=session)
    return office.name if office is not None else ""


def _validate_items(items: Sequence[CorrectionItem]) -> tuple[CorrectionItem, ...]:
    if not items:
        raise NotAllowed("退回须一次性列明需补正的条目，至少一项")
    paths = [i.field_path for i in items]
    if len(set(paths)) != len(paths):
        raise NotAllowed("同一条目出现了两次，请合并为一项")
    for item in items:
        if not (item.reason.strip() or item.note.strip()):
            raise NotAllowed(f"“{item.label or item.field_path}”缺少退回原因")
    return tuple(items)


def build_notice(
    app_id: str,
    reviewer: str,
    items: Sequence[CorrectionItem],
    deadline: date,
    *,
    session: Session,
    now: datetime | None = None,
    office_name: str | None = None,
    origin: Origin = "office",
) -> tuple[CorrectionNotice, str]:
    """The notice a return would send, and its text, without storing anything (for a preview).

    Raises NotAllowed (no items, a duplicate item, an item without a reason), NotFound.
    """
    now = now or db_now(session)
    row = _fetch(app_id, session)
    office = office_name if office_name is not None else _office_name(session)
    notice = CorrectionNotice(
        application_id=app_id,
        revision=row.head_revision,
        reviewer=reviewer,
        items=_validate_items(items),
        deadline=deadline,
        created=now,
        origin=origin,
        office_name=office,
    )
    app = load_revision(app_id, row.head_revision, session=session)
    addressing = notice_addressing(app_id, row.head_revision, reviewer, session=session)
    return notice, render_notice_text(notice, app, office, **addressing)


def notice_addressing(
    app_id: str, revision: str, reviewer: str, *, session: Session
) -> dict[str, str]:
    """Whom a notice goes to and whom to ask: the lower office the judged revision came from
    (none: the applicant), and the reviewer's phone. The composer's preview uses the same."""
    came = arrival_of(app_id, revision, session=session)
    return {
        "to_office": came.from_name if came is not None else "",
        "phone": reviewer_phone(reviewer, session=session),
    }


def _store_notice(
    notice: CorrectionNotice, text: str, return_id: str, session: Session, now: datetime
) -> None:
    # Only one notice is open at a time: a new return closes the previous one.
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


def _items_payload(notice: CorrectionNotice) -> dict[str, Any]:
    return {
        "deadline": notice.deadline.isoformat(),
        "items": [
            {"path": i.field_path, "reason_id": i.reason_id, "reason": i.reason, "note": i.note}
            for i in notice.items
        ],
    }


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
    if deadline < local_today(now):
        raise NotAllowed("补正期限不能早于今天")
    row = _fetch(app_id, session)
    _check_decidable(row, reviewer, expected_version, session, now)
    _check_not_reporting(row, session)
    to = _transition(State(row.state), "return")
    notice, text = build_notice(
        app_id, reviewer, items, deadline, session=session, now=now, office_name=office_name
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
        payload={"return_id": return_id, **_items_payload(notice)},
        return_id=return_id,
    )
    _store_notice(notice, text, return_id, session, now)
    # Reported from below: the same return travels down (sync delivers it, by this id).
    queue_return_down(notice, return_id, session=session)
    _drop_claim(app_id, session)
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
    row = _fetch(app_id, session)
    _check_decidable(row, reviewer, expected_version, session, now)
    _check_not_reporting(row, session)
    state = State(row.state)
    to = _transition(state, "reopen")
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
    _set_claim(app_id, reviewer, state, session, now)
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
    to = _transition(State.RETURNED, "expire")
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
        session.execute(
            update(ReturnRow)
            .where(col(ReturnRow.application_id) == row.id, col(ReturnRow.status) == "open")
            .values(status="expired", closed_at=now)
            .execution_options(synchronize_session=False)
        )
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
    row = _fetch(app_id, session)
    to = _transition(State(row.state), "return_from_above")
    notice, text = build_notice(
        app_id,
        reviewer,
        items,
        deadline,
        session=session,
        now=now,
        office_name=office_name,
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
        payload={"return_id": return_id, **_items_payload(notice)},
    )
    _store_notice(notice, text, return_id, session, now)
    return return_id


# --------------------------------------------------------------------------------------------
# Draft flags
# --------------------------------------------------------------------------------------------


def _find_flag(app_id: str, reviewer: str, field_path: str, session: Session) -> FlagRow | None:
    return session.exec(
        select(FlagRow).where(
            col(FlagRow.application_id) == app_id,
            col(FlagRow.reviewer) == reviewer,
            col(FlagRow.field_path) == field_path,
        )
    ).first()


def set_flag(
    app_id: str,
    reviewer: str,
    field_path: str,
    *,
    session: Session,
    reason_id: str = "",
    reason: str = "",
    note: str = "",
    label: str | None = None,
    now: datetime | None = None,
) -> FlagRow:
    """Flag an item (or update this reviewer's flag on it). `label` defaults from the path."""
    now = now or db_now(session)
    flag = _find_flag(app_id, reviewer, field_path, session)
    if flag is None:
        flag = FlagRow(
            application_id=app_id, reviewer=reviewer, field_path=field_path, created_at=now
        )
    flag.label = label if label is not None else label_for_path(field_path)
    flag.reason_id, flag.reason, flag.note, flag.updated_at = reason_id, reason, note, now
    session.add(flag)
    session.flush()
    audit.append(
        session=session,
        actor=reviewer,
        action="flag",
        application_id=app_id,
        payload={"path": field_path, "reason_id": reason_id, "reason": reason, "note": note},
        now=now,
    )
    return flag


def remove_flag(
    app_id: str, reviewer: str, field_path: str, *, session: Session, now: datetime | None = None
) -> bool:
    """Remove this reviewer's flag on an item; False if there was none."""
    flag = _find_flag(app_id, reviewer, field_path, session)
    if flag is None:
        return False
    session.delete(flag)
    audit.append(
        session=session,
        actor=reviewer,
        action="unflag",
        application_id=app_id,
        payload={"path": field_path},
        now=now,
    )
    return True


def list_flags(app_id: str, *, session: Session, reviewer: str | None = None) -> list[FlagRow]:
    """Draft flags on an application (of one reviewer, or everyone's), oldest first."""
    stmt = select(FlagRow).where(col(FlagRow.application_id) == app_id)
    if reviewer is not None:
        stmt = stmt.where(col(FlagRow.reviewer) == reviewer)
    return list(session.exec(stmt.order_by(col(FlagRow.created_at), col(FlagRow.id))).all())


def clear_flags(app_id: str, *, session: Session, reviewer: str | None = None) -> int:
    """Delete draft flags (a return consumes them); returns how many."""
    stmt = delete(FlagRow).where(col(FlagRow.application_id) == app_id)
    if reviewer is not None:
        stmt = stmt.where(col(FlagRow.reviewer) == reviewer)
    result = cast(
        CursorResult[Any], session.execute(stmt.execution_options(synchronize_session="fetch"))
    )
    return int(result.rowcount)


def items_from_flags(flags: Iterable[FlagRow]) -> list[CorrectionItem]:
    """Correction items from draft flags, one per field path (the first flag's reason wins)."""
    items: dict[str, CorrectionItem] = {}
    for f in flags:
        if f.field_path not in items:
            items[f.field_path] = CorrectionItem(
                field_path=f.field_path,
                label=f.label or label_for_path(f.field_path),
                reason_id=f.reason_id,
                reason=f.reason,
                note=f.note,
            )
    return list(items.values())


# --------------------------------------------------------------------------------------------
# Returns, resubmissions and history
# --------------------------------------------------------------------------------------------


def last_return(app_id: str, *, session: Session) -> ReturnRow | None:
    """The newest return notice of an application (from this office or from above)."""
    return session.exec(
        select(ReturnRow)
        .where(col(ReturnRow.application_id) == app_id)
        .order_by(col(ReturnRow.created_at).desc())
        .limit(1)
    ).first()


def returns_of(app_id: str, *, session: Session) -> list[ReturnRow]:
    """Every return notice of an application, oldest first."""
    return list(
        session.exec(
            select(ReturnRow)
            .where(col(ReturnRow.application_id) == app_id)
            .order_by(col(ReturnRow.created_at))
        ).all()
    )


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


def upper_return(app_id: str, *, session: Session) -> CorrectionNotice | None:
    """The open correction list the upper office sent, while the application is 上级退回 here
    (also while a reviewer of this office has it in review after that return); else None."""
    row = _fetch(app_id, session)
    state = row.state
    if state == State.IN_REVIEW.value:
        held = session.get(ClaimRow, app_id, populate_existing=True)
        state = held.resume_state if held is not None else state
    if state != State.RETURNED_FROM_ABOVE.value:
        return None
    ret = last_return(app_id, session=session)
    if ret is None or ret.origin != "above":
        return None
    return load_notice(ret, session=session)


def _mark_answered(app_id: str, revision: str, session: Session, now: datetime) -> None:
    session.execute(
        update(ReturnRow)
        .where(col(ReturnRow.application_id) == app_id, col(ReturnRow.status) == "open")
        .values(status="answered", answered_revision=revision, closed_at=now)
        .execution_options(synchronize_session=False)
    )


def resubmission_context(app_id: str, *, session: Session) -> ResubmissionContext | None:
    """The last return against the head revision: diff and report. None if nothing came back
    since the last return (or there never was one)."""
    row = _fetch(app_id, session)
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
    apps = session.exec(
        select(ApplicationRow)
        .where(*flt.conditions())
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


# --------------------------------------------------------------------------------------------
# Service: one committed transaction per action
# --------------------------------------------------------------------------------------------


class ReviewDesk:
    """One reviewer's review actions for the screen; every method commits before returning.

    Errors are `ReviewError` subclasses whose text is ready to show. Without a `clock`, time is
    the database server's (one clock for every workstation, so leases mean the same to all);
    tests and the demo inject one to move time.
    """

    def __init__(
        self,
        engine: Engine,
        reviewer: str,
        policy: ReviewPolicy | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if not reviewer.strip():
            raise NotAllowed("请先选择实名制审核人员")
        self.engine = engine
        self.reviewer = reviewer
        self.policy = policy or ReviewPolicy()
        self.clock = clock

    @contextmanager
    def _unit(self) -> Iterator[Session]:
        with new_session(self.engine) as s:
            yield s
            s.commit()

    def _now(self, session: Session) -> datetime:
        return self.clock() if self.clock is not None else db_now(session)

    def today(self) -> date:
        return local_today(self.clock() if self.clock is not None else utcnow())

    def default_deadline(self) -> date:
        """Today plus the configured working days (weekends and holidays skipped)."""
        return self.policy.default_deadline(self.today())

    def claim(self, app_id: str) -> ClaimResult:
        with self._unit() as s:
            return claim(
                app_id,
                self.reviewer,
                session=s,
                now=self._now(s),
                lease_minutes=self.policy.claim_lease_minutes,
            )

    def release(self, app_id: str) -> int | None:
        with self._unit() as s:
            return release(app_id, self.reviewer, session=s, now=self._now(s))

    def pass_application(self, app_id: str, expected_version: int) -> Decision:
        with self._unit() as s:
            return pass_application(
                app_id, self.reviewer, expected_version, session=s, now=self._now(s)
            )

    def return_application(
        self,
        app_id: str,
        items: Sequence[CorrectionItem],
        expected_version: int,
        deadline: date | None = None,
    ) -> Decision:
        with self._unit() as s:
            return return_application(
                app_id,
                self.reviewer,
                items,
                deadline or self.default_deadline(),
                expected_version,
                session=s,
                now=self._now(s),
            )

    def reopen(self, app_id: str, expected_version: int) -> Decision:
        with self._unit() as s:
            return reopen(
                app_id,
                self.reviewer,
                expected_version,
                session=s,
                now=self._now(s),
                lease_minutes=self.policy.claim_lease_minutes,
            )

    def preview_notice(
        self, app_id: str, items: Sequence[CorrectionItem], deadline: date | None = None
    ) -> str:
        """The exact notice text a return with these items would send (nothing is stored)."""
        with new_session(self.engine) as s:
            _, text = build_notice(
                app_id,
                self.reviewer,
                items,
                deadline or self.default_deadline(),
                session=s,
                now=self._now(s),
            )
            return text

    def set_flag(
        self,
        app_id: str,
        field_path: str,
        *,
        reason_id: str = "",
        reason: str = "",
        note: str = "",
        label: str | None = None,
    ) -> FlagRow:
        with self._unit() as s:
            return set_flag(
                app_id,
                self.reviewer,
                field_path,
                session=s,
                reason_id=reason_id,
                reason=reason,
                note=note,
                label=label,
                now=self._now(s),
            )

    def remove_flag(self, app_id: str, field_path: str) -> bool:
        with self._unit() as s:
            return remove_flag(app_id, self.reviewer, field_path, session=s, now=self._now(s))

    def flags(self, app_id: str, *, mine_only: bool = False) -> list[FlagRow]:
        with new_session(self.engine) as s:
            return list_flags(app_id, session=s, reviewer=self.reviewer if mine_only else None)

    def items_from_flags(self, app_id: str) -> list[CorrectionItem]:
        """The correction list the current flags would make (what `r` pre-fills)."""
        return items_from_flags(self.flags(app_id))

    def resubmission_context(self, app_id: str) -> ResubmissionContext | None:
        with new_session(self.engine) as s:
            return resubmission_context(app_id, session=s)

    def last_notice(self, app_id: str) -> tuple[CorrectionNotice, str] | None:
        """The newest return notice and its stored text, or None."""
        with new_session(self.engine) as s:
            ret = last_return(app_id, session=s)
            if ret is None:
                return None
            return load_notice(ret, session=s), ret.notice_text

    def upper_return(self, app_id: str) -> CorrectionNotice | None:
        """The upper office's correction list while the application is 上级退回 here."""
        with new_session(self.engine) as s:
            return upper_return(app_id, session=s)

    def history(self, app_id: str) -> list[DecisionRow]:
        with new_session(self.engine) as s:
            return history(app_id, session=s)

    def audit_trail(self, app_id: str, limit: int = 200) -> list[AuditRow]:
        """This application's audit entries, newest first."""
        with new_session(self.engine) as s:
            return audit.entries(session=s, application_id=app_id, limit=limit)

    def expire_overdue(self, today: date | None = None) -> list[str]:
        with self._unit() as s:
            return expire_overdue(today or self.today(), session=s, now=self._now(s))
