"""Pilot helpers shared by the workstation's tests and benches: let the app settle, read the
screen as text, wait (bounded) for a condition or for a message the app handles, open the
review screen as Enter does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from textual.message import Message

from zcreview.context import Context
from zcreview.screens.app import ZcReviewApp, make_app
from zcreview.screens.review import ReviewScreen
from zcreview.screens.review_services import ReviewServices
from zcreview.screens.sync_runner import SyncRunner
from zcreview.settings import Settings
from zcreview.storage.queue import QueueFilter
from zcreview.storage.store import Store

T = TypeVar("T")
M = TypeVar("M", bound=Message)

WIDE = (120, 40)
NARROW = (80, 24)
"""Terminal sizes the Pilot tests run at: a wide terminal and the 80×24 minimum."""
WAIT = 30.0
"""Seconds a helper waits for workers or a condition before the test fails (not hangs)."""


async def settle(pilot: Any, rounds: int = 6) -> None:
    """Let the app's workers finish and the messages they post land."""
    for _ in range(rounds):
        await asyncio.wait_for(pilot.app.workers.wait_for_complete(), WAIT)
        await pilot.pause()


def screen_text(app: Any) -> str:
    """What the terminal shows, as text (one line per row)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)


async def until(pilot: Any, condition: Callable[[], object], what: str) -> None:
    """Wait (bounded) until `condition()` holds, letting workers and messages run."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await settle(pilot, 1)
        await pilot.pause(0.05)


class Heard:
    """Every message the app dispatches, in order: give it to `run_test(message_hook=heard)`."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def __call__(self, message: Message) -> None:
        self.messages.append(message)


@asynccontextmanager
async def handled(pilot: Any, heard: Heard, kind: type[M], what: str) -> AsyncIterator[list[M]]:
    """After the block, wait (bounded) for the first `kind` message dispatched since it began,
    and for its handler to run; the yielded list then holds that message.

    For decisions: the test waits for the screen's own word that the decision is stored
    (`ReviewBase.Decided`), not for the app to fall quiet."""
    start = len(heard.messages)
    got: list[M] = []
    yield got
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        found = [m for m in heard.messages[start:] if isinstance(m, kind)]
        if found:
            break
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what} ({kind.__name__})")
        await pilot.pause(0.01)
    await pilot.pause()  # the handler the hook saw starting runs to its end
    got.append(found[0])


async def press_into(pilot: Any, key: str, screen_type: type[T]) -> T:
    """Press `key` (one that opens a screen) and return the screen it opened."""
    await pilot.press(key)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, screen_type), f"{key} opened {type(screen).__name__}"
    return screen


async def open_review(pilot: Any, flt: QueueFilter | None = None, index: int = 0) -> ReviewScreen:
    """Open position `index` of `flt` (the whole queue) in the review screen, as Enter does."""
    app = pilot.app
    await settle(pilot)
    screen = ReviewScreen(
        app.services, flt or QueueFilter(), index, reviewer=app.reviewer, total=None
    )
    app.push_screen(screen)
    await settle(pilot)
    assert screen.loaded is not None and screen.loaded.application is not None
    return screen


def workstation_app(
    settings: Settings,
    store: Store,
    *,
    services: ReviewServices | None = None,
    reviewer: str | None = None,
) -> ZcReviewApp:
    """The workstation over `store`, wired as `run_app` wires it (services, sync runner)."""
    ctx = Context(settings=settings, store=store)
    services = services or ReviewServices(store, settings)
    return make_app(ctx, services, SyncRunner(settings, store), reviewer=reviewer)
