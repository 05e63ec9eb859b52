"""审核通过 of the marked applications at once: what will happen, asked once, then done."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from zcreview.screens.text import clean, shown
from zcreview.storage.queue import QueueRow

SHOWN_NAMES = 12
"""Names listed per group in the dialog; the rest are counted."""


@dataclass(frozen=True)
class BulkPlan:
    """Which marked applications a bulk pass takes, and why it leaves the others."""

    to_pass: tuple[QueueRow, ...]
    skipped: tuple[tuple[QueueRow, str], ...]


def plan_bulk_pass(rows: Sequence[QueueRow], passable: frozenset[str]) -> BulkPlan:
    """Pass those in a passable state with no ✗; every other one is left, with the reason."""
    to_pass: list[QueueRow] = []
    skipped: list[tuple[QueueRow, str]] = []
    for row in rows:
        if row.state not in passable:
            skipped.append((row, f"状态为“{row.state}”"))
        elif row.n_fail:
            skipped.append((row, f"有 {row.n_fail} 项不符合，需逐份审核"))
        else:
            to_pass.append(row)
    return BulkPlan(tuple(to_pass), tuple(skipped))


def _names(rows: Sequence[QueueRow], ascii_mode: bool) -> str:
    names = [shown(clean(r.name), ascii_mode) for r in rows[:SHOWN_NAMES]]
    more = f" 等 {len(rows)} 份" if len(rows) > SHOWN_NAMES else ""
    return "、".join(names) + more


class BulkPassDialog(ModalScreen[bool]):
    """Lists what a bulk pass will do; `y` goes ahead, `n`/Esc does nothing."""

    DEFAULT_CSS = """
    BulkPassDialog { align: center middle; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "通过", id="bulk-pass.yes"),
        Binding("n,escape,q", "answer(False)", "取消", id="bulk-pass.no"),
    ]

    def __init__(self, plan: BulkPlan, *, ascii_mode: bool = False) -> None:
        super().__init__()
        self.plan = plan
        self._ascii = ascii_mode

    def compose(self) -> ComposeResult:
        plan, a = self.plan, self._ascii
        with VerticalScroll(id="bulk-box", classes="dialog"):
            yield Static(
                Text(f"审核通过所标记的 {len(plan.to_pass)} 份申报？", style="bold"),
                id="bulk-question",
            )
            if plan.to_pass:
                yield Static(Text("将通过：" + _names(plan.to_pass, a)), id="bulk-pass")
            if plan.skipped:
                lines = Text(f"不通过、保持原状的 {len(plan.skipped)} 份：", style="yellow")
                for row, why in plan.skipped[:SHOWN_NAMES]:
                    lines.append(f"\n  {shown(clean(row.name), a)}：{why}")
                if len(plan.skipped) > SHOWN_NAMES:
                    lines.append(f"\n  另 {len(plan.skipped) - SHOWN_NAMES} 份")
                yield Static(lines, id="bulk-skipped")
            yield Static(
                Text(
                    "逐份领取后通过；他人正在审核或标记了需补正的会跳过并说明。",
                    style="dim",
                )
            )
            keys = "y 通过    n 取消" if plan.to_pass else "n 关闭"
            yield Static(Text(keys, style="dim"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "answer" and parameters and parameters[0] is True:
            return bool(self.plan.to_pass)
        return True

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
