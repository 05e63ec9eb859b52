"""Start-up of the workstation: what runs before the queue's first page is on screen.

The CLI holds the cyclic garbage collector off while the workstation loads (`cmd_open`); the
app hands it back once the first page is painted. The list counts its selection once at start.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from tests import tui_data
from tests.pilot_helpers import settle, until, workstation_app
from zcreview.screens.widgets.queue_list import QueueList
from zcreview.settings import Settings
from zcreview.storage.store import Store, open_store

pytestmark = pytest.mark.anyio


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "home")
    tui_data.fill(store, 120)
    tui_data.add_reviewers(store, "张审核")
    try:
        yield store
    finally:
        store.dispose()


async def test_the_first_page_hands_the_garbage_collector_back(office: Store) -> None:
    app = workstation_app(Settings(home=office.home), office)
    frozen = gc.get_freeze_count()
    gc.disable()  # as `cmd_open` does
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.screen.query_one(QueueList).loaded, "the first page")
            await until(pilot, gc.isenabled, "the collector back")
            # What start-up loaded is frozen: later passes do not scan it again.
            assert gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()
        gc.enable()


async def test_the_queue_counts_its_selection_once_at_start(office: Store) -> None:
    counts: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().lower().startswith("select count("):
            counts.append(statement)

    event.listen(office.engine, "before_cursor_execute", seen)
    app = workstation_app(Settings(home=office.home), office)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.screen.query_one(QueueList).total == 120
        list_counts = [s for s in counts if "group by" not in s.lower()]
        assert len(list_counts) == 1, list_counts
