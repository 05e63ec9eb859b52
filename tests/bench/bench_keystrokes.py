"""Count the keys a reviewer presses from the queue to a decision (Pilot, headless).

Run from the repository root: ``python tests/bench/bench_keystrokes.py``. Prints one JSON line.
Goals: queue → passed application ≤ 2 keys (`a` on the queue, `y`); queue → returned application
with three templated correction items ≤ 15 keys. The pass through the review screen (Enter, `a`,
`y`) is counted too, for comparison. Each scenario checks the stored result, so a count only
stands if the decision really was committed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from sqlmodel import col, select  # noqa: E402

from tests.pilot_helpers import settle  # noqa: E402
from tests.review_screen_data import add_application, new_office, review_app  # noqa: E402
from zcreview.domain.workflow import State  # noqa: E402
from zcreview.screens.queue import QueueScreen  # noqa: E402
from zcreview.screens.queue_pass import QueuePassDialog  # noqa: E402
from zcreview.screens.review import ReviewScreen  # noqa: E402
from zcreview.storage import applications  # noqa: E402
from zcreview.storage.review_tables import CorrectionItemRow, ReturnRow  # noqa: E402
from zcreview.storage.store import Store  # noqa: E402


class Keys:
    """Presses keys through Pilot and counts them."""

    def __init__(self, pilot: Any) -> None:
        self.pilot = pilot
        self.count = 0
        self.log: list[str] = []

    async def press(self, *keys: str) -> None:
        for key in keys:
            self.count += 1
            self.log.append(key)
            await self.pilot.press(key)
            await settle(self.pilot)


def state(store: Store, app_id: str) -> str:
    with store.session() as s:
        row = applications.get_row(app_id, session=s)
        assert row is not None
        return row.state


async def pass_one(home: Path) -> dict[str, Any]:
    store = new_office(home)
    app_id = add_application(store, 0)
    app = review_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        keys = Keys(pilot)
        await keys.press("enter")  # open from the queue: claims it
        assert isinstance(app.screen, ReviewScreen)
        await keys.press("a", "y")  # 审核通过, confirmed
    ok = state(store, app_id) == State.PASSED.value
    store.dispose()
    return {"keys": keys.count, "sequence": keys.log, "committed": ok}


async def pass_from_queue(home: Path) -> dict[str, Any]:
    store = new_office(home)
    app_id = add_application(store, 0)
    app = review_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        keys = Keys(pilot)
        await keys.press("a")  # 审核通过 on the highlighted row: claims it and asks
        assert isinstance(app.screen, QueuePassDialog)
        await keys.press("y")  # committed before the dialog closes
        assert isinstance(app.screen, QueueScreen)
    ok = state(store, app_id) == State.PASSED.value
    store.dispose()
    return {"keys": keys.count, "sequence": keys.log, "committed": ok}


def _defective(app: Any) -> None:
    app.basic.unit_rank = "4/3"  # RANK-FMT
    app.basic.current_specialty = "其他"  # MAJOR-OTHER
    app.continuing_education[0].professional_hours = 30  # CE-HOURS


async def return_three(home: Path) -> dict[str, Any]:
    store = new_office(home)
    app_id = add_application(store, 0, change=_defective)
    app = review_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        keys = Keys(pilot)
        await keys.press("enter")
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        for _ in range(3):
            # next ⚠/✗, flag it, take the reason the failing check suggests
            await keys.press("right_square_bracket", "f", "enter")
        await keys.press("r")  # the composer, pre-filled from the flags
        await keys.press("ctrl+s")  # return with the default deadline
    with store.session() as s:
        ret = s.exec(select(ReturnRow).where(col(ReturnRow.application_id) == app_id)).first()
        items = (
            s.exec(
                select(CorrectionItemRow).where(col(CorrectionItemRow.return_id) == ret.id)
            ).all()
            if ret is not None
            else []
        )
    ok = state(store, app_id) == State.RETURNED.value and len(items) == 3
    templated = all(i.reason_id for i in items)
    store.dispose()
    return {
        "keys": keys.count,
        "sequence": keys.log,
        "committed": ok,
        "items": [f"{i.field_path}:{i.reason_id}" for i in items],
        "all_templated": templated,
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="zcreview-keys-") as tmp:
        quick = asyncio.run(pass_from_queue(Path(tmp) / "q"))
        passed = asyncio.run(pass_one(Path(tmp) / "a"))
        returned = asyncio.run(return_three(Path(tmp) / "b"))
    out = {
        "pass_keys": quick["keys"],
        "pass_keys_via_review_screen": passed["keys"],
        "pass_keys_in_review": passed["keys"] - 1,
        "return_3_items_keys": returned["keys"],
        "pass_from_queue": quick,
        "pass": passed,
        "return": returned,
        "goals": {"pass": 2, "return_3_items": 15},
    }
    out["goals_met"] = bool(
        quick["committed"]
        and passed["committed"]
        and returned["committed"]
        and returned["all_templated"]
        and quick["keys"] <= 2
        and returned["keys"] <= 15
    )
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
