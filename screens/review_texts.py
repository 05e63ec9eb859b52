"""How the review screens word the desk's results (claims and decisions)."""

from __future__ import annotations

from zcreview.desk.desk import Left
from zcreview.domain.corrections import to_local
from zcreview.storage.review_results import Claimed, ClaimedByOther, ClaimResult, Decision
from zcreview.storage.transitions import ACTION_LABELS


def claim_text(result: ClaimResult) -> str:
    """What opening an application for review came to: held until when, by whom, or read only."""
    if isinstance(result, Claimed):
        verb = "已续期" if result.renewed else "已领取"
        return f"{verb}，由您审核至 {to_local(result.until):%H:%M}"
    if isinstance(result, ClaimedByOther):
        return (
            f"{result.holder} 正在审核这份申报（领取至 {to_local(result.until):%H:%M}），"
            "您可以查看，但不能作出决定"
        )
    return f"这份申报当前状态为“{result.state.value}”，只能查看"


def decision_text(decision: Decision) -> str:
    """A committed decision in one line: the return's deadline, or the new state."""
    if decision.notice is not None:
        return f"已退回，补正期限 {decision.notice.deadline:%Y-%m-%d}"
    label = ACTION_LABELS.get(decision.action, decision.action)
    return f"已{label}，当前状态“{decision.state.value}”"


def left_text(left: Left) -> str:
    """Why a pass of several left this application as it was."""
    if left.claim is not None:
        return claim_text(left.claim)
    if left.flags:
        return f"{left.app_id[:8]}：已标记 {left.flags} 项需补正"
    return left.error
