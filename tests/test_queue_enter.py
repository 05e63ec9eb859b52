"""One Enter opens the first application, however soon after start-up it is pressed."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from textual import events

from tests.pilot_helpers import settle
from tests.review_screen_data import fill, new_office, review_app
from zcreview.screens.review import ReviewScreen
from zcreview.screens.widgets.queue_list import QueueList
from zcreview.storage import applications
from zcreview.storage import queue as queue_db
from zcreview.storage.queue import QueueFilter

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_one_enter_while_the_queue_still_loads_opens_the_first(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    store = new_office(tmp_path / "home")
    fill(store, 3)
    # Another program holds the database for a moment (a backup, a long import): the queue
    # appears, its rows and the reviewer's name are late, and the reviewer presses Enter.
    store.engine.dispose()  # no pooled connection of ours holds the file
    busy = sqlite3.connect(tmp_path / "home" / "office.db")
    busy.execute("PRAGMA locking_mode=EXCLUSIVE")
    busy.execute("BEGIN EXCLUSIVE")
    busy.execute("UPDATE setting SET value = value")
    try:
        app = review_app(store)
        async with app.run_test(size=size) as pilot:
            assert not app.screen.query_one(QueueList).loaded
            app.post_message(events.Key("enter", "\r"))  # once, without waiting
            await asyncio.sleep(0.3)
            busy.rollback()
            busy.close()
            for _ in range(20):
                await settle(pilot)
                if isinstance(app.screen, ReviewScreen) and app.screen.loaded is not None:
                    break
            assert isinstance(app.screen, ReviewScreen)
            with store.session() as s:
                first = queue_db.page(QueueFilter(), 0, 1, session=s)[0].id
                row = applications.get_row(first, session=s)
                assert row is not None and row.holder == "张审核"
    finally:
        store.dispose()
