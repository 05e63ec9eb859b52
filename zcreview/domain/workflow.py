"""Workflow states of one application at one office, and the moves between them (domain.md §2)."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """An application's state at this office. Values are the platform's Chinese names."""

    PENDING = "待审核"
    IN_REVIEW = "审核中"
    PASSED = "通过未上报"
    RETURNED = "已退回"
    RESUBMITTED = "已补正"
    REPORTED = "已上报"
    RETURNED_FROM_ABOVE = "上级退回"
    ABANDONED = "逾期放弃"
    FINISHED = "审核结束"


STATE_ORDER: tuple[State, ...] = tuple(State)

# States in which a reviewer may open the application and decide.
REVIEWABLE: frozenset[State] = frozenset(
    {State.PENDING, State.IN_REVIEW, State.RESUBMITTED, State.RETURNED_FROM_ABOVE, State.PASSED}
)

# (from, action) -> to. `PASSED -> reopen` is 004 §4 提示3.
TRANSITIONS: dict[tuple[State, str], State] = {
    (State.PENDING, "claim"): State.IN_REVIEW,
    (State.RESUBMITTED, "claim"): State.IN_REVIEW,
    (State.RETURNED_FROM_ABOVE, "claim"): State.IN_REVIEW,
    (State.IN_REVIEW, "release"): State.PENDING,
    (State.IN_REVIEW, "pass"): State.PASSED,
    (State.IN_REVIEW, "return"): State.RETURNED,
    (State.PASSED, "reopen"): State.IN_REVIEW,
    (State.PASSED, "return"): State.RETURNED,
    (State.PASSED, "report"): State.REPORTED,
    (State.RETURNED, "resubmit"): State.RESUBMITTED,
    (State.RETURNED, "expire"): State.ABANDONED,
    (State.REPORTED, "return_from_above"): State.RETURNED_FROM_ABOVE,
    (State.RETURNED_FROM_ABOVE, "return"): State.RETURNED,
    (State.RETURNED_FROM_ABOVE, "pass"): State.PASSED,
    (State.IN_REVIEW, "finish"): State.FINISHED,
}


DECISIONS: frozenset[str] = frozenset({"pass", "return", "reopen", "expire"})
"""Actions that are a reviewer's (or the deadline's) decision: recorded under a name."""

# Moves outside TRANSITIONS that keep or restore a state: taking over an expired claim (or
# claiming a passed application) keeps it; releasing a claim restores what it interrupted.
RESTORING: frozenset[tuple[State, str, State]] = frozenset(
    {
        (State.IN_REVIEW, "claim", State.IN_REVIEW),
        (State.PASSED, "claim", State.PASSED),
        (State.PASSED, "release", State.PASSED),
        (State.IN_REVIEW, "release", State.RESUBMITTED),
        (State.IN_REVIEW, "release", State.RETURNED_FROM_ABOVE),
        (State.IN_REVIEW, "release", State.PASSED),
    }
)


def after_revision(current: State, *, late: bool = False) -> State:
    """The state a new revision leaves the application in (also a re-delivery after a return).

    A returned application becomes 已补正, or 逾期放弃 when it comes back after the correction
    deadline (002 §5(6)); any other state is kept, the new material is reviewed in it.
    """
    if current is State.RETURNED:
        return State.ABANDONED if late else State.RESUBMITTED
    if current is State.RETURNED_FROM_ABOVE:
        return State.RESUBMITTED
    return current


def allowed(current: State, action: str, to: State) -> bool:
    """Whether `action` may take an application from `current` to `to`."""
    if action == "revision":
        return to is after_revision(current, late=to is State.ABANDONED)
    return TRANSITIONS.get((current, action)) is to or (current, action, to) in RESTORING


class TransitionError(ValueError):
    """An action that the application's current state does not allow."""


def next_state(current: State, action: str) -> State:
    """The state after `action`; raises TransitionError with a Chinese message if not allowed."""
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        raise TransitionError(f"当前状态“{current.value}”不能执行“{action}”") from None
