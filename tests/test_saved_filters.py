"""Saved filters: F saves the queue's filter under a name, ' recalls it, per reviewer, kept in
the office database across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pilot_helpers import settle
from tests.review_screen_data import fill, new_office, review_app
from zcreview.screens.queue import QueueScreen
from zcreview.screens.saved_filters import SavedFiltersPicker, SaveFilterDialog
from zcreview.screens.widgets.queue_list import QueueList
from zcreview.storage import queue as queue_db
from zcreview.storage.queue import QueueFilter
from zcreview.storage.saved_filters import saved_filters

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_save_recall_delete_and_survive_a_restart(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    store = new_office(tmp_path / "home")
    fill(store, 6)
    with store.session() as s:
        name = queue_db.page(QueueFilter(), 2, 1, session=s)[0].name
    app = review_app(store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        # 待审核 only, a search, sorted by state (提交日期 → 状态).
        await pilot.press("1", "slash", *name[:1], "enter", "s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        shown = screen.queue_filter
        assert shown.sort == "state" and shown.search == name[:1]
        await pilot.press("F")
        await settle(pilot)
        assert isinstance(app.screen, SaveFilterDialog)
        await pilot.press(*"我的待审", "enter")
        await settle(pilot)
        with store.session() as s:
            saved = saved_filters("张审核", session=s)
            assert [f.name for f in saved] == ["我的待审"]
            assert saved[0].search == name[:1] and saved[0].states == ("待审核",)
            assert saved_filters("李审核", session=s) == []
        # Clear everything, then recall.
        await pilot.press("escape", "0")
        await settle(pilot)
        assert screen.queue_filter.search == "" and not screen.queue_filter.states
    # A new session (restart) finds it again.
    app = review_app(store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("apostrophe")
        await settle(pilot)
        assert isinstance(app.screen, SavedFiltersPicker)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        flt = screen.queue_filter
        assert (flt.search, flt.states, flt.sort, flt.descending) == (
            shown.search,
            shown.states,
            shown.sort,
            shown.descending,
        )
        listing = screen.query_one(QueueList)
        with store.session() as s:
            assert listing.total == queue_db.count(flt, session=s)
        assert any("已调出筛选“我的待审”" in n.message for n in app._notifications)
        # From the palette too, under its Chinese name.
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "保存筛选" in commands and "调出筛选" in commands
        await commands["调出筛选"].callback()
        await settle(pilot)
        assert isinstance(app.screen, SavedFiltersPicker)
        await pilot.press("escape")
        await settle(pilot)
        # x deletes it.
        await pilot.press("apostrophe")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        with store.session() as s:
            assert saved_filters("张审核", session=s) == []
    # Another reviewer has none of them; read-only browsing has none at all.
    app = review_app(store, reviewer="李审核")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("apostrophe")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert any("还没有保存的筛选" in n.message for n in app._notifications)
    store.dispose()
