"""Office statistics: the read model behind `zcreview stats` and the 统计 screen.

Counts come straight from the tables the workflow keeps (application, decisions, audit log,
sync inbox and outbox), so the screen, the command and a spreadsheet say the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from zcreview.domain.corrections import CHINA_TZ, to_local
from zcreview.domain.workflow import STATE_ORDER
from zcreview.storage.queue import DEADLINE_STATES, TreeCount, tree_counts
from zcreview.storage.review_tables import AuditRow, DecisionRow
from zcreview.storage.sync_tables import InboxEntry, OutboxBatch, OutboxItem
from zcreview.storage.tables import ApplicationRow

STATES: tuple[str, ...] = tuple(s.value for s in STATE_ORDER)

WAITING_BATCH_STATES = frozenset({"sealed", "offered", "uploading", "committing"})
"""Outbox batches sealed but not yet answered by the upper office."""


@dataclass(frozen=True)
class OfficeCount:
    """Applications reported to this office by one lower office, in one state."""

    office: str
    state: str
    count: int


@dataclass(frozen=True)
class ReviewerDay:
    """What one reviewer did on one day (Beijing time)."""

    day: date
    reviewer: str
    opened: int = 0
    passed: int = 0
    returned: int = 0


@dataclass(frozen=True)
class DueReturn:
    """An open return (已退回 / 上级退回) and its correction deadline."""

    app_id: str
    name: str
    unit: str
    state: str
    deadline: date


@dataclass(frozen=True)
class BatchCounts:
    """数据上报 batches of this office (outbox) and those it received (inbox)."""

    sealed: int = 0
    """Every batch sealed here, whatever became of it."""
    waiting: int = 0
    """Sealed and not yet answered (queued, uploading)."""
    acknowledged: int = 0
    """Accepted by the upper office (with or without refusals)."""
    refused: int = 0
    """Acknowledged with at least one application refused."""
    refused_applications: int = 0
    received: int = 0
    """Batches reported to this office from below."""


@dataclass(frozen=True)
class OfficeStats:
    """Everything the statistics show, for one moment."""

    today: date
    due_days: int
    due_by: date
    since: date
    counts: list[TreeCount]
    by_office: list[OfficeCount]
    reviewer_days: list[ReviewerDay]
    due_soon: list[DueReturn]
    """Deadline from today up to `due_by` (N working days)."""
    overdue: list[DueReturn]
    """Deadline before today, still open."""
    batches: BatchCounts
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    # ----- derived views ------------------------------------------------------------------

    @property
    def total(self) -> int:
        return sum(c.count for c in self.counts)

    def by_state(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for c in self.counts:
            out[c.state] += c.count
        return _in_state_order(out)

    def states(self) -> list[str]:
        """The states that occur, in workflow order (columns of the tables)."""
        present = {c.state for c in self.counts} | {c.state for c in self.by_office}
        return [s for s in STATES if s in present] + sorted(present - set(STATES))

    def by(self, dimension: str) -> dict[str, dict[str, int]]:
        """{value of `dimension` (year, level, series): {state: count}}, values sorted."""
        out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for c in self.counts:
            out[str(getattr(c, dimension))][c.state] += c.count
        ordered = sorted(out.items(), key=lambda kv: _order(dimension, kv[0]))
        return {k: _in_state_order(v) for k, v in ordered}

    def offices(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for c in self.by_office:
            out[c.office][c.state] += c.count
        return {k: _in_state_order(v) for k, v in sorted(out.items())}

    def decisions_per_day(self) -> list[tuple[date, int, int]]:
        """(day, passed, returned) for every day from `since` to today, empty days included."""
        passed: dict[date, int] = defaultdict(int)
        returned: dict[date, int] = defaultdict(int)
        for r in self.reviewer_days:
            passed[r.day] += r.passed
            returned[r.day] += r.returned
        days = (self.today - self.since).days + 1
        return [
            (d, passed[d], returned[d])
            for d in (self.since + timedelta(days=i) for i in range(max(0, days)))
        ]

    def as_json(self) -> dict[str, Any]:
        """A plain-JSON form (dates ISO) for `zcreview stats --json`."""

        def conv(obj: Any) -> Any:
            if isinstance(obj, date | datetime):
                return obj.isoformat()
            if isinstance(obj, dict):
                return {k: conv(v) for k, v in obj.items()}
            if isinstance(obj, list | tuple):
                return [conv(v) for v in obj]
            return obj

        data: dict[str, Any] = conv(
            {
                "today": self.today,
                "total": self.total,
                "by_state": self.by_state(),
                "by_year": self.by("year"),
                "by_level": self.by("level"),
                "by_series": self.by("series"),
                "by_reporting_office": self.offices(),
                "reviewers": [asdict(r) for r in self.reviewer_days],
                "since": self.since,
                "due_working_days": self.due_days,
                "due_by": self.due_by,
                "due_soon": [asdict(r) for r in self.due_soon],
                "overdue": [asdict(r) for r in self.overdue],
                "batches": asdict(self.batches),
            }
        )
        return data


def _in_state_order(counts: dict[str, int]) -> dict[str, int]:
    rank = {s: i for i, s in enumerate(STATES)}
    return dict(sorted(counts.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))


_LEVELS = ("正高级", "副高级", "中级", "助理级", "员级")


def _order(dimension: str, value: str) -> tuple[int, str]:
    if dimension == "year":
        return (-int(value) if value.lstrip("-").isdigit() else 0, value)
    if dimension == "level":
        return (_LEVELS.index(value) if value in _LEVELS else len(_LEVELS), value)
    return (0, value)


def _utc_start(day: date) -> datetime:
    """Midnight of `day` in Beijing, in UTC (as the tables store moments)."""
    local = datetime.combine(day, time.min, tzinfo=CHINA_TZ)
    return local.astimezone(UTC)


def by_reporting_office(*, session: Session) -> list[OfficeCount]:
    """Applications per lower office that reported them here (upper offices), by state."""
    stmt = (
        sa_select(
            col(InboxEntry.from_name),
            col(ApplicationRow.state),
            func.count(func.distinct(col(ApplicationRow.id))),
        )
        .join(ApplicationRow, col(ApplicationRow.id) == col(InboxEntry.application_id))
        .group_by(col(InboxEntry.from_name), col(ApplicationRow.state))
    )
    return [OfficeCount(str(o), str(s), int(n)) for o, s, n in session.execute(stmt).all()]


def reviewer_days(since: date, *, session: Session) -> list[ReviewerDay]:
    """Per reviewer and day since `since`: applications opened (claims in the audit log),
    passed and returned (decisions)."""
    start = _utc_start(since)
    table: dict[tuple[date, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    claims = sa_select(col(AuditRow.actor), col(AuditRow.at)).where(
        col(AuditRow.action) == "claim", col(AuditRow.at) >= start
    )
    for actor, at in session.execute(claims).all():
        table[(to_local(at).date(), str(actor))]["opened"] += 1
    decisions = sa_select(
        col(DecisionRow.reviewer), col(DecisionRow.action), col(DecisionRow.at)
    ).where(col(DecisionRow.action).in_(("pass", "return")), col(DecisionRow.at) >= start)
    for reviewer, action, at in session.execute(decisions).all():
        key = "passed" if action == "pass" else "returned"
        table[(to_local(at).date(), str(reviewer))][key] += 1
    return [
        ReviewerDay(day, reviewer, **dict(counts))
        for (day, reviewer), counts in sorted(table.items(), key=lambda kv: (kv[0][0], kv[0][1]))
    ]


def open_returns(due_by: date, *, session: Session) -> list[DueReturn]:
    """Open returns whose deadline is on or before `due_by`, earliest first."""
    stmt = (
        sa_select(
            col(ApplicationRow.id),
            col(ApplicationRow.name),
            col(ApplicationRow.unit),
            col(ApplicationRow.state),
            col(ApplicationRow.deadline),
        )
        .where(
            col(ApplicationRow.state).in_(DEADLINE_STATES),
            col(ApplicationRow.deadline).is_not(None),
            col(ApplicationRow.deadline) <= due_by,
        )
        .order_by(col(ApplicationRow.deadline), col(ApplicationRow.id))
    )
    return [DueReturn(*r) for r in session.execute(stmt).all()]


def batch_counts(*, session: Session) -> BatchCounts:
    states = dict(
        session.execute(
            sa_select(col(OutboxBatch.state), func.count()).group_by(col(OutboxBatch.state))
        ).all()
    )
    refused_apps = session.execute(
        sa_select(func.count()).select_from(OutboxItem).where(col(OutboxItem.outcome) == "rejected")
    ).scalar_one()
    received = session.execute(
        sa_select(func.count(func.distinct(col(InboxEntry.batch_id))))
    ).scalar_one()
    partly = int(states.get("partly_rejected", 0))
    return BatchCounts(
        sealed=sum(int(n) for n in states.values()),
        waiting=sum(int(n) for s, n in states.items() if s in WAITING_BATCH_STATES),
        acknowledged=int(states.get("acknowledged", 0)) + partly,
        refused=partly,
        refused_applications=int(refused_apps),
        received=int(received),
    )


def office_stats(
    *, session: Session, today: date, due_by: date, due_days: int, days: int = 14
) -> OfficeStats:
    """The statistics of this office as of `today` (Beijing): returns due by `due_by` (the
    caller counts `due_days` working days with the office's holidays), and what reviewers did
    over the last `days` days."""
    since = today - timedelta(days=max(1, days) - 1)
    returns = open_returns(due_by, session=session)
    return OfficeStats(
        today=today,
        due_days=due_days,
        due_by=due_by,
        since=since,
        counts=tree_counts(session=session),
        by_office=by_reporting_office(session=session),
        reviewer_days=reviewer_days(since, session=session),
        due_soon=[r for r in returns if r.deadline >= today],
        overdue=[r for r in returns if r.deadline < today],
        batches=batch_counts(session=session),
    )
