"""Benchmark the review screen: open an application from the queue, walk with J, preview a scan.

Run from the repository root: ``python tests/bench/bench_review.py``. Prints one JSON line.
Goals: queue → complete review screen ≤ 150 ms (median of 20 opens); `J` to the next
application ≤ 100 ms (median of 10); first preview of a page of
a ~5 MB scanned PDF ≤ 300 ms (decoder processes warmed up, as the screen does on open); a cached
page ≤ 30 ms. Times are wall-clock inside a headless Textual app (Pilot), from the key sent to
the first frame the app composites that shows the result (what a terminal would be sent next),
with the CPU time of this process over the same span beside them.

Keys are sent as Pilot sends them, without `Pilot.press`'s waits: those sleep at least 20 ms
twice per key, and until the process is idle (up to a second while the OCR and preview threads
work), so they timed the wait rather than the screen.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_preview import scanned_pdf  # noqa: E402
from textual import events  # noqa: E402
from textual.widgets import Static  # noqa: E402

from tests.pilot_helpers import settle  # noqa: E402
from tests.review_screen_data import Clock, fill, new_office, review_app  # noqa: E402
from zcreview.screens.review import ReviewScreen  # noqa: E402
from zcreview.screens.review_services import ReviewServices  # noqa: E402
from zcreview.screens.widgets.field_list import FieldList  # noqa: E402
from zcreview.screens.widgets.preview_pane import PreviewPane  # noqa: E402
from zcreview.screens.widgets.queue_list import QueueList  # noqa: E402

OPENS = 20
SCAN_FILE = "学历/2012年6月本科学历.pdf"
SCAN_PATH = "education.basis.attachments[0]"


async def until(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("bench step did not finish")
        await asyncio.sleep(0.0005)


class Frames:
    """Notes when the app composites a frame (App._display: what goes to the terminal)."""

    def __init__(self, app: Any) -> None:
        self._shows: Callable[[], bool] | None = None
        self._done = asyncio.Event()
        self._at = 0.0
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is not None and self._shows is not None and self._shows():
                self._shows = None
                self._at = time.perf_counter()
                self._done.set()

        app._display = display

    def expect(self, shows: Callable[[], bool]) -> None:
        """Wait for the first frame composited while `shows()` holds (set before the key)."""
        self._done.clear()
        self._shows = shows

    async def painted(self, timeout: float = 30.0) -> float:
        """perf_counter() of that frame."""
        await asyncio.wait_for(self._done.wait(), timeout)
        return self._at


def send_key(app: Any, key: str) -> None:
    """The key event Pilot.press sends, without its waits for an idle process."""
    char = {"enter": "\r"}.get(key, key if len(key) == 1 else None)
    event = events.Key(key, char)
    event.set_sender(app)
    app._driver.send_message(event)


async def run(home: Path) -> dict[str, Any]:
    store = new_office(home)
    big = scanned_pdf()
    fill(store, OPENS + 5, first_files={SCAN_FILE: big})
    app = review_app(store)
    services = ReviewServices(store, app.settings, clock=Clock(), isolate_previews=True)
    app.services = services
    out: dict[str, Any] = {"scan_pdf_bytes": len(big), "cpus": os.cpu_count()}
    async with app.run_test(size=(120, 40)) as pilot:
        frames = Frames(app)
        await settle(pilot)
        opens: list[float] = []
        open_cpu: list[float] = []

        def review_shown() -> bool:
            """Complete: the application read, and the line about the item under the cursor."""
            screen = app.screen
            if not isinstance(screen, ReviewScreen) or screen.loaded is None:
                return False
            return bool(str(screen.query_one("#review-item", Static).content))

        for i in range(OPENS):
            queue = app.screen.query_one(QueueList)
            queue.go_to(i)
            await settle(pilot, 2)
            frames.expect(review_shown)
            started, cpu = time.perf_counter(), time.process_time()
            send_key(app, "enter")
            painted = await frames.painted()
            opens.append((painted - started) * 1000)
            open_cpu.append((time.process_time() - cpu) * 1000)
            await settle(pilot, 2)
            await pilot.press("q")
            await until(lambda: not isinstance(app.screen, ReviewScreen))
            await settle(pilot, 2)
        out["open_ms_median"] = round(statistics.median(opens), 1)
        out["open_ms_first"] = round(opens[0], 1)
        out["open_ms_max"] = round(max(opens), 1)
        # CPU time of this process (all its threads) over the same span: on a shared, loaded
        # machine wall-clock times grow with the load, this much less.
        out["open_cpu_ms_median"] = round(statistics.median(open_cpu), 1)

        # J walks without leaving the screen (release, claim, read, check, draw).
        app.screen.query_one(QueueList).go_to(0)
        await settle(pilot, 2)
        await pilot.press("enter")
        await until(review_shown)
        await settle(pilot, 2)
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        walks: list[float] = []
        walk_cpu: list[float] = []
        for _ in range(10):
            before = screen.loaded
            frames.expect(lambda b=before: screen.loaded not in (None, b))  # type: ignore[misc]
            started, cpu = time.perf_counter(), time.process_time()
            send_key(app, "J")
            painted = await frames.painted()
            walks.append((painted - started) * 1000)
            walk_cpu.append((time.process_time() - cpu) * 1000)
            await settle(pilot, 2)
        out["walk_ms_median"] = round(statistics.median(walks), 1)
        out["walk_cpu_ms_median"] = round(statistics.median(walk_cpu), 1)
        for _ in range(10):
            await pilot.press("K")
            await settle(pilot, 2)

        # Preview of the 5 MB scan: workers warmed up (the screen does it on open).
        await asyncio.to_thread(services.previewer.warm_up, True)
        await pilot.press("p")
        await settle(pilot, 2)
        pane = screen.query_one(PreviewPane)
        fields = screen.query_one(FieldList)

        def page_shown() -> bool:
            return pane.result is not None and pane.target is not None

        frames.expect(page_shown)
        started = time.perf_counter()
        fields.go_to_path(SCAN_PATH)
        painted = await frames.painted()
        out["first_preview_ms"] = round((painted - started) * 1000, 1)
        out["preview_error"] = pane.result.error if pane.result else "none"
        fields.go_to_path("basic.name")
        await settle(pilot, 2)
        frames.expect(page_shown)
        started, cpu = time.perf_counter(), time.process_time()
        fields.go_to_path(SCAN_PATH)
        painted = await frames.painted()
        out["cached_preview_ms"] = round((painted - started) * 1000, 1)
        out["cached_preview_cpu_ms"] = round((time.process_time() - cpu) * 1000, 1)
        await settle(pilot, 2)
        # The Previewer's own cache (what a new pane or a resize within a bucket costs).
        target = pane.target
        assert target is not None
        width, height = pane.size.width, pane.size.height - 2
        started = time.perf_counter()
        services.previewer.render(target.sha, target.name, 0, width, height)
        out["previewer_cached_ms"] = round((time.perf_counter() - started) * 1000, 1)
        out["pane_cells"] = f"{width}x{height}"
        await pilot.press("q")
        await settle(pilot)
    services.close()
    store.dispose()
    out["goals_met"] = bool(
        out["open_ms_median"] <= 150
        and out["walk_ms_median"] <= 100
        and out["first_preview_ms"] <= 300
        and out["cached_preview_ms"] <= 30
    )
    out["load_average"] = round(os.getloadavg()[0], 2)
    return out


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="zcreview-bench-") as tmp:
        result = asyncio.run(run(Path(tmp) / "home"))
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
