"""`ReviewDesk`: one reviewer's review actions, each one committed transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from zcreview.desk.drafts import Flag, correction_items, flags_of
from zcreview.domain.corrections import (
    CorrectionItem,
    CorrectionNotice,
    ReviewPolicy,
    local_today,
)
from zcreview.storage import audit, claims, decisions, flags, review_reads
from zcreview.storage.engine import session as new_session
from zcreview.storage.notices import last_return, load_notice
from zcreview.storage.review_results import Claimed, ClaimResult, Decision, ResubmissionContext
from zcreview.storage.review_tables import AuditRow, DecisionRow, FlagRow
from zcreview.storage.tables import utcnow
from zcreview.storage.transitions import NotAllowed, ReviewError, db_now


@dataclass(frozen=True)
class Left:
    """An application a pass of several left as it was, and why: a claim it could not take,
    the number of draft flags on it (a return is what was meant), or a refusal."""

    app_id: str
    claim: ClaimResult | None = None
    flags: int = 0
    error: str = ""


class ReviewDesk:
    """One reviewer's review actions for the screens; every method commits before returning.

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
            return claims.claim(
                app_id,
                self.reviewer,
                session=s,
                now=self._now(s),
                lease_minutes=self.policy.claim_lease_minutes,
            )

    def release(self, app_id: str) -> int | None:
        with self._unit() as s:
            return claims.release(app_id, self.reviewer, session=s, now=self._now(s))

    def pass_application(self, app_id: str, expected_version: int) -> Decision:
        with self._unit() as s:
            return decisions.pass_application(
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
            return decisions.return_application(
                app_id,
                self.reviewer,
                items,
                deadline or self.default_deadline(),
                expected_version,
                session=s,
                now=self._now(s),
            )

    def pass_several(self, app_ids: Sequence[str]) -> tuple[list[str], list[Left]]:
        """Claim and pass each application, one committed transaction each; those held by
        another, in a state that cannot be passed, or flagged for correction are left (a
        flagged one is released). Returns the passed ids and what was left."""
        passed: list[str] = []
        left: list[Left] = []
        for app_id in app_ids:
            try:
                claim = self.claim(app_id)
                if not isinstance(claim, Claimed):
                    left.append(Left(app_id, claim=claim))
                    continue
                flagged = len(self.flags(app_id))
                if flagged:
                    self.release(app_id)
                    left.append(Left(app_id, flags=flagged))
                    continue
                self.pass_application(app_id, claim.version)
                passed.append(app_id)
            except ReviewError as exc:
                left.append(Left(app_id, error=str(exc)))
        return passed, left

    def reopen(self, app_id: str, expected_version: int) -> Decision:
        with self._unit() as s:
            return decisions.reopen(
                app_id,
                self.reviewer,
                expected_version,
                session=s,
                now=self._now(s),
                lease_minutes=self.policy.claim_lease_minutes,
            )

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
            return flags.set_flag(
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
            return flags.remove_flag(app_id, self.reviewer, field_path, session=s, now=self._now(s))

    def flags(self, app_id: str, *, mine_only: bool = False) -> list[Flag]:
        """Draft flags on the application (everyone's, or this reviewer's), oldest first."""
        with new_session(self.engine) as s:
            reviewer = self.reviewer if mine_only else None
            return flags_of(flags.list_flags(app_id, session=s, reviewer=reviewer))

    def items_from_flags(self, app_id: str) -> list[CorrectionItem]:
        """The correction list the current flags would make (what `r` pre-fills)."""
        return correction_items(self.flags(app_id))

    def resubmission_context(self, app_id: str) -> ResubmissionContext | None:
        with new_session(self.engine) as s:
            return review_reads.resubmission_context(app_id, session=s)

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
            return review_reads.upper_return(app_id, session=s)

    def history(self, app_id: str) -> list[DecisionRow]:
        with new_session(self.engine) as s:
            return review_reads.history(app_id, session=s)

    def audit_trail(self, app_id: str, limit: int = 200) -> list[AuditRow]:
        """This application's audit entries, newest first."""
        with new_session(self.engine) as s:
            return audit.entries(session=s, application_id=app_id, limit=limit)

    def expire_overdue(self, today: date | None = None) -> list[str]:
        with self._unit() as s:
            return decisions.expire_overdue(today or self.today(), session=s, now=self._now(s))
