"""The one writer of an application's state and version: checked, versioned and audited.

Every change of `application.state` or `application.version` is made here, whoever causes it: a
reviewer's decision, a revision recorded by intake or sync, a 数据上报 receipt, a return from
above, the deadline sweep, the demo. Each move is an `UPDATE … WHERE id = :id AND version =
:expected` that the workflow rules (`zcreview.domain.workflow.allowed`) accept, and each appends
to the audit chain the state it left and the version it produced, so the log can be replayed
against the table (`storage.audit.verify_audit`). The caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, insert, update
from sqlmodel import Session, col, select

from zcreview.domain.corrections import to_local
from zcreview.domain.workflow import DECISIONS, State, TransitionError, allowed, next_state
from zcreview.storage import audit
from zcreview.storage.review_tables import AuditRow, DecisionRow
from zcreview.storage.tables import ApplicationRow, RevisionRow

ACTION_LABELS: dict[str, str] = {
    "claim": "领取审核",
    "release": "放弃审核",
    "pass": "审核通过",
    "return": "审核不通过并退回",
    "reopen": "重新审核",
    "expire": "逾期放弃",
    "flag": "标记条目",
    "unflag": "取消标记",
    "return_from_above": "上级退回",
    "export": "导出",
    "create": "收到申报",
    "revision": "收到新版本",
    "report": "数据上报被接收",
    "finish": "审核结束",
    "baseline": "审计基线",
}


class ReviewError(Exception):
    """A review action that could not be done; `str(exc)` is the Chinese message to show."""


class NotFound(ReviewError, LookupError):
    """No such application (or no return notice for it)."""


class NotAllowed(ReviewError):
    """The application's state does not allow the action, or its input is incomplete."""


class VersionConflict(ReviewError):
    """Someone changed the application after this reviewer read it."""

    def __init__(
        self,
        app_id: str,
        expected: int,
        actual: int | None,
        by: str | None,
        action: str | None,
        at: datetime | None,
    ) -> None:
        self.app_id, self.expected, self.actual = app_id, expected, actual
        self.by, self.action, self.at = by, action, at
        if action == "revision" and at is not None:
            who = f"于 {to_local(at):%m-%d %H:%M} 收到了新版本材料"
        elif by is not None and at is not None:
            what = ACTION_LABELS.get(action or "", action or "修改")
            who = f"已被 {by} 于 {to_local(at):%m-%d %H:%M} {what}"
        else:
            who = "已被他人修改"
        super().__init__(f"这份申报{who}，您看到的已不是最新内容。请刷新后重新审核。")


def fetch_row(app_id: str, session: Session) -> ApplicationRow:
    """The application's row as the database has it now; raises NotFound."""
    # populate_existing: a long-lived session must not answer from a stale identity map.
    row = session.get(ApplicationRow, app_id, populate_existing=True)
    if row is None:
        raise NotFound(f"没有这份申报：{app_id}")
    return row


def next_or_refuse(state: State, action: str) -> State:
    """The state `action` leads to from `state`; NotAllowed (ready to show) if none."""
    try:
        return next_state(state, action)
    except TransitionError as exc:
        raise NotAllowed(str(exc)) from exc


def db_now(session: Session) -> datetime:
    """The database server's current time (UTC, aware): one clock for every workstation.

    Leases are judged on it, so a workstation whose clock runs fast cannot take over a claim
    that is still live. SQLite's clock is the one machine's clock anyway; asking it in SQL keeps
    one code path (and millisecond resolution, which CURRENT_TIMESTAMP lacks there).
    """
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        text = session.execute(select(func.strftime("%Y-%m-%d %H:%M:%f", "now"))).scalar_one()
        return datetime.fromisoformat(str(text)).replace(tzinfo=UTC)
    value = session.execute(select(func.current_timestamp())).scalar_one()
    moment = cast(datetime, value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def conflict(app_id: str, expected: int, session: Session) -> VersionConflict:
    """Build the conflict message from whoever made the application's current version.

    Every move records the version it produced, so the entry that claims the current version
    names who (or which arrival) got there first.
    """
    row = session.get(ApplicationRow, app_id, populate_existing=True)
    actual = row.version if row is not None else None
    recent = session.exec(
        select(AuditRow)
        .where(col(AuditRow.application_id) == app_id)
        .order_by(col(AuditRow.seq).desc())
        .limit(20)
    ).all()
    versioned = [r for r in recent if "version" in audit.payload_of(r)]
    for entry in versioned:
        if audit.payload_of(entry)["version"] == actual:
            return VersionConflict(app_id, expected, actual, entry.actor, entry.action, entry.at)
    newest_rev = session.exec(
        select(RevisionRow)
        .where(col(RevisionRow.application_id) == app_id)
        .order_by(col(RevisionRow.number).desc())
        .limit(1)
    ).first()
    if newest_rev is not None and newest_rev.number > 1:
        return VersionConflict(app_id, expected, actual, None, "revision", newest_rev.created_at)
    if versioned:
        last = versioned[0]
        return VersionConflict(app_id, expected, actual, last.actor, last.action, last.at)
    return VersionConflict(app_id, expected, actual, None, None, None)


def move(
    row: ApplicationRow,
    actor: str,
    action: str,
    to: State,
    *,
    session: Session,
    now: datetime,
    expected: int | None = None,
    values: Mapping[str, Any] | None = None,
    payload: Mapping[str, Any] | None = None,
    return_id: str | None = None,
) -> int:
    """Move the application to `to` if it is still at `expected` (default: the version read).

    Raises NotAllowed when the workflow does not allow `action` from the current state to `to`,
    VersionConflict when someone changed the row meanwhile. Decisions (pass, return, reopen,
    expire) also get a decision row under the actor's name. Returns the new version.
    """
    current = State(row.state)
    if not allowed(current, action, to):
        raise NotAllowed(f"当前状态“{current.value}”不能执行“{ACTION_LABELS.get(action, action)}”")
    base = row.version if expected is None else expected
    if "state" in (values or {}) or "version" in (values or {}):
        raise ValueError("state and version are set by the move itself")
    result = cast(
        CursorResult[Any],
        session.execute(
            update(ApplicationRow)
            .where(col(ApplicationRow.id) == row.id, col(ApplicationRow.version) == base)
            .values(**(values or {}), state=to.value, version=base + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        raise conflict(row.id, base, session)
    version = base + 1
    revision = str((values or {}).get("head_revision", row.head_revision))
    if action in DECISIONS:
        session.add(
            DecisionRow(
                application_id=row.id,
                revision=revision,
                reviewer=actor,
                action=action,
                at=now,
                return_id=return_id,
            )
        )
    audit.append(
        session=session,
        actor=actor,
        action=action,
        application_id=row.id,
        payload={
            "from": current.value,
            "to": to.value,
            "revision": revision,
            **(payload or {}),
            "version": version,
        },
        now=now,
    )
    return version


def create(
    columns: Mapping[str, Any],
    state: State,
    actor: str,
    *,
    session: Session,
    now: datetime,
    payload: Mapping[str, Any] | None = None,
) -> None:
    """Insert a new application at `state`, version 1, and audit its arrival.

    `columns` are every other column of the row (id, head_revision, queue columns, counts).
    """
    if "state" in columns or "version" in columns:
        raise ValueError("state and version are set by the move itself")
    session.execute(
        insert(ApplicationRow.__table__).values(  # type: ignore[attr-defined]
            **columns, state=state.value, version=1, updated_at=now
        )
    )
    audit.append(
        session=session,
        actor=actor,
        action="create",
        application_id=str(columns["id"]),
        payload={
            "to": state.value,
            "revision": columns.get("head_revision"),
            **(payload or {}),
            "version": 1,
        },
        now=now,
    )


def create_many(
    rows: Sequence[Mapping[str, Any]],
    states: Sequence[State],
    actor: str,
    *,
    session: Session,
    now: datetime,
) -> None:
    """Insert many new applications (a generated office) with one audit entry for them all.

    The entry lists each id with its state, which is what a replay of the log needs.
    """
    if any("state" in r or "version" in r for r in rows):
        raise ValueError("state and version are set by the move itself")
    full = [
        {**r, "state": s.value, "version": 1, "updated_at": now}
        for r, s in zip(rows, states, strict=True)
    ]
    if not full:
        return
    session.execute(insert(ApplicationRow.__table__), full)  # type: ignore[attr-defined]
    audit.append(
        session=session,
        actor=actor,
        action="create",
        payload={"created": {str(r["id"]): r["state"] for r in full}, "version": 1},
        now=now,
    )
