"""Passing from the queue without opening the review: one application (`a`: claim, confirm,
commit or release) or the rows marked with Space (one confirmation for all), and sending the
marked ones to 数据上报."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.screen import Screen

from zcreview.desk.rules import PASSABLE_FROM_QUEUE
from zcreview.domain.workflow import State
from zcreview.screens.widgets.queue_list import QueueList
from zcreview.screens.workstation import workstation
from zcreview.storage.queue import QueueRow

if TYPE_CHECKING:
    from zcreview.domain.corrections import CorrectionNotice
    from zcreview.storage.review_results import ClaimResult, Decision


class QueuePassing(Screen[None]):
    """The queue screen's passing actions; `QueueScreen` supplies the status line and reload."""

    _ascii: bool
    _passing: bool
    """A pass (claim, dialog, commit or bulk) is under way: `a` waits for it."""

    @dataclass
    class _Claimed(Message):
        row: QueueRow
        claim: ClaimResult
        flags: int = 0
        above: CorrectionNotice | None = None

    @dataclass
    class _Released(Message):
        pass

    @dataclass
    class BulkPassed(Message):
        """The marked rows were passed: who was (`passed`), and why the others were left."""

        passed: list[str]
        left: list[str]

    def _show_status(self) -> None:
        """Write the status line (the queue screen's)."""
        raise NotImplementedError

    def action_reload(self) -> None:
        """Read the tree and the list again (the queue screen's)."""
        raise NotImplementedError

    # ----- marks --------------------------------------------------------------------------

    def action_mark(self) -> None:
        queue = self.query_one(QueueList)
        queue.toggle_mark()
        self._show_status()
        self.refresh_bindings()

    def action_report_marked(self) -> None:
        """`U`: 数据上报, with the marked 通过未上报 applications of one scope chosen."""
        from zcreview.screens.report import ReportScreen

        marked = [r for r in self.marked_rows() if r.state == State.PASSED.value]
        if not self.query_one(QueueList).marked:
            self.run_worker(self.app.run_action("open_report"), group="queue-report")
            return
        if not marked:
            self.notify("所标记的申报中没有“通过未上报”的，无可上报", severity="warning")
            return
        # A batch is one 年度·级别·系列: the first marked one's; the others are named.
        first = marked[0]
        scope = (first.year, first.level, first.series)
        chosen = [r for r in marked if (r.year, r.level, r.series) == scope]
        others = len(self.marked_rows()) - len(chosen)
        self.app.push_screen(
            ReportScreen(
                f"{first.year}|{first.level}|{first.series}", frozenset(r.id for r in chosen)
            )
        )
        if others:
            self.notify(
                f"已选 {len(chosen)} 份（{first.year}年度 {first.level} {first.series}）；"
                f"另 {others} 份不是这一批（其他系列、级别或状态），未选",
                timeout=6,
                markup=False,
            )

    def marked_rows(self) -> list[QueueRow]:
        return list(self.query_one(QueueList).marked.values())

    def _bulk_pass(self, reviewer: str) -> None:
        from zcreview.screens.bulk_pass import BulkPassDialog, plan_bulk_pass

        plan = plan_bulk_pass(self.marked_rows(), PASSABLE_FROM_QUEUE)

        def answered(yes: bool | None) -> None:
            if yes:
                self._passing = True
                self.refresh_bindings()
                self._pass_all(reviewer, [r.id for r in plan.to_pass])

        self.app.push_screen(BulkPassDialog(plan, ascii_mode=self._ascii), answered)

    @work(thread=True, exclusive=True, group="queue-pass")
    def _pass_all(self, reviewer: str, app_ids: list[str]) -> None:
        from zcreview.screens.review_texts import left_text

        passed, left = workstation(self.app).services.desk(reviewer).pass_several(app_ids)
        self.post_message(self.BulkPassed(passed, [left_text(x) for x in left]))

    def on_queue_passing_bulk_passed(self, message: BulkPassed) -> None:
        self._passing = False
        queue = self.query_one(QueueList)
        for app_id in message.passed:
            queue.marked.pop(app_id, None)
        if queue.marked:
            queue.refresh()
        else:
            queue.clear_marks()
        text = f"已通过 {len(message.passed)} 份"
        if message.left:
            text += f"；未通过 {len(message.left)} 份：\n" + "\n".join(message.left[:8])
        self.notify(
            text,
            title="批量审核通过",
            severity="warning" if message.left else "information",
            timeout=10,
            markup=False,
        )
        self.refresh_bindings()
        self.action_reload()

    # ----- pass from the queue ------------------------------------------------------------

    def _passable(self) -> bool:
        queue = self.query_one(QueueList)
        row = queue.current
        if getattr(self.app, "reviewer", None) and queue.marked and not self._passing:
            return True  # the marked set: the dialog says which of them pass
        return bool(
            getattr(self.app, "reviewer", None)
            and row is not None
            and row.state in PASSABLE_FROM_QUEUE
            and not self._passing
        )

    def action_pass_application(self) -> None:
        """`a`: claim the highlighted application, then confirm (y passes, n releases); with
        marked rows, pass the marked ones after one confirmation listing what will happen."""
        row = self.query_one(QueueList).current
        reviewer = getattr(self.app, "reviewer", None)
        if reviewer and not self._passing and self.query_one(QueueList).marked:
            self._bulk_pass(reviewer)
            return
        if row is None or not reviewer or self._passing:
            return
        self._passing = True
        self.refresh_bindings()
        self._claim(reviewer, row)

    @work(thread=True, exclusive=True, group="queue-pass")
    def _claim(self, reviewer: str, row: QueueRow) -> None:
        from zcreview.storage.transitions import ReviewError

        try:
            desk = workstation(self.app).services.desk(reviewer)
            claim = desk.claim(row.id)
            # What the review screen would show before a pass: flags and a 上级退回 list.
            flags = len(desk.flags(row.id))
            above = desk.upper_return(row.id)
        except ReviewError as exc:
            self.post_message(self._Released())
            self.app.call_from_thread(
                self.notify, str(exc), title="未能领取", severity="error", markup=False
            )
            return
        self.post_message(self._Claimed(row, claim, flags, above))

    def on_queue_passing__claimed(self, message: _Claimed) -> None:
        from zcreview.screens.queue_pass import QueuePassDialog
        from zcreview.screens.review_texts import claim_text, decision_text
        from zcreview.storage.review_results import Claimed

        claim, row = message.claim, message.row
        reviewer = getattr(self.app, "reviewer", None)
        if not isinstance(claim, Claimed) or not reviewer:
            # Held by someone else (who, until when) or no longer in a passable state.
            self._passing = False
            self.refresh_bindings()
            self.notify(claim_text(claim), title="不能审核通过", severity="warning", markup=False)
            self.action_reload()
            return

        def answered(decision: Decision | None) -> None:
            if decision is None:
                self._release(reviewer, row.id)
                return
            self._passing = False
            self.notify(
                f"{row.name}：{decision_text(decision)}", title="已提交并保存", markup=False
            )
            self.action_reload()

        self.app.push_screen(
            QueuePassDialog(
                workstation(self.app).services,
                reviewer,
                row,
                claim.version,
                claim_message=claim_text(claim),
                flags=message.flags,
                above=message.above,
            ),
            answered,
        )

    @work(thread=True, exclusive=True, group="queue-pass")
    def _release(self, reviewer: str, app_id: str) -> None:
        from zcreview.storage.transitions import ReviewError

        try:
            with contextlib.suppress(ReviewError):  # else the lease simply runs out
                workstation(self.app).services.desk(reviewer).release(app_id)
        finally:
            self.post_message(self._Released())

    def on_queue_passing__released(self) -> None:
        self._passing = False
        self.refresh_bindings()
        self.action_reload()
