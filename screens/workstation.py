"""What screens may ask of the app they run in, typed: its review services, its sync runner,
the session's reviewer, and the screens it has registered by name.

Screens import this module, never the app's (which imports them); the app satisfies the
protocol and `workstation` checks it once, where a screen reaches for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen

    from zcreview.screens.review_services import ReviewServices
    from zcreview.screens.sync_runner import SyncRunner

TOP_SCREENS = frozenset({"queue", "paths", "report", "outbox", "stats"})
"""Screens from which 路径, 数据上报 and 统计 open (not from inside a review that holds a claim)."""


@runtime_checkable
class Workstation(Protocol):
    """The app as screens see it (`zcreview.screens.app.ZcReviewApp`)."""

    @property
    def services(self) -> ReviewServices: ...

    @property
    def sync(self) -> SyncRunner: ...

    @property
    def reviewer(self) -> str | None: ...

    def open_screen(self, name: str) -> None:
        """Push the screen registered under `name` (`ZcReviewApp.SCREEN_FACTORIES`)."""

    def open_top(self, name: str) -> None:
        """Open a top screen over the queue; the one already open comes forward instead."""


def workstation(app: App[object]) -> Workstation:
    """The running app as a `Workstation`; a plain Textual app (a test harness) is refused."""
    if not isinstance(app, Workstation):
        raise TypeError(f"{type(app).__name__} is not the zcreview workstation")
    return app


def screen_name(screen: Screen[object]) -> str:
    """The name a screen is registered under (`SCREEN_NAME`), or "" for dialogs and the like."""
    name: str = getattr(type(screen), "SCREEN_NAME", "")
    return name


def is_top(screen: Screen[object]) -> bool:
    return screen_name(screen) in TOP_SCREENS
