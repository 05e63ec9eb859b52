"""Loading the review screen's application: read and claim it in a worker, show it, keep the
claim while the reviewer stays, and order and use the OCR of its attachments."""

from __future__ import annotations

import contextlib

from textual import work
from textual.worker import get_current_worker

from zcreview.desk.walk import Position, attachments_of
from zcreview.domain.checks import CheckResult
from zcreview.ocr_queue import PageEvent
from zcreview.screens.review_items import ReviewItem, build_items
from zcreview.screens.review_lines import Loaded, taken_over_text
from zcreview.screens.review_release import release_in_background
from zcreview.screens.review_state import ReviewBase
from zcreview.screens.review_texts import claim_text
from zcreview.screens.widgets.field_list import FieldList
from zcreview.screens.widgets.preview_pane import PreviewPane
from zcreview.storage.review_results import Claimed, ClaimResult
from zcreview.storage.transitions import ReviewError


class ReviewLoading(ReviewBase):
    """Reads, claims and shows the application at the screen's queue position."""

    # ----- recognised text ----------------------------------------------------------------

    def _page_recognised(self, event: PageEvent) -> None:
        """Called from an OCR thread after each page: show it if it is the one on screen, and
        once an attachment of this application is read to its end, check it against the form."""
        target = self.preview_target
        if target is not None and event.sha256 == target.sha and event.outcome != "skipped":
            self.post_message(self._Recognised(event.sha256))
        loaded = self.loaded
        if (
            loaded is not None
            and loaded.application is not None
            and event.outcome in ("read", "failed")
            and event.page + 1 >= event.page_count
            and event.sha256 in {sha for sha, _ in attachments_of(loaded.application)}
        ):
            # This runs on an OCR thread: only a message may cross to the screen.
            self.post_message(self._EvidenceRead(loaded.app_id))

    def on_review_base__evidence_read(self, message: ReviewBase._EvidenceRead) -> None:
        self._recheck(message.app_id)

    @work(thread=True, exclusive=True, group="review-evidence", exit_on_error=False)
    def _recheck(self, app_id: str) -> None:
        """The checks again with the evidence read so far (the form itself has not changed)."""
        loaded = self.loaded
        if loaded is None or loaded.app_id != app_id or loaded.application is None:
            return
        results = self.services.walk().recheck(loaded)
        self.post_message(self._Rechecked(app_id, results, self._items_of(loaded, results)))

    def on_review_base__rechecked(self, message: ReviewBase._Rechecked) -> None:
        loaded = self.loaded
        if loaded is None or loaded.app_id != message.app_id:
            return
        loaded.results, loaded.items = message.results, message.items
        fields = self.query_one(FieldList)
        keep = fields.cursor
        self.items = message.items
        fields.cursor = min(keep, max(0, len(message.items) - 1))
        self._show_status()

    def on_review_base__recognised(self, message: ReviewBase._Recognised) -> None:
        self.query_one(PreviewPane).reload_text(message.sha)

    @work(thread=True, exclusive=True, group="review-ocr-order", exit_on_error=False)
    def _schedule_ocr(self, loaded: Loaded) -> None:
        """This application's attachments now, the next ones of the selection after, then the
        rest of the office (once a session) in the background. Started once the loaded
        application is on screen: finding the attachments ahead is a few more queries, which
        the reviewer need not wait for and the first paint should not share the CPU with."""
        ocr = self.services.ocr
        if ocr is None or loaded.application is None:
            return
        ocr.focus(attachments_of(loaded.application))
        walk = self.services.walk()
        ahead = walk.attachments_ahead(self.queue_filter, loaded.index + 1, AHEAD_APPLICATIONS)
        ocr.ahead(ahead)
        if not self.services.background_ocr_started:
            self.services.background_ocr_started = True
            ocr.everything()

    # ----- loading ------------------------------------------------------------------------

    @work(thread=True, group="review-warm-up", exit_on_error=False)
    def _warm_up(self) -> None:
        # Decoder processes that cannot start are reported by the pane, per attachment.
        with contextlib.suppress(Exception):
            self.services.previewer.warm_up()
        ocr = self.services.ocr
        if ocr is not None:
            with contextlib.suppress(Exception):
                ocr.warm_up()  # the models load now, not with the first page

    def _start_load(
        self, index: int, *, release: str | None = None, after: str | None = None
    ) -> None:
        self._busy = True
        self._stop_renewal()
        if release is not None and self.loaded is not None:
            self.loaded.can_decide = False  # no lease renewal for it from now on
        self._load(index, release=release, after=after, pinned=self._pinned)

    @work(thread=True, exclusive=True, group="review-load")
    def _load(
        self,
        index: int,
        *,
        release: str | None = None,
        after: str | None = None,
        pinned: str | None = None,
    ) -> None:
        """Read queue position `index` (or the one after application `after`, or application
        `pinned` kept at `index`), claim it."""
        worker = get_current_worker()
        services = self.services
        desk = services.desk(self.reviewer) if self.reviewer else None
        walk = services.walk()
        try:
            if release and desk is not None:
                with self._claim_lock:  # after a lease renewal under way, never before it
                    desk.release(release)
            where = walk.locate(self.queue_filter, index, after=after, pinned=pinned)
            if where.app_id is None:
                self.post_message(self.Shown(Loaded(where.index, where.total, error="END")))
                return
            claim: ClaimResult | None = None
            if desk is not None:
                claim = desk.claim(where.app_id)
                if isinstance(claim, Claimed) and (self._leaving or worker.is_cancelled):
                    # Left (q typed ahead) or superseded while this was claiming.
                    desk.release(where.app_id)
                    return
            loaded = Loaded.of(walk.read(where, self.queue_filter, self.reviewer))
            self._claimed(loaded, where, claim)
            loaded.items = self._items_of(loaded, loaded.results)
        except ReviewError as exc:
            self.post_message(self.Shown(Loaded(index, self.total, error=str(exc))))
            return
        if worker.is_cancelled:
            return
        self.post_message(self.Shown(loaded))

    def _claimed(self, loaded: Loaded, where: Position, claim: ClaimResult | None) -> None:
        """What the claim made of this opening: decide or read only, and what to say."""
        if claim is None:
            loaded.claim_message = "只读浏览（未选择审核人）"
            return
        loaded.can_decide = isinstance(claim, Claimed)
        loaded.claim_message = claim_text(claim)
        if isinstance(claim, Claimed):
            loaded.taken_over = taken_over_text(where.holder, where.lease_until, self.reviewer)

    def _items_of(self, loaded: Loaded, results: list[CheckResult]) -> list[ReviewItem]:
        """The field list's items of what was read, with these check results (runs in a
        worker: on load, and again when evidence arrives)."""
        app = loaded.application
        if app is None:
            return []
        ctx = loaded.resubmission
        return build_items(
            app,
            results,
            ctx.report if ctx is not None else None,
            late=bool(ctx and ctx.late),
            ascii_mode=self._ascii,
            above=loaded.above,
            returned=loaded.returned,
        )

    def on_review_base_shown(self, message: ReviewBase.Shown) -> None:
        loaded = message.loaded
        self._busy = False
        if self._leaving:
            # `q` typed while this was loading, just after its claim: give it back.
            if loaded.can_decide and self.reviewer:
                release_in_background(
                    self.app, self.services, self.reviewer, loaded.app_id, self._claim_lock
                )
            return
        if loaded.error == "END":
            self.notify("所选范围内已没有更多申报", title="队列已审完", markup=False)
            self.dismiss(max(0, min(self.index, loaded.total - 1)))
            return
        self.loaded = loaded
        self.total = loaded.total
        self.set_reactive(ReviewBase.index, loaded.index)
        self.items = loaded.items
        self.flags = {f.path: f.text() for f in loaded.flags}
        # Wrap the items now, so their height is known to this frame's layout (not found
        # while painting, which costs a second layout and frame).
        fields = self.query_one(FieldList)
        fields.prepare()
        # The item under the cursor in the same frame (its Highlighted message comes after).
        self._show_item(fields.current)
        self._show_title()
        self._show_status()
        self.refresh_bindings()
        if loaded.can_decide:
            self._stop_renewal()
            self._renewal = self.set_interval(
                self.services.renewal_interval(), self._renew, name="review-lease"
            )
        if loaded.next_attachment is not None:
            self.query_one(PreviewPane).prefetch(*loaded.next_attachment)
        if loaded.taken_over:
            self.notify(loaded.taken_over, title="已接手", severity="warning", markup=False)
        if self.services.ocr is not None:
            self.call_after_refresh(self._schedule_ocr, loaded)

    # ----- lease ----------------------------------------------------------------------------

    def _renew(self) -> None:
        """Extend the claim while the reviewer stays on it (a long look at a scan, a composer
        left open), so nobody else takes it over mid-review."""
        app_id = self._mine()
        if app_id is not None and not self._busy:
            self._renew_claim(app_id)

    @work(thread=True, exclusive=True, group="review-renew", exit_on_error=False)
    def _renew_claim(self, app_id: str) -> None:
        assert self.reviewer is not None
        # Under the claim lock, and only while still shown: a renewal that ran after the
        # release on leaving would claim the application again.
        with self._claim_lock:
            if self._mine() != app_id:
                return
            try:
                claim = self.services.desk(self.reviewer).claim(app_id)
            except ReviewError:
                return  # the next tick tries again; a real conflict shows on the decision
        self.post_message(self._Renewed(app_id, claim))

    def on_review_base__renewed(self, message: ReviewBase._Renewed) -> None:
        loaded = self.loaded
        if loaded is None or loaded.app_id != message.app_id or not loaded.can_decide:
            return
        claim = message.claim
        loaded.claim_message = claim_text(claim)
        if not isinstance(claim, Claimed):
            # Lost it (taken over after a stall, or its state moved): read only from now on.
            self._stop_renewal()
            loaded.can_decide = False
            self.alert = claim_text(claim)
            self.refresh_bindings()
        self._show_status()


AHEAD_APPLICATIONS = 3
"""Applications after the open one whose attachments are read ahead of the reviewer."""
