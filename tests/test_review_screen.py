"""The review screen, flag dialog, return composer and preview pane driven with Pilot."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import col, select
from textual.widgets import Static

from tests.office_helpers import ids_in, row_of
from tests.pilot_helpers import NARROW, WIDE, Heard, handled, open_review, screen_text, settle
from tests.review_screen_data import (
    Clock,
    add_application,
    fill,
    new_office,
    preview_files,
    return_from_above,
    review_app,
)
from zcreview.configfiles import load_config
from zcreview.domain.corrections import CorrectionItem, add_working_days
from zcreview.domain.workflow import State
from zcreview.screens.composer import ReturnComposer
from zcreview.screens.confirm import ConfirmScreen
from zcreview.screens.exports_ui import export_list
from zcreview.screens.flag_dialog import FlagDialog, rank_reasons
from zcreview.screens.queue import QueueScreen
from zcreview.screens.review import ReviewScreen
from zcreview.screens.widgets.field_list import FieldList
from zcreview.screens.widgets.preview_pane import PreviewPane
from zcreview.screens.widgets.queue_list import QueueList
from zcreview.storage import applications
from zcreview.storage.queue import QueueFilter
from zcreview.storage.review_results import Claimed
from zcreview.storage.review_tables import AuditRow, CorrectionItemRow, FlagRow, ReturnRow
from zcreview.storage.store import Store

pytestmark = pytest.mark.anyio


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Store]:
    """Four applications; the first has a real scan and a password-protected PDF."""
    store = new_office(tmp_path / "home")
    fill(store, 4, first_files=preview_files())
    try:
        yield store
    finally:
        store.dispose()


def audit_actions(store: Store, app_id: str) -> list[str]:
    with store.session() as s:
        rows = s.exec(
            select(AuditRow)
            .where(col(AuditRow.application_id) == app_id)
            .order_by(col(AuditRow.seq))
        ).all()
        return [r.action for r in rows]


async def go_to(pilot: object, screen: ReviewScreen, path: str) -> None:
    assert screen.query_one(FieldList).go_to_path(path), path
    await settle(pilot)


async def flag(pilot: object, screen: ReviewScreen, path: str, query: str, note: str) -> None:
    """Cursor to `path`, `f`, type `query` into the filter, Tab, type the note, Enter."""
    await go_to(pilot, screen, path)
    await pilot.press("f")  # type: ignore[attr-defined]
    await settle(pilot)
    assert isinstance(screen.app.screen, FlagDialog)
    await pilot.press(*query)  # type: ignore[attr-defined]
    if note:
        await pilot.press("tab", *note)  # type: ignore[attr-defined]
    await pilot.press("enter")  # type: ignore[attr-defined]
    await settle(pilot)


# --------------------------------------------------------------------------------------------


async def test_open_claims_and_shows_every_section(office: Store) -> None:
    app = review_app(office)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_review(pilot)
        first = ids_in(office)[0]
        assert screen.loaded is not None and screen.loaded.app_id == first
        row = row_of(office, first)
        assert row.state == State.IN_REVIEW.value and row.holder == "张审核"
        headings = [i.label for i in screen.items if i.kind == "heading"]
        assert headings[0].startswith("1. 基本信息") and headings[-1].startswith("12. ")
        text = screen_text(app)
        assert "✓" in text and "由您审核至 10:15" in text
        # q releases the claim and goes back
        await pilot.press("q")
        await settle(pilot)
        assert not isinstance(app.screen, ReviewScreen)
        assert row_of(office, first).holder is None
        assert row_of(office, first).state == State.PENDING.value


async def test_problem_jumps_and_ascii_glyphs(tmp_path: Path) -> None:
    store = new_office(tmp_path / "home")
    add_application(store, 0, basic__unit_rank="5/3", basic__current_specialty="其他")
    app = review_app(store, ascii_mode=True)
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_review(pilot)
        fields = screen.query_one(FieldList)
        await pilot.press("right_square_bracket")
        first = fields.current
        assert first is not None and (first.level or 0) > 0
        await pilot.press("n")
        second = fields.current
        assert second is not None and second.path != first.path and (second.level or 0) > 0
        await pilot.press("N")
        assert fields.current is first
        text = screen_text(app)
        assert "X " in text or "! " in text
        assert "✗" not in text and "⚠" not in text
    store.dispose()


async def test_flag_compose_edit_remove_add_and_send(office: Store) -> None:
    """The whole return: two flags (template + free text), composer edits, send, DB, audit."""
    app = review_app(office)
    config = load_config()
    heard = Heard()
    async with app.run_test(size=WIDE, message_hook=heard) as pilot:
        screen = await open_review(pilot)
        app_id = screen.loaded.app_id  # type: ignore[union-attr]
        await flag(pilot, screen, "basic.unit_rank", "排序", "应为 1/3")
        await flag(pilot, screen, "assessments[1]", "考核单位", "")
        with office.session() as s:
            flags = s.exec(select(FlagRow).where(col(FlagRow.application_id) == app_id)).all()
        by_path = {f.field_path: f for f in flags}
        assert set(by_path) == {"basic.unit_rank", "assessments[1]"}
        assert by_path["basic.unit_rank"].note == "应为 1/3"
        assert by_path["assessments[1]"].reason_id == "ASSESS-UNIT"
        assert "退" in screen_text(app)

        await pilot.press("r")
        await settle(pilot)
        composer = app.screen
        assert isinstance(composer, ReturnComposer)
        assert [i.field_path for i in composer.items] == ["basic.unit_rank", "assessments[1]"]
        default = add_working_days(
            Clock().now.date(), config.thresholds.review.return_deadline_working_days
        )
        assert composer.deadline == default
        assert "1. 【" in composer.notice_text and "应为 1/3" in composer.notice_text
        # edit item 1: add words to the note
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FlagDialog)
        await pilot.press("tab", *"见第2页", "enter")
        await settle(pilot)
        assert composer.items[0].note == "应为 1/3见第2页"
        # remove item 2
        await pilot.press("j", "x")
        await settle(pilot)
        assert [i.field_path for i in composer.items] == ["basic.unit_rank"]
        # add an item: the 六公开监督卡 attachment, reason by typing
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"6月六公开", "enter")
        await settle(pilot)
        assert isinstance(app.screen, FlagDialog)
        await pilot.press(*"监督卡", "enter")
        await settle(pilot)
        assert [i.field_path for i in composer.items] == ["basic.unit_rank", "other_attachments[0]"]
        # a later deadline, typed
        await pilot.press("d", *["backspace"] * 10, *"2025-06-30", "enter")
        await settle(pilot)
        assert str(composer.deadline) == "2025-06-30"
        preview = composer.notice_text
        assert "2025年6月30日" in preview
        async with (
            handled(pilot, heard, ReviewScreen.Shown, "the next application"),
            handled(pilot, heard, ReviewScreen.Decided, "the return stored") as returned,
        ):
            await pilot.press("ctrl+s")
        assert returned[0].decision.action == "return" and returned[0].decision.app_id == app_id
        assert isinstance(app.screen, ReviewScreen)
        assert screen.loaded is not None and screen.loaded.app_id != app_id  # the next one

    row = row_of(office, app_id)
    assert row.state == State.RETURNED.value and str(row.deadline) == "2025-06-30"
    with office.session() as s:
        ret = s.exec(select(ReturnRow).where(col(ReturnRow.application_id) == app_id)).one()
        items = s.exec(
            select(CorrectionItemRow)
            .where(col(CorrectionItemRow.return_id) == ret.id)
            .order_by(col(CorrectionItemRow.position))
        ).all()
        left = s.exec(select(FlagRow).where(col(FlagRow.application_id) == app_id)).all()
    assert [i.field_path for i in items] == ["basic.unit_rank", "other_attachments[0]"]
    assert items[0].note == "应为 1/3见第2页" and items[1].reason_id == "SIX-PUBLIC"
    assert ret.notice_text == preview  # the preview was exactly what was sent
    assert not left  # a return consumes the flags
    assert audit_actions(office, app_id) == ["create", "claim", "flag", "flag", "return"]


async def test_escape_cancels_the_composer_and_keeps_flags(office: Store) -> None:
    app = review_app(office)
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_review(pilot)
        await flag(pilot, screen, "basic.phone", "", "号码无法接通")
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ReturnComposer)
        await pilot.press("x", "escape")
        await settle(pilot)
        assert app.screen is screen
        assert screen.loaded is not None and [f.path for f in screen.loaded.flags] == [
            "basic.phone"
        ]
        assert row_of(office, screen.loaded.app_id).state == State.IN_REVIEW.value


async def test_pass_needs_confirmation_then_opens_the_next(office: Store) -> None:
    app = review_app(office)
    order = ids_in(office)
    heard = Heard()
    async with app.run_test(size=WIDE, message_hook=heard) as pilot:
        screen = await open_review(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert row_of(office, order[0]).state == State.IN_REVIEW.value
        async with (
            handled(pilot, heard, ReviewScreen.Shown, "the next application"),
            handled(pilot, heard, ReviewScreen.Decided, "the pass stored") as decided,
        ):
            await pilot.press("a", "y")
        assert decided[0].decision.action == "pass" and decided[0].decision.app_id == order[0]
        assert row_of(office, order[0]).state == State.PASSED.value
        assert screen.loaded is not None and screen.loaded.app_id == order[1]
        assert row_of(office, order[1]).holder == "张审核"
    assert audit_actions(office, order[0])[-1] == "pass"


async def test_pass_under_a_state_filter_opens_the_one_that_moved_up(office: Store) -> None:
    app = review_app(office)
    order = ids_in(office)
    flt = QueueFilter(states=frozenset({State.PENDING.value, State.IN_REVIEW.value}))
    heard = Heard()
    async with app.run_test(size=WIDE, message_hook=heard) as pilot:
        await settle(pilot)
        screen = ReviewScreen(app.services, flt, 0, reviewer="张审核")
        app.push_screen(screen)
        await settle(pilot)
        async with (
            handled(pilot, heard, ReviewScreen.Shown, "the next application"),
            handled(pilot, heard, ReviewScreen.Decided, "the pass stored"),
        ):
            await pilot.press("a", "y")
        assert screen.loaded is not None and screen.loaded.app_id == order[1]
        assert screen.index == 0


async def test_reopen_a_passed_application_and_return_it(office: Store) -> None:
    app = review_app(office)
    order = ids_in(office)
    heard = Heard()
    async with app.run_test(size=WIDE, message_hook=heard) as pilot:
        screen = await open_review(pilot)
        async with handled(pilot, heard, ReviewScreen.Decided, "the pass stored"):
            await pilot.press("a", "y")
        await settle(pilot)
        await pilot.press("K")  # back to the passed one
        await settle(pilot)
        assert screen.loaded is not None and screen.loaded.app_id == order[0]
        assert screen.loaded.state == State.PASSED.value
        assert not app.screen.check_action("pass_application", ())
        async with handled(pilot, heard, ReviewScreen.Decided, "the reopening stored") as got:
            await pilot.press("o", "y")  # reopening asks first
        assert got[0].decision.action == "reopen"
        assert row_of(office, order[0]).state == State.IN_REVIEW.value
        await flag(pilot, screen, "work_summary", "", "请补充主要业绩")
        await pilot.press("r")
        await settle(pilot)
        async with handled(pilot, heard, ReviewScreen.Decided, "the return stored"):
            await pilot.press("ctrl+s")
    assert row_of(office, order[0]).state == State.RETURNED.value
    assert audit_actions(office, order[0]) == [
        "create",
        "claim",
        "pass",
        "claim",
        "reopen",
        "flag",
        "return",
    ]


async def test_resubmission_shows_changes_and_answered_items(office: Store) -> None:
    app = review_app(office)
    order = ids_in(office)
    target = order[0]
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_review(pilot)
        await flag(pilot, screen, "basic.unit_rank", "排序", "")
        await flag(pilot, screen, "basic.phone", "", "请核实手机号")
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert row_of(office, target).state == State.RETURNED.value

    # The applicant corrects the rank, changes the 民族 (not returned), leaves the phone.
    with office.session() as s:
        app_model = applications.load_revision(target, session=s).model_copy(deep=True)
        app_model.basic.unit_rank = "2/3"
        app_model.basic.ethnicity = "回族"
        applications.record_revision(app_model, session=s, received_on=date(2025, 6, 18))
        s.commit()
    assert row_of(office, target).state == State.RESUBMITTED.value

    app = review_app(office)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_review(pilot, index=ids_in(office).index(target))
        ctx = screen.loaded.resubmission  # type: ignore[union-attr]
        assert ctx is not None
        labels = [i.label for i in screen.items if i.kind in ("change", "heading")]
        summary = labels[0]
        assert summary.startswith("补正对照：已补正 1 项") and "未补正 1 项" in summary
        assert any(label.startswith("已补正 基本信息 > 单位推荐排序") for label in labels)
        assert any(label.startswith("未补正 基本信息 > 手机") for label in labels)
        outside = [i for i in screen.items if i.label.startswith("未退回条目被修改")]
        assert len(outside) == 1 and outside[0].level == 2 and "回族" in outside[0].value
        text = screen_text(app)
        assert "补正对照" in text and "1/3 → 2/3" in text


async def test_return_from_above_shows_its_items_and_marks_the_fields(office: Store) -> None:
    """上级退回: the upper office's list sits on top; `]` walks its items and the fields."""
    first = ids_in(office)[0]
    items = [
        CorrectionItem("basic.unit_rank", "单位排名", "R01", "排名格式有误", "应为 k/n"),
        CorrectionItem("assessments[1]", "考核第2条", "", "考核等次与证明不符"),
    ]
    return_from_above(office, first, items, date(2025, 6, 30))
    app = review_app(office)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_review(pilot)
        loaded = screen.loaded
        assert loaded is not None and loaded.can_decide and loaded.above is not None
        text = screen_text(app)
        assert "上级退回（山东省人力资源和社会保障厅，期限 2025-06-30）" in text
        assert "排名格式有误" in text and "说明：应为 k/n" in text and "考核等次与证明不符" in text
        # the block comes first, then the fields it names, each marked with the upper reason
        fields = screen.query_one(FieldList)
        seen: list[tuple[str, str]] = []
        for _ in range(6):
            await pilot.press("right_square_bracket")
            current = fields.current
            assert current is not None
            seen.append((current.kind, current.path))
        assert seen[:2] == [("change", "basic.unit_rank"), ("change", "assessments[1]")]
        assert ("field", "basic.unit_rank") in seen and ("row", "assessments[1]") in seen
        marked = next(i for i in screen.items if i.kind == "field" and i.path == "basic.unit_rank")
        assert (marked.level or 0) >= 1 and "上级退回：排名格式有误" in marked.note
        assert screen.check_action("pass_application", ()) and screen.check_action(
            "compose_return", ()
        )
        await pilot.press("q")  # released: back to 上级退回, where it came from
        await settle(pilot)
    assert row_of(office, first).state == State.RETURNED_FROM_ABOVE.value


def ambiguous(text: str) -> set[str]:
    return {ch for ch in text if unicodedata.east_asian_width(ch) == "A"}


async def test_ascii_mode_shows_no_ambiguous_width_symbols(tmp_path: Path) -> None:
    """Check messages (≤, “”, § in seeds) and an upper office's notice (…, ·, —) in ASCII mode:
    no line of the review screen, nor the composer's notice, has an ambiguous-width symbol."""
    store = new_office(tmp_path / "home")
    app_id = add_application(
        store, 0, basic__unit_rank="5/3", basic__current_specialty="其他", basic__name="阿依·木合"
    )
    note = "“单位推荐排序”应≤总人数…见附件※——请核实"
    items = [CorrectionItem("basic.unit_rank", "单位排名·推荐", "", "排名≥总人数", note)]
    return_from_above(store, app_id, items, date(2025, 6, 30))
    app = review_app(store, ascii_mode=True)
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_review(pilot)
        fields = screen.query_one(FieldList)
        width = fields.scrollable_content_region.width
        every = [
            "".join(seg.text for seg in strip)
            for item in screen.items
            for strip in fields._item_strips(item, width)
        ]
        listed = "\n".join(every)
        assert "<=" in listed and "..." in listed and "阿依.木合" in screen_text(app)
        assert any(r.seed and ambiguous(r.message + r.seed) for r in screen.loaded.results)  # type: ignore[union-attr]
        assert ambiguous(listed) == set()
        for _ in range(4):
            assert ambiguous(screen_text(app)) == set()
            await pilot.press("right_square_bracket")
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ReturnComposer)
        assert ambiguous(screen_text(app)) == set()
    store.dispose()


async def test_open_review_renews_its_lease(office: Store) -> None:
    """A reviewer who stays on one application keeps it: the claim is renewed before the lease
    (15 min) runs out, so another reviewer 20 minutes later still cannot take it over."""
    first = ids_in(office)[0]
    clock = Clock()
    app = review_app(office, clock=clock)
    app.services.lease_renewal_seconds = 0.05
    other = review_app(office, "李审核", clock=clock).services.desk("李审核")
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_review(pilot)
        for _ in range(2):  # two renewals, 10 minutes apart on the office clock
            clock.advance(minutes=10)
            await pilot.pause(0.2)
            await settle(pilot)
        status = str(screen.query_one("#review-status", Static).content)
        assert "已续期，由您审核至 10:35" in status
        assert not isinstance(other.claim(first), Claimed)
        assert screen.check_action("pass_application", ())
        # leaving stops renewing (and releases): the other reviewer gets it at once
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(other.claim(first), Claimed)


async def test_conflict_between_two_workstations(office: Store) -> None:
    """A holds it; the lease runs out; B takes it and passes; A's pass is refused by name."""
    order = ids_in(office)
    clock_a, clock_b = Clock(), Clock()
    first = review_app(office, "张审核", clock=clock_a)
    second = review_app(office, "李审核", clock=clock_b)
    heard_a, heard_b = Heard(), Heard()
    async with (
        first.run_test(size=WIDE, message_hook=heard_a) as pa,
        second.run_test(size=WIDE, message_hook=heard_b) as pb,
    ):
        a_screen = await open_review(pa)
        assert a_screen.loaded is not None and a_screen.loaded.can_decide
        b_screen = await open_review(pb)
        # the claim is shown to the other reviewer, who can read but not decide
        assert b_screen.loaded is not None and not b_screen.loaded.can_decide
        status = str(b_screen.query_one("#review-status", Static).content)
        assert "张审核 正在审核" in status and "10:15" in status
        assert not b_screen.check_action("pass_application", ())
        # 20 minutes later the lease has run out: B takes it over and passes it
        clock_b.advance(minutes=20)
        await pb.press("R")
        await settle(pb)
        assert b_screen.loaded.can_decide
        async with handled(pb, heard_b, ReviewScreen.Decided, "B's pass stored"):
            await pb.press("a", "y")
        assert row_of(office, order[0]).state == State.PASSED.value
        # A, still on the old version, tries to pass: refused with who and what
        async with handled(pa, heard_a, ReviewScreen.Refused, "A's pass refused") as refused:
            await pa.press("a", "y")
        assert "已被 李审核" in refused[0].message
        await settle(pa)
        assert "已被 李审核" in a_screen.alert and "审核通过" in a_screen.alert
        status = a_screen.query_one("#review-status", Static).content
        assert "已被 李审核" in str(status)
        assert a_screen.loaded is not None and a_screen.loaded.state == State.PASSED.value
    with office.session() as s:
        passes = s.exec(
            select(AuditRow).where(
                col(AuditRow.application_id) == order[0], col(AuditRow.action) == "pass"
            )
        ).all()
    assert [p.actor for p in passes] == ["李审核"]  # nothing overwritten


async def test_walk_releases_and_claims(office: Store) -> None:
    app = review_app(office)
    order = ids_in(office)
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_review(pilot)
        await pilot.press("J")
        await settle(pilot)
        assert screen.loaded is not None and screen.loaded.app_id == order[1]
        assert row_of(office, order[0]).holder is None
        assert row_of(office, order[1]).holder == "张审核"
        await pilot.press("K")
        await settle(pilot)
        assert screen.loaded.app_id == order[0]


async def test_preview_shows_a_scan_and_an_encrypted_file_message(office: Store) -> None:
    app = review_app(office)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_review(pilot)
        await pilot.press("p")
        await go_to(pilot, screen, "education.basis.attachments[0]")
        pane = screen.query_one(PreviewPane)
        assert pane.result is not None and pane.result.error is None
        assert pane.result.page_count == 1 and len(pane.result.lines) > 10
        assert "▀" in screen_text(app) or "▄" in screen_text(app)
        await pilot.press("z")
        await settle(pilot)
        assert pane.zoom == 0 and "放大 左上" in screen_text(app)
        await pilot.press("Z", "t")
        await settle(pilot)
        assert pane.show_text
        await pilot.press("t")
        await go_to(pilot, screen, "other_attachments[0]")
        assert pane.result is not None and pane.result.error is not None
        assert "加密" in pane.result.error
        assert "无法预览" in screen_text(app) and "加密" in screen_text(app)
        # review goes on: the field list still answers
        await pilot.press("k")
        assert screen.query_one(FieldList).current is not None


async def test_preview_replaces_the_fields_at_80_columns(office: Store) -> None:
    app = review_app(office)
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_review(pilot)
        await go_to(pilot, screen, "education.basis.attachments[0]")
        await pilot.press("p")
        await settle(pilot)
        assert not screen.query_one(FieldList).display
        assert screen.query_one(PreviewPane).display
        await pilot.press("k")  # the cursor still moves while the fields are hidden
        await settle(pilot)
        assert screen.query_one(FieldList).current is not None
        await pilot.press("p")
        await settle(pilot)
        assert screen.query_one(FieldList).display


async def test_read_only_without_a_reviewer(office: Store) -> None:
    app = review_app(office, reviewer=None)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        if app.screen.__class__.__name__ == "ReviewerPicker":
            await pilot.press("escape")
        screen = await open_review(pilot)
        assert screen.loaded is not None and not screen.loaded.can_decide
        assert not screen.check_action("flag", ())
        assert row_of(office, screen.loaded.app_id).holder is None


async def test_export_notice_and_list(office: Store) -> None:
    app = review_app(office)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_review(pilot)
        app_id = screen.loaded.app_id  # type: ignore[union-attr]
        await flag(pilot, screen, "basic.phone", "", "号码无法接通")
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("K")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
    exports = office.home / "exports"
    names = sorted(p.name for p in exports.iterdir())
    assert any(n.startswith("补正告知书（草稿）-") and n.endswith(".pdf") for n in names)
    assert any(n.startswith("补正告知书-") and n.endswith(".txt") for n in names)
    final = next(p for p in exports.iterdir() if p.name.startswith("补正告知书-"))
    assert "号码无法接通" in final.with_suffix(".txt").read_text(encoding="utf-8")
    assert "export" in audit_actions(office, app_id)
    path, count = export_list(app.services, QueueFilter(), ".xlsx", "张审核")
    assert path.exists() and count == 4


def test_reasons_filter_fuzzily_with_suggestions_first() -> None:
    reasons = load_config().reasons
    assert rank_reasons("考核单位", reasons)[0].id == "ASSESS-UNIT"
    assert rank_reasons("", reasons, ["CE-HOURS"])[0].id == "CE-HOURS"
    assert not rank_reasons("zzzz", reasons)


async def test_enter_on_the_queue_reviews_and_q_goes_back(office: Store) -> None:
    app = review_app(office)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        assert screen.loaded is not None and screen.loaded.app_id == ids_in(office)[1]
        assert screen.loaded.can_decide
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.query_one(QueueList).cursor == 1
        # the screen is reused for the next open: same instance, the new application, claimed
        await pilot.press("j", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert screen.loaded is not None and screen.loaded.app_id == ids_in(office)[2]
        assert row_of(office, ids_in(office)[2]).holder == "张审核"
        assert row_of(office, ids_in(office)[1]).holder is None


async def test_palette_exports_the_decision_list(office: Store) -> None:
    app = review_app(office)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"一览表xlsx")
        await settle(pilot)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
    files = list((office.home / "exports").glob("审核结果一览表-*.xlsx"))
    assert len(files) == 1


async def test_a_on_the_queue_passes_in_two_keys(office: Store) -> None:
    """`a` claims and asks (name, title, ✓/⚠/✗); `n` releases; `a` `y` passes, committed
    before the dialog closes, and the row shows the new state."""
    from zcreview.screens.queue_pass import QueuePassDialog

    order = ids_in(office)
    app = review_app(office)
    heard = Heard()
    async with app.run_test(size=WIDE, message_hook=heard) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen) and queue.check_action("pass_application", ())
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, QueuePassDialog)
        assert row_of(office, order[0]).holder == "张审核"  # claimed while asking
        text = screen_text(app)
        row = dialog.row
        assert f"审核通过：{row.name}（{row.title}）" in text
        assert f"✓ {row.n_ok}" in text and f"✗ {row.n_fail}" in text
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is queue
        assert row_of(office, order[0]).holder is None
        assert row_of(office, order[0]).state == State.PENDING.value
        async with handled(pilot, heard, QueuePassDialog.Done, "the pass stored") as done:
            await pilot.press("a", "y")
        assert done[0].decision is not None and done[0].decision.app_id == order[0]
        await settle(pilot)  # the row is read again
        assert app.screen is queue
        assert row_of(office, order[0]).state == State.PASSED.value
        assert audit_actions(office, order[0])[-2:] == ["claim", "pass"]
        current = queue.query_one(QueueList).current
        assert current is not None and current.id == order[0]
        assert current.state == State.PASSED.value  # the row was read again
        assert not queue.check_action("pass_application", ())  # passed: nothing to pass


async def test_a_on_the_queue_warns_on_failures_and_refuses_a_held_one(tmp_path: Path) -> None:
    store = new_office(tmp_path / "home")
    first = add_application(store, 0, basic__unit_rank="5/3", basic__current_specialty="其他")
    clock = Clock()
    review_app(store, "李审核", clock=clock).services.desk("李审核").claim(first)
    app = review_app(store, clock=clock)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        await pilot.press("a")
        await settle(pilot)
        assert app.screen is queue  # no dialog: someone else holds it
        assert row_of(store, first).holder == "李审核"
        said = [n.message for n in app._notifications]
        assert any("李审核 正在审核" in m and "10:15" in m for m in said), said
        # the lease runs out: now it can be claimed, and the dialog warns about the ✗
        clock.advance(minutes=20)
        await pilot.press("a")
        await settle(pilot)
        from zcreview.screens.queue_pass import QueuePassDialog

        assert isinstance(app.screen, QueuePassDialog)
        assert app.screen.row.n_fail > 0
        warning = str(app.screen.query_one("#queue-pass-warning", Static).content)
        assert f"有 {app.screen.row.n_fail} 项不符合" in warning
        await pilot.press("escape")
        await settle(pilot)
        assert row_of(store, first).holder is None
    store.dispose()


async def test_a_is_hidden_without_a_reviewer(office: Store) -> None:
    app = review_app(office, reviewer=None)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("escape")  # the reviewer picker: browse read-only
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        assert not queue.check_action("pass_application", ())
        await pilot.press("a")
        await settle(pilot)
        assert app.screen is queue
        assert all(row_of(office, i).state == State.PENDING.value for i in ids_in(office))
