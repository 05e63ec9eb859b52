"""Chinese line breaking: no wrapped line starts with "，" or "”", on screen as in the rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tests.pilot_helpers import settle
from tests.review_screen_data import add_application, new_office, review_app
from zcreview.domain.model import Application
from zcreview.screens.kinsoku import NO_LINE_END, NO_LINE_START, CjkText, break_offsets, wrap
from zcreview.screens.review import ReviewScreen
from zcreview.screens.widgets.field_list import FieldList

pytestmark = pytest.mark.anyio

SUMMARY = (
    "本人自参加工作以来，一直从事给水排水工程的设计与施工管理工作，主持完成了“城区供水管网改造”"
    "等项目，获得了单位的一致好评。" * 6
)


def assert_rules(lines: list[str]) -> None:
    for i, line in enumerate(lines):
        if i:
            assert line[:1] not in NO_LINE_START, lines
        if i < len(lines) - 1:
            assert line.rstrip()[-1:] not in NO_LINE_END, lines


@pytest.mark.parametrize("width", range(4, 41))
def test_no_line_starts_with_closing_punctuation(width: int) -> None:
    console = Console(width=200)
    lines = [line.plain for line in wrap(Text(SUMMARY), console, width)]
    assert_rules(lines)
    assert "".join(lines) == SUMMARY  # nothing lost, nothing added
    assert all(Text(line).cell_len <= width for line in lines)


def test_the_character_before_goes_down_with_the_comma() -> None:
    assert break_offsets("一二三，四五六七", 6) == [2, 5]
    # In a table cell, where the detail screen's values wrap.
    console = Console(width=6, record=True)
    grid = Table.grid()
    grid.add_column(overflow="fold")
    grid.add_row(CjkText("一二三，四五六七"))
    console.print(grid)
    assert [line.rstrip() for line in console.export_text().splitlines()] == [
        "一二",
        "三，四",
        "五六七",
    ]


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_the_review_screen_wraps_the_summary_by_the_rules(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    store = new_office(tmp_path / "home")

    def long_summary(app: Application) -> None:
        app.work_summary = SUMMARY

    add_application(store, 1, change=long_summary)
    try:
        app = review_app(store)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ReviewScreen)
            fields = app.screen.query_one(FieldList)
            width = fields.scrollable_content_region.width
            lines: list[str] = []
            for strips in fields._strips:
                text = ["".join(seg.text for seg in strip).rstrip() for strip in strips]
                if any("给水排水工程" in t for t in text):
                    lines = [t.lstrip() for t in text]
            assert len(lines) > 3, "the summary wraps over several lines"
            assert_rules(lines)
            assert width > 0
    finally:
        store.dispose()
