"""Bytes a terminal receives for one inline preview page in the review screen at 120×40.

Run from the repository root: ``python tests/bench/bench_preview_bytes.py``. Prints one JSON line.
The pane's strips (header, half-block page, footer) are written through a Rich console with
colour system 256, as over an SSH session. Goal: ≤ 25 KB for one page.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_preview import scanned_pdf  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.segment import Segment, Segments  # noqa: E402

from tests.pilot_helpers import settle  # noqa: E402
from tests.review_screen_data import add_application, new_office, review_app  # noqa: E402
from tests.review_screen_data import scanned_pdf as real_scan  # noqa: E402
from zcreview.screens.review import ReviewScreen  # noqa: E402
from zcreview.screens.widgets.field_list import FieldList  # noqa: E402
from zcreview.screens.widgets.preview_pane import PreviewPane  # noqa: E402
from zcreview.storage.queue import QueueFilter  # noqa: E402

GOAL = 25 * 1024
SCAN_FILE = "学历/2012年6月本科学历.pdf"


def pane_bytes(pane: PreviewPane, color_system: str) -> int:
    """Bytes for every line of the pane, written by Rich as a terminal would receive them."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=pane.size.width,
        color_system=color_system,  # type: ignore[arg-type]
        force_terminal=True,
        legacy_windows=False,
        soft_wrap=True,
    )
    for y in range(pane.size.height):
        console.print(Segments([*pane.render_line(y), Segment.line()]), end="")
    return len(buffer.getvalue().encode("utf-8"))


async def measure(data: bytes, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="zcreview-bench-") as tmp:
        store = new_office(Path(tmp) / "home")
        add_application(store, seed, files={SCAN_FILE: data})
        app = review_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = ReviewScreen(app.services, QueueFilter(), 0, reviewer=app.reviewer)
            app.push_screen(screen)
            await settle(pilot)
            await pilot.press("p")
            screen.query_one(FieldList).go_to_path("education.basis.attachments[0]")
            await settle(pilot)
            pane = screen.query_one(PreviewPane)
            assert pane.result is not None and pane.result.error is None, pane.result
            result = {
                "pane": f"{pane.size.width}x{pane.size.height}",
                "bytes_256": pane_bytes(pane, "256"),
                "bytes_truecolor": pane_bytes(pane, "truecolor"),
            }
        store.dispose()
    return result


def main() -> None:
    out: dict[str, Any] = {
        "synthetic_5mb_scan": asyncio.run(measure(scanned_pdf(), 0)),
        "realworld_scan": asyncio.run(measure(real_scan(), 1)),
    }
    out["goal_bytes"] = GOAL
    out["goals_met"] = all(v["bytes_256"] <= GOAL for v in out.values() if isinstance(v, dict))
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
