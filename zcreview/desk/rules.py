"""What a reviewer may do to an application in a given state, from the workflow's moves.

The screens ask here instead of keeping their own lists of states, so a change to the
workflow (`zcreview.domain.workflow`) changes what the keys offer. Light on purpose: the
queue imports it before its first paint.
"""

from __future__ import annotations

from zcreview.domain.workflow import TRANSITIONS, State


def decidable(state: str, action: str) -> bool:
    """Whether the reviewer holding an application in `state` may `pass`, `return`, `reopen`
    or `flag` it. Flags draft a return of an application under review, so they go where a
    pass could; a passed one is reopened first."""
    try:
        current = State(state)
    except ValueError:
        return False
    return (current, "pass" if action == "flag" else action) in TRANSITIONS


def _claimed_state(state: State) -> State | None:
    """The state claiming leaves an application in (an expired claim or a passed one is kept)."""
    if state in (State.IN_REVIEW, State.PASSED):
        return state
    return TRANSITIONS.get((state, "claim"))


PASSABLE_FROM_QUEUE: frozenset[str] = frozenset(
    s.value
    for s in State
    if (claimed := _claimed_state(s)) is not None and (claimed, "pass") in TRANSITIONS
)
"""States the queue's `a` can pass: claiming them leaves a state that may be passed."""
