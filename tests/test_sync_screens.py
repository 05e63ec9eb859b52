"""路径, 数据上报 and background sync in the TUI, driven with Pilot against a real hub.

Every office app runs with `[sync] interval = 0`: no timer, so cycles run only when a test asks
(`$`, or `sync.run_cycle` in a thread) and the assertions never race a background sync.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from textual.widgets import DataTable, Input, Select, Static

from tests.pilot_helpers import press_into, settle, until, workstation_app
from tests.sync_helpers import (
    LEVEL,
    SERIES,
    SOON,
    LiveHub,
    Net,
    passed_app,
    state_of,
)
from tests.sync_screen_helpers import (
    REVIEWER,
    cell_texts,
    office_app,
    sync_once,
)
from zcreview.desk.desk import ReviewDesk
from zcreview.domain.corrections import CorrectionItem
from zcreview.domain.workflow import State
from zcreview.screens.app import ZcReviewApp
from zcreview.screens.blob_source import make_blob_reader
from zcreview.screens.confirm import ConfirmScreen
from zcreview.screens.outbox import OutboxScreen
from zcreview.screens.path_request import PathRequestDialog
from zcreview.screens.paths import PathsScreen
from zcreview.screens.report import ReportScreen
from zcreview.settings import Settings
from zcreview.storage import notices
from zcreview.storage.office import add_reviewer
from zcreview.storage.store import Store
from zcreview.storage.sync_tables import OutboxBatch, ReturnSent, SyncPath
from zcreview.storage.tables import ApplicationRow
from zcreview.storage.transitions import NotAllowed
from zcreview.sync.inbox import corrections_of

pytestmark = pytest.mark.anyio


@pytest.fixture
def net(live_hub: LiveHub, tmp_path: Path) -> Iterator[Net]:
    n = Net(live_hub.admin, tmp_path, url=live_hub.url)
    try:
        yield n
    finally:
        n.close()


async def request_path_on_screen(
    pilot: Any, upper_query: str, level: str = LEVEL, year: int | None = None
) -> None:
    await pilot.press("P")
    await settle(pilot)
    assert isinstance(pilot.app.screen, PathsScreen)
    await pilot.press("n")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, PathRequestDialog)
    dialog.query_one("#path-series", Select).value = SERIES
    dialog.query_one("#path-level", Select).value = level
    if year is not None:
        dialog.query_one("#path-year", Select).value = year
    await pilot.pause()
    upper = dialog.query_one("#path-upper", Input)
    upper.value = upper_query
    upper.focus()
    dialog._search_now()  # the debounce timer would fire the same search after a pause
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, PathsScreen)


async def test_path_request_approval_report_and_receipts(net: Net) -> None:
    """路径 requested and approved on the screens, then 数据上报 with Space/A/I, seal, receipts."""
    unit = net.office("济南华源机械制造有限公司")
    dept = net.office("济南市工业和信息化局", "主管部门")
    apps = [passed_app(unit.store, seed) for seed in (1, 2, 3)]

    # The unit: no path yet, so 数据上报 explains what to do before anything can be sealed.
    app = office_app(net, unit)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await press_into(pilot, "U", ReportScreen)
        explained = str(screen.query_one("#report-path", Static).render())
        assert "没有“工程技术·中级”的已审核通过路径" in explained and "按 P" in explained
        await pilot.press("A", "s")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)  # refused before sealing
        await pilot.press("q")
        await request_path_on_screen(pilot, "工业和信息化")
        with unit.store.session() as s:
            [mine] = s.exec(select(SyncPath)).all()
            assert (mine.role, mine.state, mine.upper_name) == ("lower", "pending", dept.name)
            assert mine.year == date.today().year  # the dialog's year, this year by default
        table = app.screen.query_one(DataTable)
        assert cell_texts(table, 1) == ["待审核"]

    # The department approves it on its own 路径 screen.
    app = office_app(net, dept)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert cell_texts(table, 0) == ["待我审核"]
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert cell_texts(app.screen.query_one(DataTable), 1) == ["已通过"]

    # The unit syncs, selects with Space / A / I, seals and watches the batch arrive.
    app = office_app(net, unit)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("dollar_sign")
        await until(pilot, lambda: "已同步" in app.sync.text, "the first sync")
        screen = await press_into(pilot, "U", ReportScreen)
        assert "已通过" in str(screen.query_one("#report-path", Static).render())
        assert len(screen.apps) == 3
        await pilot.press("space")
        assert screen.marked == {screen.apps[0].application_id}
        assert screen.query_one("#report-apps", DataTable).cursor_row == 1
        await pilot.press("I")
        assert screen.marked == {a.application_id for a in screen.apps[1:]}
        await pilot.press("A")
        assert screen.marked == set(apps)
        await pilot.press("s")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert "3 份" in confirm._question and dept.name in confirm._question
        await pilot.press("y")
        await until(
            pilot,
            lambda: _batch_states(unit.store) == ["acknowledged"],
            "the batch to be acknowledged",
        )
        await until(
            pilot,
            lambda: cell_texts(screen.query_one("#report-receipts", DataTable), 0) == ["接收"] * 3,
            "the receipts",
        )
        assert "接收 3 份" in str(screen.query_one("#report-rate", Static).render())
        assert screen.apps == []  # reported: no longer waiting
        assert {state_of(unit.store, a) for a in apps} == {State.REPORTED.value}
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen)
        assert cell_texts(app.screen.query_one("#outbox-table", DataTable), 1) == ["已送达"]


def _first_blob(store: Store, app_id: str) -> str:
    from zcreview.domain.model import iter_attachments
    from zcreview.storage.applications import load_revision

    with store.session() as s:
        app = load_revision(app_id, session=s)
    return next(ref.sha256 for _, ref in iter_attachments(app) if ref.sha256)


def _batch_states(store: Store) -> list[str]:
    with store.session() as s:
        return [b.state for b in s.exec(select(OutboxBatch)).all()]


async def test_refused_application_is_back_with_its_reason(net: Net) -> None:
    """The office believes a path is approved that the hub does not know: the receipt refuses
    the application, and the 数据上报 list shows it again with the hub's reason."""
    unit = net.office("青岛某设计院")
    dept = net.office("青岛市住房和城乡建设局", "主管部门")
    with unit.store.session() as s:
        s.add(
            SyncPath(
                path_id="f" * 8,
                role="lower",
                lower_name=unit.name,
                lower_code=unit.code,
                upper_name=dept.name,
                upper_code=dept.code,
                series=SERIES,
                level="副高级",
                year=date.today().year,
                state="approved",
            )
        )
        s.commit()
    bad = passed_app(unit.store, 5, basic__level="副高级", basic__title="高级工程师")
    app = office_app(net, unit)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await press_into(pilot, "U", ReportScreen)
        await pilot.press("space", "s")
        await settle(pilot)
        await pilot.press("y")
        await until(pilot, lambda: _batch_states(unit.store) == ["partly_rejected"], "receipt")
        await until(pilot, lambda: len(screen.apps) == 1, "the refused application back")
        [back] = screen.apps
        assert back.application_id == bad and "路径" in back.refused
        notes = cell_texts(screen.query_one("#report-apps", DataTable), 5)
        assert notes[0].startswith("上次被拒收：") and "路径" in notes[0]
        receipts = screen.query_one("#report-receipts", DataTable)
        assert cell_texts(receipts, 0) == ["拒收"] and "路径" in cell_texts(receipts, 3)[0]
        assert state_of(unit.store, bad) == State.PASSED.value


async def test_inbox_return_down_and_unfinished_batch_guard(net: Net) -> None:
    """The department's queue lists what the unit reported after a sync; its return travels
    down, and the unit then holds the application as 上级退回 with the correction list. An
    application inside an unfinished batch can be neither reopened nor returned."""
    from tests.sync_helpers import open_path, report

    unit = net.office("烟台某机械厂")
    dept = net.office("烟台市工业和信息化局", "主管部门")
    open_path(unit, dept, dept.name)
    a1, a2 = passed_app(unit.store, 11), passed_app(unit.store, 12)
    report(unit, [a1])

    app = office_app(net, dept)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        from zcreview.screens.widgets.queue_list import QueueList

        assert app.screen.query_one(QueueList).total == 0
        await pilot.press("dollar_sign")
        await until(pilot, lambda: "已同步" in app.sync.text, "the sync")
        await until(pilot, lambda: app.screen.query_one(QueueList).total == 1, "the inbox row")
        assert state_of(dept.store, a1) == State.PENDING.value

        # Attachments stay on the hub until previewed; the previewer's reader fetches them.
        sha = _first_blob(dept.store, a1)
        assert not dept.store.blobs.has(sha)
        data = await asyncio.to_thread(make_blob_reader(app), sha)
        assert dept.store.blobs.has(sha) and data == unit.store.blobs.read(sha)

        # The department reviewer returns it (what the review screen's return does).
        desk = ReviewDesk(dept.store.engine, REVIEWER)
        claimed = desk.claim(a1)
        item = CorrectionItem("education.basis.chsi_code", "学信网验证码", "", "缺少学信网验证码")
        desk.return_application(a1, [item], claimed.version, SOON)
        with dept.store.session() as s:
            [queued] = s.exec(select(ReturnSent)).all()
            assert (queued.state, queued.to_code) == ("pending", unit.code)
        await sync_once(pilot)
        with dept.store.session() as s:
            assert [r.state for r in s.exec(select(ReturnSent)).all()] == ["sent"]

    app = office_app(net, unit)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sync_once(pilot)
        assert state_of(unit.store, a1) == State.RETURNED_FROM_ABOVE.value
        with unit.store.session() as s:
            [(_, corrections)] = corrections_of(s, a1)
            assert [c.reason for c in corrections] == ["缺少学信网验证码"]
            notice = notices.last_return(a1, session=s)
            assert notice is not None and notice.origin == "above"
            items = notices.load_notice(notice, session=s).items
            assert [(i.field_path, i.reason) for i in items] == [
                ("education.basis.chsi_code", "缺少学信网验证码")
            ]

    # Sealed but not yet sent (sync is off): reopen and return are refused, with the reason.
    app = office_app(net, unit, synced=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("U")
        await settle(pilot)
        await pilot.press("space", "s")
        await settle(pilot)
        await pilot.press("y")
        await until(pilot, lambda: _batch_states(unit.store)[-1:] == ["sealed"], "the seal")
    desk = ReviewDesk(unit.store.engine, REVIEWER)
    with unit.store.session() as s:
        version = s.get(ApplicationRow, a2).version  # type: ignore[union-attr]
    with pytest.raises(NotAllowed, match="尚未送达的上报批次"):
        desk.reopen(a2, version)
    with pytest.raises(NotAllowed, match="尚未送达的上报批次"):
        desk.return_application(a2, [item], version, SOON)
    assert state_of(unit.store, a2) == State.PASSED.value


# ---------------------------------------------------------------- snapshots


@pytest.fixture
def report_office(tmp_path: Path) -> Iterator[Store]:
    """An office without sync: four passed applications and an approved path of this year."""
    from zcreview.storage.office import init_office
    from zcreview.storage.store import open_store

    store = open_store(tmp_path / "home")
    with store.session() as s:
        init_office(
            session=s,
            name="济南华源机械制造有限公司",
            credit_code="91370100MA3C5XXXXX",
            office_type="用人单位",
            office_level="区县",
        )
        add_reviewer(session=s, name=REVIEWER)
        s.add(
            SyncPath(
                path_id="p" * 8,
                role="lower",
                lower_name="济南华源机械制造有限公司",
                lower_code="91370100MA3C5XXXXX",
                upper_name="济南市工业和信息化局",
                upper_code="11370100004200000X",
                series=SERIES,
                level=LEVEL,
                year=date.today().year,
                state="approved",
            )
        )
        s.commit()
    for seed in (21, 22, 23, 24):
        passed_app(store, seed)
    try:
        yield store
    finally:
        store.dispose()


def _report_app(store: Store) -> ZcReviewApp:
    return workstation_app(Settings(home=store.home), store, reviewer=REVIEWER)


async def _two_marked(pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("U")
    await settle(pilot)
    await pilot.press("space", "space")
    await settle(pilot)


def test_report_80x24(report_office: Store, snap_compare: Any) -> None:
    """At 80×24 the 数据上报 screen fits: the scope picker (年度 · 级别 · 系列 with its count), the
    approved path line, the list with [x] on the first two rows and the cursor on the third
    (Space marks and moves on), the 已选 2 / 4 line with the attachments' size, and the footer
    with 选中 / 全选 / 反选 / 封存上报 / 发件箱. Names are CJK-aligned by cells."""
    assert snap_compare(_report_app(report_office), terminal_size=(80, 24), run_before=_two_marked)


def test_report_120x40(report_office: Store, snap_compare: Any) -> None:
    """At 120×40 the same screen shows every column (职称, 附件 size, 备注) without truncating the
    units; the progress bar and receipts stay hidden until a batch is sealed."""
    assert snap_compare(_report_app(report_office), terminal_size=(120, 40), run_before=_two_marked)


async def test_report_screen_says_the_batch_is_safe_and_shows_a_stall(net: Net) -> None:
    """A stalled upload stops showing a frozen rate and time left; a failed cycle says the
    sealed batch is kept, when the next try is and how much is left — no exception names."""
    from datetime import UTC, datetime

    from zcreview.sync.delivery import BatchProgress
    from zcreview.sync.service import CycleReport

    unit = net.office("济南某机械有限公司")
    app = office_app(net, unit)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await press_into(pilot, "U", ReportScreen)
        screen.watching = "0123456789abcdef"
        screen._synced(
            BatchProgress("0123456789abcdef", "uploading", 400_000, 1_000_000, 32_000.0, 19.0)
        )
        rate = screen.query_one("#report-rate", Static)
        assert "剩余 约 19 秒" in str(rate.render())
        screen._last_progress_at -= 30  # thirty seconds without a byte
        screen._stall_check()
        shown = str(rate.render())
        assert "速率 0 B/s" in shown and "剩余时间未知" in shown and "30 秒无进展" in shown
        screen._synced(
            CycleReport(finished_at=datetime.now(UTC), error="与上报服务器的连接中途断开")
        )
        await settle(pilot)
        shown = str(rate.render())
        assert "批次已封存在本机，不会丢失" in shown and "从断点继续" in shown
        assert "还剩 585.9 KB" in shown and "按 $ 立即重试" in shown  # interval 0: on demand
        assert "Error" not in shown and "已放弃" not in shown
