"""Giving back a claim after the review screen has gone, without holding up the screen below."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

from textual.app import App
from textual.message import Message

from zcreview.screens.review_services import ReviewServices
from zcreview.storage.transitions import ReviewError


@dataclass
class ClaimReleased(Message):
    """A claim the review screen held when it was left is given back (to the screen below)."""

    app_id: str


def release_in_background(
    app: App[object],
    services: ReviewServices,
    reviewer: str,
    app_id: str,
    lock: threading.Lock | None = None,
) -> None:
    """Give back a claim after the review screen is gone; the screen then on top hears of it.
    `lock` is the screen's claim lock: a lease renewal under way finishes first."""

    def release() -> None:
        with lock or contextlib.nullcontext(), contextlib.suppress(ReviewError):
            services.desk(reviewer).release(app_id)
        app.call_from_thread(lambda: app.screen.post_message(ClaimReleased(app_id)))

    app.run_worker(release, thread=True, group="review-release", exit_on_error=False)
