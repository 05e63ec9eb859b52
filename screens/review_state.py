"""What the review screen holds between its jobs: the application on screen, its items and
flags, the messages its workers post, and the lines above and below the fields.

The screen is built in layers, one job each: this state; loading and claiming
(`review_loading`); flags, decisions and exports (`review_decisions`); keys and layout
(`review`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from zcreview.desk.drafts import Flag
from zcreview.domain.checks import CheckResult
from zcreview.screens.evidence_match import values_at
from zcreview.screens.review_items import ReviewItem
from zcreview.screens.review_lines import Loaded, item_line, status_line, title_line
from zcreview.screens.review_services import ReviewServices
from zcreview.screens.widgets.preview_pane import PreviewPane, PreviewTarget
from zcreview.storage.queue import QueueFilter
from zcreview.storage.review_results import ClaimResult, Decision


class ReviewBase(Screen[int]):
    """State and messages of the review screen (see `ReviewScreen`)."""

    items: var[list[ReviewItem]] = var(list, always_update=True)
    flags: var[dict[str, str]] = var(dict, always_update=True)
    preview_target: var[PreviewTarget | None] = var(None)
    show_preview: var[bool] = var(False)
    index: var[int] = var(0, init=False)

    @dataclass
    class Shown(Message):
        """An application (or the end of the selection, or why it failed) was read for the
        screen and is now on it."""

        loaded: Loaded

    @dataclass
    class Decided(Message):
        """A decision (pass, reopen, return) was stored: the screen says so and moves on."""

        decision: Decision

    @dataclass
    class Refused(Message):
        """A decision was refused (someone else decided first, the lease ran out, …): why."""

        message: str

    @dataclass
    class _FlagsChanged(Message):
        app_id: str
        flags: list[Flag]

    @dataclass
    class _Renewed(Message):
        app_id: str
        claim: ClaimResult

    @dataclass
    class _Said(Message):
        message: str
        severity: str = "information"

    @dataclass
    class _Recognised(Message):
        sha: str

    @dataclass
    class _EvidenceRead(Message):
        app_id: str

    @dataclass
    class _Rechecked(Message):
        app_id: str
        results: list[CheckResult]
        items: list[ReviewItem]

    def __init__(
        self,
        services: ReviewServices,
        queue_filter: QueueFilter,
        index: int,
        *,
        reviewer: str | None,
        total: int | None = None,
    ) -> None:
        super().__init__()
        self.services = services
        self.queue_filter = queue_filter
        self.reviewer = reviewer
        self._ascii = services.ascii_mode
        self.total = total if total is not None else index + 1
        self.loaded: Loaded | None = None
        self._styled_with: object = None
        """The app stylesheet's rules this screen was last styled with (see _on_screen_resume)."""
        self.alert = ""
        self._busy = False
        self._renewal: Timer | None = None
        self._lines: dict[str, int] = {}
        self._item_shown: ReviewItem | None = None
        self._leaving = False
        self._claim_lock = threading.Lock()
        self._pinned: str | None = None
        """An application shown whatever the selection says: one just reopened, which the
        selection (e.g. 通过未上报) no longer holds while it is 审核中."""
        self.set_reactive(ReviewBase.index, index)

    # ----- lines around the fields -------------------------------------------------------

    def _line(self, id: str, text: Text) -> None:
        """Show `text` in the title, status or item line; lay the screen out again only when
        its number of lines changes (a relayout of the screen costs more than the data)."""
        lines = text.plain.count("\n") + 1
        layout = self._lines.get(id) != lines
        self._lines[id] = lines
        self.query_one(f"#{id}", Static).update(text, layout=layout)

    def _show_title(self) -> None:
        if self.loaded is not None:
            self._line("review-title", title_line(self.loaded, self._ascii))

    def _show_item(self, item: ReviewItem | None) -> None:
        """The line under the fields and the preview for the item under the cursor."""
        if item is not None and item is self._item_shown:
            return  # shown with the application; the list's Highlighted message follows
        self._item_shown = item
        detail = item_line(item, self._ascii)
        if item is not None:
            ref = item.backing(self.items)
            self.preview_target = (
                PreviewTarget(ref.sha256, ref.name, item.label)
                if ref is not None and ref.sha256
                else None
            )
            loaded = self.loaded
            app = loaded.application if loaded is not None else None
            pane = self.query_one(PreviewPane)
            pane.needles = tuple(values_at(app, item.path)) if app is not None else ()
            ocr = self.services.ocr
            if ocr is not None and ref is not None and ref.sha256:
                ocr.focus([(ref.sha256, ref.name)], fetch=True)  # under the cursor: first
        else:
            self.preview_target = None
        self._line("review-item", detail)

    def _show_status(self) -> None:
        loaded = self.loaded
        if loaded is None:
            return
        line = status_line(
            loaded, self.alert, self.services.today(), self.services.policy(), self._ascii
        )
        self._line("review-status", line)

    # ----- guards -------------------------------------------------------------------------

    def _deciding(self) -> bool:
        loaded = self.loaded
        return bool(
            loaded is not None and loaded.can_decide and loaded.application and not self._busy
        )

    def _mine(self) -> str | None:
        loaded = self.loaded
        if loaded is not None and loaded.can_decide and loaded.app_id:
            return loaded.app_id
        return None

    def _stop_renewal(self) -> None:
        if self._renewal is not None:
            self._renewal.stop()
            self._renewal = None
