"""Snapshots of the queue and detail screens (pytest-textual-snapshot), on fixed data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.office_helpers import filled_office
from tests.pilot_helpers import settle, workstation_app
from zcreview.screens.app import ZcReviewApp
from zcreview.settings import Settings
from zcreview.storage.store import Store


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Store]:
    store = filled_office(tmp_path / "home")
    try:
        yield store
    finally:
        store.dispose()


def _app(store: Store, **settings: Any) -> ZcReviewApp:
    app = workstation_app(Settings(home=store.home, **settings), store)
    return app


async def _ready(pilot: Any) -> None:
    await settle(pilot)


def test_queue_120x40(office: Store, snap_compare: Any) -> None:
    """At 120×40 the tree shows 年度/级别/系列 with 待审/通过 counts, the list shows every
    column but 系列 (the tree has it), CJK names and units are aligned by cells, the status line
    reads 第 1 / 300 条 and the reviewer is in the header."""
    assert snap_compare(_app(office), terminal_size=(120, 40), run_before=_ready)


def test_queue_80x24(office: Store, snap_compare: Any) -> None:
    """At 80×24 the tree narrows and the list keeps 姓名, 单位, 状态 and the ✓/⚠/✗ counts, dropping
    lower-priority columns instead of wrapping; the footer still shows the main keys."""
    assert snap_compare(_app(office), terminal_size=(80, 24), run_before=_ready)


def test_queue_80x24_ascii(office: Store, snap_compare: Any) -> None:
    """ASCII mode at 80×24: tree guides, sort arrow, separators and check marks use ASCII only,
    so a terminal with ambiguous-width characters set to wide still aligns."""
    assert snap_compare(_app(office, ascii_mode=True), terminal_size=(80, 24), run_before=_ready)


def test_detail_120x40(office: Store, snap_compare: Any) -> None:
    """`v` on the third row opens the read-only detail: the title line with 第 3 / 300 条, the
    applicant's name and state, then 1. 基本信息 as label/value pairs and 2. 学历信息 with its
    attachment table (name, type, size, SHA-256 prefix)."""

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("j", "j", "v")  # read-only detail (Enter reviews)
        await settle(pilot)

    assert snap_compare(_app(office), terminal_size=(120, 40), run_before=run_before)
