"""The batch the 数据上报 screen watches once sealed: its progress bar, the rate line (with a
stall or a failed send said plainly) and the receipts that come back.

A layer of the screen (`ReportScreen` extends it); it holds no marks and loads nothing.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import DataTable, ProgressBar, Static

from zcreview.screens.report_texts import (
    not_sent_text,
    progress_text,
    stalled_text,
    verdict_text,
)
from zcreview.screens.sync_screen import SyncScreen
from zcreview.screens.text import clean
from zcreview.sync.delivery import BatchProgress
from zcreview.sync.outbox import STATE_LABELS
from zcreview.sync.service import ReceiptLine

STALL_AFTER = 5.0
"""Seconds without progress after which the rate and time left give way to "无进展"."""


class BatchWatch(SyncScreen):
    """Owns the watched batch and what the screen last heard of it."""

    def __init__(self) -> None:
        super().__init__()
        self.watching: str | None = None
        self._last_progress: BatchProgress | None = None
        self._last_progress_at = 0.0
        self._failed = False

    def _not_sent(self, why: str) -> str:
        service = self.syncing.service
        retry_in = float(service.interval) if service.enabled and service.interval > 0 else None
        return not_sent_text(why, self._last_progress, retry_in)

    def _stall_check(self) -> None:
        """No progress for a while: say so, instead of a rate and time left that froze."""
        p = self._last_progress
        if p is None or p.state not in ("offered", "uploading") or p.batch_id != self.watching:
            return
        if self._failed:
            return  # the cycle's own message says what happened and what comes next
        quiet = time.monotonic() - self._last_progress_at
        if quiet < STALL_AFTER:
            return
        self._set_rate(stalled_text(p, quiet))

    def _show_progress(self, p: BatchProgress) -> None:
        self._last_progress, self._last_progress_at = p, time.monotonic()
        self._failed = False
        bar = self.query_one("#report-progress", ProgressBar)
        bar.display = True
        bar.update(total=max(p.bytes_total, 1), progress=p.bytes_sent if p.bytes_total else 1)
        self._set_rate(progress_text(p))

    def _set_rate(self, text: Text) -> None:
        rate = self.query_one("#report-rate", Static)
        rate.display = True
        rate.update(text)

    def _show_receipts(self, lines: list[ReceiptLine], state: str, error: str) -> None:
        table = self.query_one("#report-receipts", DataTable)
        table.display = True
        table.clear()
        for r in lines:
            table.add_row(
                verdict_text(r.outcome),
                Text(clean(r.name)),
                Text(clean(r.unit)),
                Text(clean("；".join(r.reasons))),
            )
        if state in ("acknowledged", "partly_rejected"):
            accepted = sum(1 for r in lines if r.outcome == "accepted")
            refused = len(lines) - accepted
            bar = self.query_one("#report-progress", ProgressBar)
            bar.display = True
            bar.update(total=1, progress=1)
            tail = f"，拒收 {refused} 份（已回到待上报列表）" if refused else ""
            self._set_rate(
                Text(
                    f"批次 {self.watching[:8] if self.watching else ''} {STATE_LABELS[state]}："
                    f"接收 {accepted} 份{tail}",
                    style="bold",
                )
            )
        elif error:
            self._set_rate(
                Text(f"{STATE_LABELS.get(state, state)}：{self._not_sent(clean(error))}")
            )
