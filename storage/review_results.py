"""What review actions and reads return: plain data, worded by the screens that show it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from zcreview.domain.corrections import CorrectionNotice
from zcreview.domain.diff import FieldChange, ResubmissionReport
from zcreview.domain.model import Application
from zcreview.domain.workflow import State


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


@dataclass(frozen=True)
class ClaimedByOther:
    """Another reviewer holds an unexpired claim: the application can be read, not decided."""

    app_id: str
    holder: str
    until: datetime
    version: int
    state: State
    ok: bool = field(default=False, init=False)


@dataclass(frozen=True)
class ReadOnly:
    """The state allows no decision here (已退回, 已上报, 逾期放弃 …): open it to read only."""

    app_id: str
    version: int
    state: State
    ok: bool = field(default=False, init=False)


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
