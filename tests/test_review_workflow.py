"""A long bulk session: reopen, flags, type-ahead, returns, the queue's pass, labels, search."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Static

from tests.office_helpers import filled_office, ids_in, row_of
from tests.pilot_helpers import (
    NARROW,
    WIDE,
    Heard,
    handled,
    open_review,
    press_into,
    screen_text,
    settle,
)
from tests.review_screen_data import fill, new_office, review_app
from zcreview.domain.workflow import State
from zcreview.screens.app import ZcReviewApp
from zcreview.screens.confirm import ConfirmScreen
from zcreview.screens.flag_dialog import FlagDialog
from zcreview.screens.queue import QueueScreen
from zcreview.screens.review import ReviewScreen
from zcreview.screens.widgets.field_list import FieldList
from zcreview.screens.widgets.queue_list import QueueList
from zcreview.storage import queue as queue_db
from zcreview.storage.queue import QueueFilter
from zcreview.storage.review_tables import FlagRow
from zcreview.storage.store import Store

pytestmark = pytest.mark.anyio


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Store]:
    store = new_office(tmp_path / "home")
    fill(store, 5)
    try:
        yield store
    finally:
        store.dispose()


def flags_of(store: Store, app_id: str) -> list[str]:
    from sqlmodel import col, select

    with store.session() as s:
        rows = s.exec(select(FlagRow).where(col(FlagRow.application_id) == app_id)).all()
        return [r.field_path for r in rows]


def type_ahead(app: ZcReviewApp, *keys: str) -> None:
    """Queue key presses the way a fast typist does: none waits for the screen to catch up."""
    from textual import events
    from textual.keys import _character_to_key

    for key in keys:
        char = {"enter": "\r", "escape": "\x1b", "space": " "}.get(
            key, key if len(key) == 1 else None
        )
        app.post_message(events.Key(_character_to_key(key) if len(key) == 1 else key, char))


def audit_of(store: Store, app_id: str) -> list[str]:
    from sqlmodel import col, select

    from zcreview.storage.review_tables import AuditRow

    with store.session() as s:
        rows = s.exec(
            select(AuditRow)
            .where(col(AuditRow.application_id) == app_id)
            .order_by(col(AuditRow.seq))
        ).all()
        # The application's arrival is audited too; these tests are about what reviewers did.
        return [r.action for r in rows if r.action not in ("create", "revision")]


def said(app: ZcReviewApp) -> list[str]:
    return [n.message for n in app._notifications]


def pass_first(store: Store, app_id: str) -> None:
    desk = review_app(store).services.desk("张审核")
    claim = desk.claim(app_id)
    desk.pass_application(app_id, claim.version)


# ----- reopen ---------------------------------------------------------------------------


async def test_reopen_asks_stays_on_the_application_and_walking_away_restores_it(
    office: Store,
) -> None:
    order = ids_in(office)
    for app_id in order[:3]:
        pass_first(office, app_id)
    passed = QueueFilter(states=frozenset({State.PASSED.value}))
    app = review_app(office)
    heard = Heard()
    async with app.run_test(size=WIDE, message_hook=heard) as pilot:
        screen = await open_review(pilot, passed, 1)
        target = screen.loaded.app_id if screen.loaded else ""
        assert target == ids_in(office, passed)[1]
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert row_of(office, target).state == State.PASSED.value  # nothing yet
        await pilot.press("n")
        await settle(pilot)
        assert row_of(office, target).state == State.PASSED.value
        async with (
            handled(pilot, heard, ReviewScreen.Shown, "the reopened application shown again"),
            handled(pilot, heard, ReviewScreen.Decided, "the reopening stored"),
        ):
            await pilot.press("o", "y")
        assert app.screen is screen
        assert screen.loaded is not None and screen.loaded.app_id == target  # not the next one
        assert screen.loaded.state == State.IN_REVIEW.value and screen.loaded.can_decide
        assert row_of(office, target).holder == "张审核"
        assert any("重新审核" in m or "审核中" in m for m in said(app)), said(app)
        # walking away without a decision gives it back to 通过未上报, and K finds it again
        await pilot.press("J")
        await settle(pilot)
        assert screen.loaded is not None and screen.loaded.app_id != target
        assert row_of(office, target).state == State.PASSED.value
        assert row_of(office, target).holder is None
        await pilot.press("K")
        await settle(pilot)
        assert screen.loaded is not None and screen.loaded.app_id == target
        assert target in ids_in(office, passed)


# ----- flags ----------------------------------------------------------------------------


async def test_ctrl_d_in_the_flag_dialog_removes_the_flag(office: Store) -> None:
    app = review_app(office)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_review(pilot, QueueFilter())
        app_id = screen.loaded.app_id if screen.loaded else ""
        assert screen.query_one(FieldList).go_to_path("work_summary")
        await pilot.press("f", "tab", *"补充业绩", "enter")
        await settle(pilot)
        assert flags_of(office, app_id) == ["work_summary"]
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, FlagDialog)
        await pilot.press("ctrl+d")
        await settle(pilot)
        assert app.screen is screen
        assert flags_of(office, app_id) == []
        assert any("标记 0 项" in m or "已取消标记" in m for m in said(app)), said(app)


# ----- type-ahead -----------------------------------------------------------------------


async def test_enter_q_typed_at_once_opens_and_leaves_without_a_hidden_quit_dialog(
    office: Store,
) -> None:
    app = review_app(office)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        type_ahead(app, "enter", "q")
        await settle(pilot)
        assert not any(isinstance(s, ConfirmScreen) for s in app.screen_stack)
        # the q went to the review screen: opened (claimed) and left (released)
        assert isinstance(app.screen, QueueScreen)
        first = ids_in(office)[0]
        assert audit_of(office, first) == ["claim", "release"]
        assert row_of(office, first).holder is None
        # Enter, then quickly j and Enter in the review screen: nothing lands on the queue
        type_ahead(app, "enter", "j", "j", "q", "j", "enter", "q")
        await settle(pilot)
        assert app.is_running
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.query_one(QueueList).cursor == 1
        assert audit_of(office, ids_in(office)[1]) == ["claim", "release"]


async def test_walking_past_either_end_says_so_and_stays(office: Store) -> None:
    order = ids_in(office)
    app = review_app(office)
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_review(pilot, index=len(order) - 1)
        assert screen.loaded is not None and screen.loaded.app_id == order[-1]
        await pilot.press("J")
        await settle(pilot)
        assert screen.loaded.app_id == order[-1] and screen.index == len(order) - 1
        assert f"已是所选范围的最后一份（共 {len(order)} 份）" in said(app)
        # K walks back to the first, then says it is the first
        for _ in order[1:]:
            await pilot.press("K")
        await settle(pilot)
        assert screen.loaded is not None and screen.loaded.app_id == order[0]
        await pilot.press("K")
        await settle(pilot)
        assert screen.loaded.app_id == order[0]
        assert f"已是所选范围的第一份（共 {len(order)} 份）" in said(app)


# ----- returns --------------------------------------------------------------------------


def return_one(store: Store, app_id: str, deadline_days: int = 5) -> None:
    from datetime import timedelta

    from tests.review_helpers import T0
    from zcreview.domain.corrections import CorrectionItem

    desk = review_app(store).services.desk("张审核")
    claim = desk.claim(app_id)
    items = [
        CorrectionItem("work_summary", "工作总结", "", "", "请补充主要业绩"),
        CorrectionItem("basic.phone", "手机", "", "", "号码有误"),
    ]
    desk.return_application(app_id, items, claim.version, T0.date() + timedelta(days=deadline_days))


async def test_a_returned_application_shows_its_items_and_deadline(office: Store) -> None:
    target = ids_in(office)[0]
    return_one(office, target, deadline_days=3)  # T0 is a Monday: 3 working days left
    returned = QueueFilter(states=frozenset({State.RETURNED.value}))
    app = review_app(office)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_review(pilot, returned)
        assert screen.loaded is not None and screen.loaded.app_id == target
        headings = [i.label for i in screen.items if i.kind == "heading"]
        assert headings[0].startswith("已退回（张审核 ") and "共 2 项" in headings[0]
        assert "补正期限 2025-06-19" in headings[0]
        changes = [(i.label, i.note) for i in screen.items if i.kind == "change"]
        assert ("工作总结", "说明：请补充主要业绩") in changes
        status = screen_text(app)
        assert "退回补正 2 项，期限 2025-06-19（剩 3 个工作日）" in status
        assert "标记 0 项" not in status
        # the fields named are marked, so ] finds them
        marked = [i for i in screen.items if i.note and i.note.startswith("已退回：")]
        assert {i.path for i in marked} >= {"work_summary"}
        # An attachment read to its end re-runs the checks (the message the OCR thread posts);
        # the rebuilt field list keeps this office's return and its marks.
        before = list(screen.items)
        screen.post_message(screen._EvidenceRead(target))
        for _ in range(50):
            await settle(pilot, 1)
            if screen.items is not before:  # the rechecked list has arrived
                break
        assert screen.items is not before
        assert next(i.label for i in screen.items if i.kind == "heading") == headings[0]
        again = [i for i in screen.items if i.note and i.note.startswith("已退回：")]
        assert {i.path for i in again} == {i.path for i in marked}
        assert "退回补正 2 项" in screen_text(app)


# ----- pass from the queue ----------------------------------------------------------------


async def test_a_on_the_queue_keeps_the_cursor_and_warns_of_flags_and_upper_returns(
    office: Store,
) -> None:
    from datetime import date

    from tests.review_screen_data import return_from_above
    from zcreview.domain.corrections import CorrectionItem
    from zcreview.screens.queue_pass import QueuePassDialog

    order = ids_in(office)
    desk = review_app(office).services.desk("张审核")
    desk.claim(order[3])
    desk.set_flag(
        order[3], "work_summary", reason_id="", reason="", note="补充业绩", label="工作总结"
    )
    desk.release(order[3])
    item = CorrectionItem("basic.phone", "手机", "", "号码有误", "")
    return_from_above(office, order[4], [item], date(2025, 6, 30))
    app = review_app(office)
    heard = Heard()
    async with app.run_test(size=WIDE, message_hook=heard) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        await pilot.press("1")  # 待审核 only
        await settle(pilot)
        assert any("待审核" in m and "筛选" in m for m in said(app)), said(app)
        await pilot.press("j", "j")
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, QueuePassDialog)
        async with handled(pilot, heard, QueuePassDialog.Done, "the pass stored"):
            await pilot.press("y")
        await settle(pilot)  # the list is read again
        assert row_of(office, order[2]).state == State.PASSED.value
        listing = queue.query_one(QueueList)
        assert listing.cursor == 2  # the next one moved up into its place, not row 1
        assert listing.current is not None and listing.current.id == order[3]
        assert any(n.title == "已提交并保存" for n in app._notifications)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, QueuePassDialog)
        flags = str(app.screen.query_one("#queue-pass-flags", Static).content)
        assert "已标记 1 项需补正" in flags
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("0", "G", "a")  # all states, the last one: 上级退回
        await settle(pilot)
        assert isinstance(app.screen, QueuePassDialog), said(app)
        assert app.screen.row.id == order[4]
        above = str(app.screen.query_one("#queue-pass-above", Static).content)
        assert "退回要求补正 1 项（期限 2025-06-30）" in above
        await pilot.press("n")
        await settle(pilot)


# ----- text -----------------------------------------------------------------------------


def test_a_heading_never_shows_a_tick_above_failing_rows() -> None:
    from tests.factories import make_application
    from zcreview.domain.checks.base import CheckResult, Severity
    from zcreview.screens.review_items import build_items

    app = make_application(0)
    assert len(app.continuing_education) >= 2
    results = [
        CheckResult("CE-HOURS", Severity.OK, "学时达标", "000", ("continuing_education",)),
        *[
            CheckResult(
                "CE-DATE", Severity.FAIL, "日期有误", "000", (f"continuing_education[{i}]",)
            )
            for i in range(2)
        ],
    ]
    items = build_items(app, results)
    heading = next(i for i in items if i.path == "continuing_education")
    assert heading.level == 0  # its own check passed …
    assert heading.mark == 2  # … but it shows ✗, like the rows under it
    rows = [i for i in items if i.path.startswith("continuing_education[") and i.level == 2]
    assert rows and all(r.mark == 2 for r in rows)
    whole = items[0]
    assert whole.path == "" and whole.mark is None  # 整份申报 keeps its own mark


def test_every_shown_field_has_a_chinese_label() -> None:
    import inspect
    import re

    from pydantic import BaseModel

    import zcreview.domain.model as model
    from zcreview.screens.widgets.sections import _fields, label_of

    raw = []
    for cls in vars(model).values():
        if not (inspect.isclass(cls) and issubclass(cls, BaseModel)):
            continue
        if cls.__module__ != model.__name__ or cls.__name__ in ("Application", "AttachmentRef"):
            continue
        for name in _fields(cls):
            label = label_of(cls, name)
            if re.fullmatch(r"[a-z_0-9]+", label):
                raw.append(f"{cls.__name__}.{name}")
    assert raw == []
    assert label_of(model.LanguageSkills, "foreign_language") == "外语"


async def test_help_rows_pair_each_key_with_its_own_action(office: Store) -> None:
    from zcreview.screens.help import binding_rows

    app = review_app(office)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_review(pilot, QueueFilter())
        rows = dict((d, k) for k, d in binding_rows(app, ReviewScreen.BINDINGS))
        assert rows["下一问题"] == "] / n" and rows["上一问题"] == "[ / N"
        assert rows["下一项"] == "j / ↓" and rows["第一项"] == "g / home"
        assert not any("–" in k for k in rows.values())
        queue_rows = dict(binding_rows(app, QueueScreen.BINDINGS))
        assert queue_rows["1–9"].startswith("状态：待审核、审核中")
        assert screen is app.screen


async def test_the_palette_speaks_chinese_and_offers_office_commands(office: Store) -> None:
    app = review_app(office)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        english = [t for t in titles if t.isascii()]
        assert english == []
        assert "下一个区域" in titles and "退出 zcreview" in titles
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert "搜索命令…" in screen_text(app)
        assert "Search for commands" not in screen_text(app)
        await pilot.press(*"路径")
        await pilot.pause(0.4)
        await settle(pilot)
        assert "路径申请与审核" in screen_text(app), (app.screen, screen_text(app))
        await pilot.press("enter")
        await settle(pilot)
        from zcreview.screens.paths import PathsScreen

        assert isinstance(app.screen, PathsScreen)
        await pilot.press("ctrl+p", *"zzzz")
        await pilot.pause(0.8)
        await settle(pilot)
        assert "没有匹配的命令" in screen_text(app)
        assert "No matches" not in screen_text(app)


# ----- search ---------------------------------------------------------------------------


@pytest.fixture
def big_office(tmp_path: Path) -> Iterator[Store]:
    store = filled_office(tmp_path / "big")
    try:
        yield store
    finally:
        store.dispose()


def count_of(store: Store, flt: QueueFilter) -> int:
    with store.session() as s:
        return queue_db.count(flt, session=s)


async def test_search_looks_everywhere_restarts_and_clears_with_escape(big_office: Store) -> None:
    from tests import tui_data
    from zcreview.screens.widgets.queue_tree import QueueTree, Selection
    from zcreview.screens.widgets.search_box import SearchBox

    app = review_app(big_office)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(QueueTree)
        tree.focus()
        node = Selection(2025, "副高级", "会计")
        tree.select_selection(node, post=False)
        await pilot.press("enter")
        await settle(pilot)
        listing = app.screen.query_one(QueueList)
        in_node = count_of(big_office, QueueFilter(year=2025, level="副高级", series="会计"))
        assert listing.total == in_node
        # somebody who is not in that node
        outside = next(
            p["name"] for i in range(300) if (p := tui_data.person(i))["series"] != "会计"
        )
        assert (
            count_of(
                big_office, QueueFilter(year=2025, level="副高级", series="会计", search=outside)
            )
            == 0
        )
        await pilot.press("slash", *outside)
        await pilot.pause(0.5)
        await settle(pilot)
        everywhere = count_of(big_office, QueueFilter(search=outside))
        assert listing.total == everywhere > 0
        assert f"搜索：{outside}" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        # `/` again starts afresh instead of adding to the old text
        await pilot.press("slash")
        await settle(pilot)
        assert app.screen.query_one(SearchBox).value == ""
        await pilot.press(*"不存在的人")
        await pilot.pause(0.5)
        await settle(pilot)
        assert listing.total == 0
        assert "没有姓名、单位或身份证号含“不存在的人”的申报" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert listing.has_focus
        await pilot.press("escape")  # Esc in the list drops the search: back to the node
        await settle(pilot)
        assert listing.queue_filter.search == ""
        assert listing.total == in_node
        assert not app.screen.query_one(SearchBox).display


async def test_g_and_G_move_in_the_tree(big_office: Store) -> None:
    from zcreview.screens.widgets.queue_tree import QueueTree

    app = review_app(big_office)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(QueueTree)
        tree.focus()
        await pilot.press("j", "j", "j")
        assert tree.cursor_line == 3
        await pilot.press("g")
        assert tree.cursor_line == 0
        await pilot.press("G")
        assert tree.cursor_line == tree.last_line


# ----- 80x24 ----------------------------------------------------------------------------


async def test_at_80x24_the_title_keeps_the_state_and_the_flag_dialog_fits(
    office: Store,
) -> None:
    app = review_app(office)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_review(pilot, QueueFilter())
        await pilot.resize_terminal(*NARROW)
        await settle(pilot)
        title = screen_text(app).splitlines()[1]
        assert "状态：审核中" in title
        assert screen.query_one(FieldList).go_to_path("work_summary")
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, FlagDialog)
        shown = screen_text(app)
        assert "补充说明" in shown and "回车确定" in shown


async def test_at_80x24_paths_and_outbox_show_state_and_bytes(office: Store) -> None:
    from textual.widgets import DataTable

    from zcreview.screens.outbox import OutboxScreen

    app = review_app(office)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot)
        header = [str(c.label) for c in app.screen.query_one(DataTable).ordered_columns]
        assert header[:2] == ["方向", "状态"]
        app.push_screen(OutboxScreen())
        await settle(pilot)
        header = [
            str(c.label) for c in app.screen.query_one("#outbox-table", DataTable).ordered_columns
        ]
        assert header[:3] == ["批次", "状态", "已发送"]


async def test_an_expired_claim_says_so_and_taking_it_over_is_announced(office: Store) -> None:
    from tests.review_helpers import Clock

    first = ids_in(office)[0]
    clock = Clock()
    review_app(office, "李审核", clock=clock).services.desk("李审核").claim(first)
    clock.advance(minutes=20)
    app = review_app(office, clock=clock)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        first_row = screen_text(app).splitlines()[2]
        assert "领取超时" in first_row and "李审核" in first_row
        assert "审核中" not in first_row
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert row_of(office, first).holder == "张审核"
        assert any("李审核 的领取已于 10:15 超时，现由您接手审核" in m for m in said(app))


# ----- deadlines ------------------------------------------------------------------------


async def test_deadline_column_sort_and_due_soon_filter(office: Store) -> None:
    from datetime import date

    from tests.review_screen_data import return_from_above
    from zcreview.domain.corrections import CorrectionItem

    order = ids_in(office)
    return_one(office, order[0], deadline_days=1)  # Tuesday 06-17: 1 working day left
    return_one(office, order[1], deadline_days=14)  # 06-30: not due soon
    item = CorrectionItem("basic.phone", "手机", "", "号码有误", "")
    return_from_above(office, order[2], [item], date(2025, 6, 18))
    app = review_app(office)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        text = screen_text(app)
        assert "补正期限" in text.splitlines()[1]
        assert "06-17剩1" in text and "06-30剩10" in text and "06-18剩2" in text
        await pilot.press("d")
        await settle(pilot)
        listing = queue.query_one(QueueList)
        assert listing.total == 2
        assert [r.id for r in listing_rows(listing)] == [order[0], order[2]]  # by deadline
        assert "期限：06-18 前到期" in screen_text(app)
        await pilot.press("d")
        await settle(pilot)
        assert listing.total == 5
        assert listing.queue_filter.sort == "deadline"  # `s` cycles through it too
        assert [r.id for r in listing_rows(listing)][:3] == [order[0], order[2], order[1]]


def listing_rows(listing: QueueList) -> list[queue_db.QueueRow]:
    rows = [listing.row_at(i) for i in range(listing.total)]
    return [r for r in rows if r is not None]


async def test_h_shows_the_history_of_the_application(office: Store) -> None:
    from zcreview.screens.history import HistoryScreen

    app = review_app(office)
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_review(pilot, QueueFilter())
        assert screen.query_one(FieldList).go_to_path("work_summary")
        await pilot.press("f", "tab", *"补充业绩", "enter")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        body = str(app.screen.query_one("#history-body", Static).content)
        # the revision was recorded at the real time, the rest on the test's frozen clock
        lines = [line for line in body.splitlines() if "收到申报（第 1 版）" not in line]
        assert "收到申报（第 1 版）" in body
        assert "张审核  领取审核" in lines[0]
        assert "张审核  标记需补正" in lines[1] and "补充业绩" in lines[1]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


async def test_pinyin_initials_find_names(tmp_path: Path) -> None:
    from tests.review_screen_data import add_application

    store = new_office(tmp_path / "home")
    names = ["王华", "汪浩明", "李华", "单丽"]
    ids = {n: add_application(store, i, basic__name=n) for i, n in enumerate(names)}
    app = review_app(store)
    try:
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            listing = app.screen.query_one(QueueList)
            await pilot.press("slash", "w", "h")
            await pilot.pause(0.5)
            await settle(pilot)
            assert {r.id for r in listing_rows(listing)} == {ids["王华"], ids["汪浩明"]}
            # a surname read its less common way (单 as shan) is found too
            await pilot.press("enter", "slash", "s", "l")
            await pilot.pause(0.5)
            await settle(pilot)
            assert {r.id for r in listing_rows(listing)} == {ids["单丽"]}
            # one letter is not an initials search: it matches text only
            await pilot.press("enter", "slash", "w")
            await pilot.pause(0.5)
            await settle(pilot)
            assert listing.total == 0
    finally:
        store.dispose()


# ----- marks ----------------------------------------------------------------------------


async def test_space_marks_and_a_passes_the_marked_without_failures(tmp_path: Path) -> None:
    from tests.review_screen_data import add_application
    from zcreview.screens.bulk_pass import BulkPassDialog

    store = new_office(tmp_path / "home")
    first = add_application(store, 0)
    failing = add_application(store, 1, basic__unit_rank="5/3", basic__current_specialty="其他")
    third = add_application(store, 2)
    fourth = add_application(store, 3)
    order = ids_in(store)
    assert order[:3] == [first, failing, third]
    app = review_app(store)
    heard = Heard()
    try:
        async with app.run_test(size=WIDE, message_hook=heard) as pilot:
            await settle(pilot)
            queue = app.screen
            assert isinstance(queue, QueueScreen)
            type_ahead(app, "space", "space", "space", "a")  # typed ahead, no waiting
            await settle(pilot)
            listing = queue.query_one(QueueList)
            assert set(listing.marked) == {first, failing, third}
            assert listing.cursor == 3  # Space moves down
            assert "已标记 3 份" in screen_text(app)
            dialog = app.screen
            assert isinstance(dialog, BulkPassDialog)
            assert [r.id for r in dialog.plan.to_pass] == [first, third]
            skipped = str(dialog.query_one("#bulk-skipped", Static).content)
            assert "项不符合，需逐份审核" in skipped
            async with handled(
                pilot, heard, QueueScreen.BulkPassed, "the marked ones passed"
            ) as done:
                await pilot.press("y")
            assert sorted(done[0].passed) == sorted([first, third]), done[0]
            assert app.screen is queue
            states = {i: row_of(store, i).state for i in (first, failing, third, fourth)}
            assert states == {
                first: State.PASSED.value,
                failing: State.PENDING.value,
                third: State.PASSED.value,
                fourth: State.PENDING.value,
            }
            assert any("已通过 2 份" in m for m in said(app))
            assert set(listing.marked) == {failing}  # what was left stays marked
            await pilot.press("escape")
            await settle(pilot)
            assert not listing.marked
    finally:
        store.dispose()


async def test_the_palette_exports_only_the_marked(office: Store) -> None:
    from openpyxl import load_workbook

    order = ids_in(office)
    app = review_app(office)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("space", "j", "space")
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"所标记的一览表xlsx")
        await pilot.pause(0.4)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
    files = list((office.home / "exports").glob("审核结果一览表-*.xlsx"))
    assert len(files) == 1 and "所标记的2份" in files[0].name
    ws = load_workbook(files[0]).active
    assert ws is not None
    exported = {ws.cell(row=r, column=2).value for r in range(3, ws.max_row + 1)}
    assert exported == {order[0], order[2]}


def test_deadline_wording() -> None:
    from datetime import date

    from zcreview.domain.corrections import deadline_text, working_days_left

    friday, saturday, sunday, monday = (date(2025, 6, d) for d in (20, 21, 22, 23))
    assert deadline_text(friday, friday, working_days_left(friday, friday)) == "今天截止"
    assert deadline_text(friday, monday, working_days_left(friday, monday)) == "剩 1 个工作日"
    left = working_days_left(saturday, sunday)
    assert left == 0 and deadline_text(saturday, sunday, left) == "1 天后截止（其间无工作日）"
    assert deadline_text(monday, friday, working_days_left(monday, friday)) == "已逾期 3 天"
    holiday = frozenset({monday})
    assert working_days_left(friday, date(2025, 6, 24), holiday) == 1


async def test_u_with_marks_opens_the_report_with_the_marked_passed_ones_chosen(
    office: Store,
) -> None:
    from zcreview.screens.report import ReportScreen

    order = ids_in(office)
    pass_first(office, order[0])
    pass_first(office, order[1])
    app = review_app(office)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("space", "space", "space")  # two passed ones and a 待审核
        screen = await press_into(pilot, "U", ReportScreen)
        assert screen.marked == {order[0], order[1]}
        assert f"已选 2 / {len(screen.apps)} 份" in screen_text(app)
        assert any("另 1 份不是这一批" in m for m in said(app))
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("escape")  # clear the marks: U is plain 数据上报 again
        await pilot.press("U")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen) and app.screen.marked == set()
