"""What the review keys offer in each state follows from the workflow's moves."""

from __future__ import annotations

import pytest

from zcreview.desk.rules import PASSABLE_FROM_QUEUE, decidable
from zcreview.domain.workflow import State


@pytest.mark.parametrize(
    ("state", "offered"),
    [
        (State.IN_REVIEW, {"pass", "return", "flag"}),
        (State.RETURNED_FROM_ABOVE, {"pass", "return", "flag"}),
        (State.PASSED, {"return", "reopen"}),
        (State.PENDING, set()),
        (State.RETURNED, set()),
        (State.REPORTED, set()),
        (State.ABANDONED, set()),
    ],
)
def test_decisions_offered_by_state(state: State, offered: set[str]) -> None:
    actions = {"pass", "return", "reopen", "flag"}
    assert {a for a in actions if decidable(state.value, a)} == offered


def test_unknown_state_offers_nothing() -> None:
    assert not decidable("不存在的状态", "pass")


def test_queue_passes_what_claiming_makes_passable() -> None:
    assert {State.PENDING, State.IN_REVIEW, State.RESUBMITTED, State.RETURNED_FROM_ABOVE} == {
        State(s) for s in PASSABLE_FROM_QUEUE
    }
