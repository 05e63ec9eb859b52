"""The queue screen and app shell driven with Pilot: tree, filters, sort, search, detail, picker."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import textual.constants
import textual.screen
from sqlalchemy import text
from textual.scrollbar import ScrollBar
from textual.widgets._toggle_button import ToggleButton

from tests import tui_data
from tests.pilot_helpers import screen_text, settle, workstation_app
from zcreview.domain.model import SECTIONS
from zcreview.screens.app import ZcReviewApp
from zcreview.screens.confirm import ConfirmScreen
from zcreview.screens.detail import DetailScreen
from zcreview.screens.launch import configure_textual
from zcreview.screens.reviewer_picker import ReviewerPicker
from zcreview.screens.state_filter import StateFilterScreen
from zcreview.screens.widgets.queue_list import QueueList
from zcreview.screens.widgets.queue_tree import WAITING, QueueTree, Selection
from zcreview.settings import Settings
from zcreview.storage import queue as queue_db
from zcreview.storage.queue import QueueFilter
from zcreview.storage.store import Store, open_store

pytestmark = pytest.mark.anyio

COUNT = 300
SIZES = [(120, 40), (80, 24)]
HOSTILE_NAME = "[bold red]x[/]"
HOSTILE_UNIT = "\x1b[31m红色单位\x1b]0;pwned\x07"


def _hostile(i: int) -> dict[str, object]:
    if i == 0:
        return {"name": HOSTILE_NAME, "unit": HOSTILE_UNIT}
    return {}


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Store]:
    """300 applications over 2 years × 3 levels × 4 series, the first with hostile text."""
    store = open_store(tmp_path / "home")
    tui_data.fill(store, COUNT, override=_hostile)
    try:
        yield store
    finally:
        store.dispose()


def _app(store: Store, *reviewers: str, reviewer: str | None = None) -> ZcReviewApp:
    if reviewers:
        tui_data.add_reviewers(store, *reviewers)
    settings = Settings(home=store.home)
    return workstation_app(settings, store, reviewer=reviewer)


def db_count(store: Store, flt: QueueFilter) -> int:
    with store.session() as session:
        return queue_db.count(flt, session=session)


def queue_list(app: ZcReviewApp) -> QueueList:
    return app.screen.query_one(QueueList)


def loaded_rows(app: ZcReviewApp) -> list[queue_db.QueueRow]:
    ql = queue_list(app)
    rows = [ql.row_at(i) for i in range(min(ql.total, 150))]
    return [r for r in rows if r is not None]


@pytest.mark.parametrize("size", SIZES)
async def test_tree_counts_match_the_database(office: Store, size: tuple[int, int]) -> None:
    app = _app(office, "张审核")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(QueueTree)
        with office.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "select year, level, series, state, count(*) from application group by 1,2,3,4"
                )
            ).all()
        expected: dict[Selection, Counter[str]] = {}
        for year, level, series, state, n in rows:
            for sel in (Selection(), Selection(year), Selection(year, level)):
                expected.setdefault(sel, Counter())[state] += n
            expected.setdefault(Selection(year, level, series), Counter())[state] += n
        assert {k: dict(v) for k, v in tree.counts.items()} == {
            k: dict(v) for k, v in expected.items()
        }
        sel = Selection(2025, "中级", "工程技术")
        node = next(n for n in tree._nodes_walk() if n.data == sel)
        waiting = sum(n for s, n in expected[sel].items() if s in WAITING)
        assert f"待审 {waiting}" in node.label.plain
        assert queue_list(app).total == COUNT
        assert f"第 1 / {COUNT} 条" in screen_text(app)


async def test_choosing_a_series_filters_the_list(office: Store) -> None:
    app = _app(office, "张审核")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(QueueTree)
        tree.focus()
        sel = Selection(2025, "副高级", "会计")
        tree.select_selection(sel, post=False)
        await pilot.pause()
        assert "2025年度 副高级 会计：" in screen_text(app)  # full breakdown while in the tree
        await pilot.press("enter")
        await settle(pilot)
        ql = queue_list(app)
        expected = db_count(office, QueueFilter(year=2025, level="副高级", series="会计"))
        assert 0 < expected < COUNT
        assert ql.total == expected
        assert ql.has_focus
        assert {(r.year, r.level, r.series) for r in loaded_rows(app)} == {(2025, "副高级", "会计")}
        assert f"第 1 / {expected} 条" in screen_text(app)


async def test_sort_cycles_columns_and_reverses(office: Store) -> None:
    app = _app(office, "张审核")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ql = queue_list(app)
        dates = [r.submitted_on for r in loaded_rows(app)]
        assert dates == sorted(dates)  # 提交日期 ascending by default
        await pilot.press("s")
        await settle(pilot)
        assert ql.queue_filter.sort == "state"
        assert "排序：状态" in screen_text(app)
        states = [r.state for r in loaded_rows(app)]
        assert states == sorted(states)
        await pilot.press("S")
        await settle(pilot)
        assert ql.queue_filter.descending
        states = [r.state for r in loaded_rows(app)]
        assert states == sorted(states, reverse=True)
        assert ql.total == COUNT


async def test_sort_keeps_the_highlighted_application(office: Store) -> None:
    app = _app(office, "张审核")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "j")
        ql = queue_list(app)
        before = ql.current
        assert before is not None
        await pilot.press("s")
        await settle(pilot)
        assert ql.current is not None and ql.current.id == before.id


async def test_state_filter_by_number_and_dialog(office: Store) -> None:
    app = _app(office, "张审核")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ql = queue_list(app)
        await pilot.press("1")  # 待审核
        await settle(pilot)
        assert ql.queue_filter.states == {"待审核"}
        assert ql.total == db_count(office, QueueFilter(states=frozenset({"待审核"})))
        assert {r.state for r in loaded_rows(app)} == {"待审核"}
        await pilot.press("0")
        await settle(pilot)
        assert ql.total == COUNT
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, StateFilterScreen)
        await pilot.press("j", "j", "space", "enter")  # 3 = 通过未上报
        await settle(pilot)
        assert not isinstance(app.screen, StateFilterScreen)
        ql = queue_list(app)
        assert ql.queue_filter.states == {"通过未上报"}
        assert {r.state for r in loaded_rows(app)} == {"通过未上报"}


@pytest.mark.parametrize(
    ("typed", "column"),
    [("郭", "name"), ("水利", "unit"), ("370100000012", "id_number")],
)
async def test_search_narrows_and_clears(office: Store, typed: str, column: str) -> None:
    app = _app(office, "张审核")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.press(*typed)
        await pilot.pause(0.5)  # past the debounce
        await settle(pilot)
        ql = queue_list(app)
        expected = db_count(office, QueueFilter(search=typed))
        assert 0 < expected < COUNT
        assert ql.total == expected
        with office.session() as session:
            ids = {r.id for r in queue_db.page(QueueFilter(search=typed), 0, 500, session=session)}
        assert {r.id for r in loaded_rows(app)} <= ids
        await pilot.press("enter")  # keeps the search, back to the list
        await settle(pilot)
        assert ql.has_focus and ql.total == expected
        assert f"搜索：{typed}" in screen_text(app)
        await pilot.press("slash", "escape")  # clears
        await settle(pilot)
        assert ql.total == COUNT and ql.queue_filter.search == ""


@pytest.mark.parametrize("size", SIZES)
async def test_enter_opens_detail_and_jk_walk(office: Store, size: tuple[int, int]) -> None:
    app = _app(office, "张审核")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("j")
        first = queue_list(app).current
        assert first is not None
        await pilot.press("v")  # read-only detail (Enter reviews)
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        detail = app.screen
        assert detail.loaded is not None and detail.loaded.application is not None
        assert detail.loaded.application.basic.name == first.name
        shown = screen_text(app)
        assert first.name in shown and "1. 基本信息" in shown
        await pilot.press("J")
        await settle(pilot)
        assert detail.index == 2
        second = tui_data.person(0)  # sorted by date: row 2 of the queue
        with office.session() as session:
            expected = queue_db.page(QueueFilter(), 2, 1, session=session)[0]
        assert detail.loaded is not None and detail.loaded.app_id == expected.id
        assert second  # deterministic data
        await pilot.press("K", "K")
        await settle(pilot)
        assert detail.index == 0
        await pilot.press("q")
        await settle(pilot)
        assert not isinstance(app.screen, DetailScreen)
        assert queue_list(app).cursor == 0


async def test_detail_shows_every_section_heading(office: Store) -> None:
    app = _app(office, "张审核")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("v")  # read-only detail (Enter reviews)
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        headings = []
        for number, (key, title) in enumerate(SECTIONS, 1):
            static = app.screen.query_one(f"#section-{key}")
            static.scroll_visible(animate=False)
            await pilot.pause()
            headings.append(f"{number}. {title}" in screen_text(app))
        assert all(headings)


async def test_picker_appears_with_two_reviewers(office: Store) -> None:
    app = _app(office, "张审核", "李审核")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ReviewerPicker)
        await pilot.press("j", "enter")
        await settle(pilot)
        assert app.reviewer == "李审核"
        assert "审核人：李审核" in screen_text(app)


async def test_no_picker_with_one_reviewer_or_a_named_one(office: Store) -> None:
    app = _app(office, "张审核")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not isinstance(app.screen, ReviewerPicker)
        assert app.reviewer == "张审核"
    app = _app(office, "李审核", reviewer="李审核")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not isinstance(app.screen, ReviewerPicker)
        assert app.reviewer == "李审核"


async def test_no_reviewer_is_read_only_with_instructions(office: Store) -> None:
    app = _app(office)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.reviewer is None
        assert any("zcreview reviewer add" in str(n.message) for n in app._notifications)
        assert "只读浏览" in screen_text(app)
        assert queue_list(app).total == COUNT  # still browsable


@pytest.mark.parametrize("size", SIZES)
async def test_hostile_applicant_text_is_shown_literally(
    office: Store, size: tuple[int, int]
) -> None:
    app = _app(office, "张审核")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"[bold", "enter")
        await settle(pilot)
        ql = queue_list(app)
        assert ql.total == 1
        shown = screen_text(app)
        assert "[bold r~" in shown  # literal, cut to the 8-cell name column
        assert "\x1b" not in shown and "\x07" not in shown
        assert "红色" in shown and "pwned" not in shown
        await pilot.press("enter")
        await settle(pilot)
        shown = screen_text(app)
        assert HOSTILE_NAME in shown and "\x1b" not in shown


async def test_help_lists_the_screen_keys(office: Store) -> None:
    app = _app(office, "张审核")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        shown = screen_text(app)
        assert "审核队列" in shown and "搜索" in shown and "排序" in shown
        await pilot.press("q")
        await pilot.pause()
        assert "审核队列" not in screen_text(app) or queue_list(app)


async def test_q_asks_before_quitting(office: Store) -> None:
    app = _app(office, "张审核")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert "退出 zcreview？" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running
        await pilot.press("q", "y")
        await pilot.pause()
    assert app.return_code == 0


async def test_palette_lists_screen_commands(office: Store) -> None:
    app = _app(office, "张审核")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"搜索", "状态", "排序", "帮助"} <= set(titles)


async def test_paging_keys_move_the_cursor(office: Store) -> None:
    app = _app(office, "张审核")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ql = queue_list(app)
        await pilot.press("G")
        await settle(pilot)
        assert ql.cursor == COUNT - 1 and ql.current is not None
        await pilot.press("g")
        assert ql.cursor == 0
        await pilot.press("pagedown")
        await settle(pilot)
        assert ql.cursor > 20
        await pilot.press("k")
        assert f"第 {ql.cursor + 1} / {COUNT} 条" in screen_text(app)


def test_tree_level_order_is_the_models() -> None:
    """The tree sorts levels without importing the pydantic model; the order must stay its."""
    from zcreview.domain.model import LEVELS
    from zcreview.screens.widgets.queue_tree import LEVEL_ORDER

    assert LEVEL_ORDER == LEVELS


def ambiguous_on_screen(app: ZcReviewApp) -> dict[str, str]:
    """Each East-Asian-ambiguous character on screen, with a line it appears in.

    Reads what the compositor would send to the terminal (`screen_text`): every visible widget
    of the current screen, toasts included, after layout; independent of colours and SVG.
    """
    found: dict[str, str] = {}
    for line in screen_text(app).splitlines():
        for ch in line:
            if unicodedata.east_asian_width(ch) == "A":
                found.setdefault(ch, line.strip())
    return found


async def test_ascii_mode_shows_no_ambiguous_width_character(
    office: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ASCII mode at 80×24: queue, tree, state filter, detail, help, notices and dialogs carry
    no character that an "ambiguous = wide" CJK terminal would draw two cells wide."""
    # configure_textual sets process-wide glyphs and limits; monkeypatch puts them back after.
    for owner, attr in [
        (ScrollBar, "renderer"),
        (ToggleButton, "BUTTON_LEFT"),
        (ToggleButton, "BUTTON_RIGHT"),
        (textual.constants, "COLOR_SYSTEM"),
        (textual.constants, "MAX_FPS"),
        (textual.screen, "UPDATE_PERIOD"),
    ]:
        monkeypatch.setattr(owner, attr, getattr(owner, attr))
    settings = Settings(home=office.home, ascii_mode=True)
    configure_textual(settings)
    app = workstation_app(settings, office)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)  # no reviewer registered: a warning notice is up
        seen = {"queue": ambiguous_on_screen(app)}
        await pilot.press("tab")  # the tree, its counts in the status line
        await settle(pilot)
        seen["tree"] = ambiguous_on_screen(app)
        await pilot.press("tab", "f")
        await settle(pilot)
        assert isinstance(app.screen, StateFilterScreen)
        seen["state filter"] = ambiguous_on_screen(app)
        await pilot.press("escape", "v")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        seen["detail"] = ambiguous_on_screen(app)
        await pilot.press("question_mark")
        await settle(pilot)
        seen["help"] = ambiguous_on_screen(app)
        for _ in range(8):  # the whole help text, a page at a time
            await pilot.press("pagedown")
            await pilot.pause()
            seen["help"] |= ambiguous_on_screen(app)
        await pilot.press("q", "q")
        await settle(pilot)
        app.notify("提示：≤ 3 份 · “已保存” — ①", markup=False)
        await settle(pilot)
        # The toast layer is not in the screen's compositor: read the notices' own text.
        toasts = " ".join(f"{n.title} {n.message}" for n in app._notifications)
        assert "提示" in toasts
        seen["notice"] = {ch: toasts for ch in toasts if unicodedata.east_asian_width(ch) == "A"}
        app.screen.action_quit()  # type: ignore[attr-defined]
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        seen["confirm"] = ambiguous_on_screen(app)
    assert {k: v for k, v in seen.items() if v} == {}


@pytest.mark.parametrize("size", SIZES)
async def test_the_footer_keeps_its_keys_as_the_cursor_moves(
    office: Store, size: tuple[int, int]
) -> None:
    """`a` dims on a row that cannot be passed from the list instead of leaving the footer:
    the keys are restyled in place, not rebuilt (a rebuild repaints the whole line)."""
    from textual.widgets._footer import FooterKey

    from zcreview.domain.workflow import State
    from zcreview.screens.queue_passing import PASSABLE_FROM_QUEUE

    app = _app(office, "张审核")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        listing = queue_list(app)
        keys = list(app.screen.query(FooterKey))
        assert [k.action for k in keys].count("pass_application") == 1
        seen: set[bool] = set()
        for _ in range(12):
            await pilot.press("down")
            await settle(pilot)
            row = listing.current
            assert row is not None
            passable = row.state in PASSABLE_FROM_QUEUE
            (key,) = [k for k in app.screen.query(FooterKey) if k.action == "pass_application"]
            assert key.has_class("-disabled") is not passable, row.state
            seen.add(passable)
        assert seen == {True, False}  # both kinds of row were crossed
        assert list(app.screen.query(FooterKey)) == keys  # the same widgets: no rebuild
        assert State.PASSED.value not in PASSABLE_FROM_QUEUE


async def test_read_only_browsing_shows_no_pass_key(office: Store) -> None:
    from textual.widgets._footer import FooterKey

    app = _app(office)  # no reviewer registered
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        actions = [k.action for k in app.screen.query(FooterKey)]
        assert "pass_application" not in actions and "open" in actions
