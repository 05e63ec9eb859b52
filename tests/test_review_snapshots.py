"""Snapshots of the review screen and the return composer (pytest-textual-snapshot).

Time is frozen (the services' clock is 2025-06-16 10:00 Beijing), data is deterministic
(factory applications with fixed ids and files), and no input has the focus, so no cursor blinks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.review_screen_data import (
    Clock,
    add_application,
    new_office,
    preview_files,
    review_app,
    settle,
)
from zcreview.configfiles import load_config
from zcreview.desk.desk import ReviewDesk
from zcreview.domain.corrections import policy_from_config
from zcreview.screens.review import ReviewScreen
from zcreview.screens.review_services import ReviewServices, services_of
from zcreview.screens.widgets.field_list import FieldList
from zcreview.storage.queue import QueueFilter
from zcreview.storage.store import Store

FIRST = "00000000-0000-0000-0000-000000000001"


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Store]:
    """Three applications; the first has a real scan, a wrong rank and two draft flags."""
    store = new_office(tmp_path / "home")
    add_application(
        store, 0, files=preview_files(), basic__unit_rank="4/3", basic__current_specialty="其他"
    )
    for seed in (1, 2):
        add_application(store, seed)
    desk = ReviewDesk(store.engine, "张审核", policy_from_config(load_config()), clock=Clock())
    desk.set_flag(FIRST, "basic.unit_rank", reason_id="RANK-FMT", reason="单位推荐排序填写有误")
    desk.set_flag(
        FIRST,
        "assessments[1]",
        reason_id="ASSESS-UNIT",
        reason="考核单位与社保缴费单位不一致",
        note="2022年度考核表盖章单位不符",
    )
    try:
        yield store
    finally:
        store.dispose()


def _open(index: int = 0, *keys: str) -> Any:
    async def run_before(pilot: Any) -> None:
        app = pilot.app
        await settle(pilot)
        services: ReviewServices = services_of(app)
        app.push_screen(ReviewScreen(services, QueueFilter(), index, reviewer=app.reviewer))
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


def test_review_120x40(office: Store, snap_compare: Any) -> None:
    """At 120×40 the review screen shows the applicant line (第 1 / 3 份, name, unit, state 审核中),
    the fields of 基本信息 with ✓/⚠/✗ per checked field and the failing checks' messages with
    their IDs and seeds under 单位推荐排序 and 现从事专业, the 退 marks of the two draft flags, the
    ✓/⚠/✗ summary and claim line (由您审核至 10:15), and the key bar (通过, 退回, 标记 …)."""
    app = review_app(office)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_open(0))


def test_review_120x40_preview(office: Store, snap_compare: Any) -> None:
    """With `p` at 120×40 the preview pane sits beside the fields: with the cursor on the
    学历 scan, the pane header reads 第 1/1 页 · 扫描件 and the page is drawn in half-blocks."""

    async def run_before(pilot: Any) -> None:
        await _open(0)(pilot)
        screen = pilot.app.screen
        screen.query_one(FieldList).go_to_path("education.basis.attachments[0]")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)

    assert snap_compare(review_app(office), terminal_size=(120, 40), run_before=run_before)


def test_review_80x24(office: Store, snap_compare: Any) -> None:
    """At 80×24 the same screen fits: labels stay aligned in cells (CJK counts 2), long values
    and check messages wrap instead of being cut, the summary line and keys stay visible."""
    assert snap_compare(review_app(office), terminal_size=(80, 24), run_before=_open(0))


def test_composer_120x40(office: Store, snap_compare: Any) -> None:
    """`r` opens the composer at 120×40: the two flagged items with their reasons on the left,
    the deadline 2025-06-23 (5 working days after Monday 16 June) with its weekday, and on the
    right the notice exactly as sent: both items, the deadline in Chinese, reviewer and office."""
    assert snap_compare(review_app(office), terminal_size=(120, 40), run_before=_open(0, "r"))


def test_composer_80x24(office: Store, snap_compare: Any) -> None:
    """At 80×24 the composer stacks the item list and deadline above the notice preview, so the
    notice keeps the full width; the key bar still shows 退回 (^s), 添加, 删除 and 取消."""
    assert snap_compare(review_app(office), terminal_size=(80, 24), run_before=_open(0, "r"))
