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


async def test_a_current_sqlite_office_is_painted_before_its_engine_opens(
    office: Store,
) -> None:
    """The first page and the reviewer come from plain reads before the first frame; the
    engine (SQLAlchemy, migrations) opens in a worker after it."""
    from zcreview.storage.store import deferred_store

    office.dispose()
    store = deferred_store(office.home)
    assert not store.is_open
    app = workstation_app(Settings(home=office.home), store)
    async with app.run_test(size=(120, 40)) as pilot:
        queue = app.screen.query_one(QueueList)
        # No pause yet: what the first frame draws is already there.
        assert queue.loaded and queue.total == 120 and queue.current is not None
        assert app.reviewer == "张审核"
        await until(pilot, lambda: store.is_open, "the engine opened after the first page")
    store.dispose()


def test_the_queue_comes_with_its_reviewer_and_no_loading_line(tmp_path: Path) -> None:
    """In a real terminal: by the time the status line is written, the rows and the title
    bar's reviewer are on screen, and nothing has said 载入中."""
    import sys

    from tests.bench.pty_run import PtyProgram
    from tests.conftest import REPO
    from tests.office_helpers import filled_office

    home = tmp_path / "office"
    filled_office(home, 30).dispose()
    first = tui_data.person(0)["name"]
    prog = PtyProgram(
        [sys.executable, "-m", "zcreview", "--home", str(home)],
        env={"TERM": "xterm-256color", "PYTHONPATH": str(REPO)},
    )
    try:
        _, shown = prog.read_until("第 1 / 30 条".encode())
    finally:
        prog.close()
    text = shown.decode("utf-8", "replace")
    assert "载入中" not in text
    assert first in text and "审核人：张审核" in text
