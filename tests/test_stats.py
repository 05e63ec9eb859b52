"""Statistics: the read model on SQLite and PostgreSQL, the 统计 screen at 120×40 and 80×24,
and `zcreview stats` (text, JSON, XLSX) all say what the database says."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlmodel import col

from tests.pilot_helpers import settle
from tests.review_helpers import T0, Clock
from tests.review_screen_data import OFFICE, REVIEWERS, add_application, review_app
from zcreview.desk.desk import ReviewDesk
from zcreview.domain.corrections import CorrectionItem, local_today
from zcreview.screens.palette import ChinesePalette
from zcreview.screens.stats import StatsScreen
from zcreview.storage import office
from zcreview.storage.stats import OfficeStats, office_stats
from zcreview.storage.store import Store, open_store
from zcreview.storage.sync_tables import InboxEntry, OutboxBatch, OutboxItem
from zcreview.storage.tables import ApplicationRow

TODAY = local_today(T0)  # Monday 2025-06-16
LOWER = "环翠区人力资源和社会保障局"


def seed(store: Store) -> list[str]:
    """Eight applications: 2 passed and 1 returned by 张审核, 1 returned by 李审核 (due in
    1 working day), 1 returned long ago (overdue), 3 pending; two of them 2024; three reported
    here by a lower office; two batches sealed, one acknowledged with a refusal."""
    with store.session() as s:
        office.init_office(
            session=s,
            name=OFFICE,
            credit_code="11371000004172021N",
            office_type="人社局",
            office_level="市直",
        )
        for name in REVIEWERS:
            office.add_reviewer(session=s, name=name)
        s.commit()
    ids = [add_application(store, i) for i in range(8)]
    clock = Clock()
    zhang = ReviewDesk(store.engine, REVIEWERS[0], clock=clock)
    li = ReviewDesk(store.engine, REVIEWERS[1], clock=clock)
    item = [CorrectionItem("basic.phone", "手机", "", "", "号码有误")]
    for app_id in ids[:2]:
        zhang.pass_application(app_id, zhang.claim(app_id).version)
    zhang.return_application(ids[2], item, zhang.claim(ids[2]).version, TODAY + timedelta(days=10))
    li.return_application(ids[3], item, li.claim(ids[3]).version, TODAY + timedelta(days=1))
    clock.advance(days=-20)
    li.return_application(ids[4], item, li.claim(ids[4]).version, TODAY - timedelta(days=3))
    with store.session() as s:
        s.execute(
            update(ApplicationRow).where(col(ApplicationRow.id).in_(ids[5:7])).values(year=2024)
        )
        for n, app_id in enumerate(ids[5:8]):
            s.add(
                InboxEntry(
                    seq=n + 1,
                    application_id=app_id,
                    revision="r",
                    batch_id="in-1",
                    from_name=LOWER,
                    from_code="x",
                    series="工程技术",
                    level="中级",
                    year=2025,
                    blobs="[]",
                )
            )
        for batch_id, state in (
            ("b1", "acknowledged"),
            ("b2", "partly_rejected"),
            ("b3", "uploading"),
        ):
            s.add(
                OutboxBatch(
                    batch_id=batch_id,
                    state=state,
                    to_code="y",
                    to_name="省厅",
                    year=2025,
                    level="中级",
                    series="工程技术",
                    reviewer=REVIEWERS[0],
                    manifest="{}",
                    manifest_hash="0" * 64,
                )
            )
        s.add(OutboxItem(batch_id="b2", application_id=ids[0], revision="r", outcome="rejected"))
        s.commit()
    return ids


def states_in_db(store: Store) -> dict[str, int]:
    with store.session() as s:
        rows = s.execute(
            select(ApplicationRow.state, func.count()).group_by(ApplicationRow.state)
        ).all()
    return {str(k): int(v) for k, v in rows}


def stats_of(store: Store) -> OfficeStats:
    with store.session() as s:
        # 2 working days from Monday: Wednesday.
        return office_stats(
            session=s, today=TODAY, due_by=TODAY + timedelta(days=2), due_days=2, days=30
        )


def test_the_read_model_counts_what_the_database_holds(store: Store) -> None:
    ids = seed(store)
    stats = stats_of(store)
    assert stats.total == 8
    assert stats.by_state() == states_in_db(store)
    assert stats.by_state() == {"待审核": 3, "通过未上报": 2, "已退回": 3}
    assert stats.by("year") == {
        "2025": {"待审核": 1, "通过未上报": 2, "已退回": 3},
        "2024": {"待审核": 2},
    }
    assert stats.offices() == {LOWER: {"待审核": 3}}
    days = {(d.day, d.reviewer): (d.opened, d.passed, d.returned) for d in stats.reviewer_days}
    assert days[(TODAY, REVIEWERS[0])] == (3, 2, 1)
    assert days[(TODAY, REVIEWERS[1])] == (1, 0, 1)
    assert days[(TODAY - timedelta(days=20), REVIEWERS[1])] == (1, 0, 1)
    assert [r.app_id for r in stats.due_soon] == [ids[3]]
    assert [r.app_id for r in stats.overdue] == [ids[4]]
    b = stats.batches
    assert (b.sealed, b.waiting, b.acknowledged, b.refused, b.refused_applications, b.received) == (
        3,
        1,
        2,
        1,
        1,
        1,
    )
    per_day = dict((d, (p, r)) for d, p, r in stats.decisions_per_day())
    assert per_day[TODAY] == (2, 2) and per_day[TODAY - timedelta(days=1)] == (0, 0)


@pytest.fixture
def seeded(tmp_path: Path) -> Store:
    store = open_store(tmp_path / "home")
    seed(store)
    return store


@pytest.mark.anyio
@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_the_stats_screen_shows_the_database_numbers(
    seeded: Store, size: tuple[int, int]
) -> None:
    db = states_in_db(seeded)
    try:
        app = review_app(seeded)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await pilot.press("T")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, StatsScreen)
            lines = screen.text.splitlines()
            assert all(len(x) <= size[0] * 2 for x in lines)
            from rich.cells import cell_len

            assert max(cell_len(x) for x in lines) <= size[0] - 1, "nothing is cut at this width"
            summary = "\n".join(lines[: lines.index("按年度、级别、系列和状态")])
            assert f"共 {sum(db.values())} 份" in summary
            for state, n in db.items():
                assert f"{state} {n}" in summary
            row_2025 = next(x for x in lines if x.strip().startswith("2025年度")).split()
            assert row_2025[1:] == ["6", "1", "2", "3"]  # 合计 待审 通过 退回
            assert any(x.split()[:3] == [LOWER, "3", "3"] for x in lines)
            assert "2 个工作日内（06-18 及以前）到期 1 份，已逾期 1 份" in screen.text
            who = next(x for x in lines if x.startswith(REVIEWERS[0]))
            assert who.split()[1:] == ["3", "2", "1"]
            bar = next(x for x in lines if x.startswith(f"{TODAY:%m-%d} █"))
            from zcreview.stats_report import bar_chart

            ascii_bar = next(
                x for x in bar_chart(screen.stats, 60, ascii_mode=True) if x.endswith("2+2")
            )
            assert ascii_bar.isascii() and ascii_bar.count("#") == 2
            assert bar.count("█") == 2 and bar.count("▒") == 2 and bar.endswith("2+2")
            flat = screen.text.replace("\n  ", "")
            assert "已封装 3 批（其中待发送或发送中 1 批），上级已确认 2 批，" in flat
            assert "有拒收 1 批（拒收申报 1 份）" in flat
            # The first lines are on screen as drawn.
            drawn = "\n".join(
                "".join(seg.text for seg in strip) for strip in screen._compositor.render_strips()
            )
            assert f"共 {sum(db.values())} 份" in drawn.replace("\n", "")
            await pilot.press("x")  # the same numbers as a workbook
            await settle(pilot)
            said = [n.message for n in app._notifications if n.message.startswith("已导出：")]
            assert said, [n.message for n in app._notifications]
            from openpyxl import load_workbook

            book = load_workbook(said[-1].removeprefix("已导出："))
            assert book["按年度统计"].cell(3, 2).value == 6
            await pilot.press("q")
            await settle(pilot)
            assert not isinstance(app.screen, StatsScreen)
            # In help (global keys) and the palette, under its Chinese name.
            await pilot.press("question_mark")
            await settle(pilot)
            from zcreview.screens.help import HelpScreen

            assert isinstance(app.screen, HelpScreen)
            assert "- `T`：统计" in app.screen._markdown
            await pilot.press("q")
            await settle(pilot)
            await pilot.press("ctrl+p")
            await settle(pilot)
            assert isinstance(app.screen, ChinesePalette)
            await pilot.press(*"统计")
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, StatsScreen)
    finally:
        seeded.dispose()


def test_the_command_prints_json_text_and_a_workbook(seeded: Store, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from zcreview.cli import main

    home = str(seeded.home)
    db = states_in_db(seeded)
    seeded.dispose()
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["--home", home, "stats", "--json", "--today", TODAY.isoformat()]) == 0
    data = json.loads(out.getvalue())
    assert data["by_state"] == db and data["total"] == 8
    assert data["by_reporting_office"] == {LOWER: {"待审核": 3}}
    assert len(data["due_soon"]) == 1 and len(data["overdue"]) == 1

    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["--home", home, "stats", "--today", TODAY.isoformat()]) == 0
    assert "共 8 份" in out.getvalue() and "按上报单位" in out.getvalue()

    path = tmp_path / "统计.xlsx"
    with redirect_stdout(io.StringIO()):
        assert main(["--home", home, "stats", "--xlsx", str(path)]) == 0
    wb = load_workbook(path)
    ws = wb["按年度统计"]
    assert str(ws["A1"].value).startswith("按年度统计（" + OFFICE)
    assert [c.value for c in ws[2]][:2] == ["年度", "合计"]
    years = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(3, ws.max_row + 1)}
    assert years == {2025: 6, 2024: 2}  # numbers as numbers
    assert ws.print_title_rows == "$1:$2" and ws.page_setup.orientation == "landscape"
    assert wb["数据上报批次"].cell(3, 1).value == 3
    store = open_store(Path(home))
    try:
        with store.session() as s:
            from zcreview.storage.review_tables import AuditRow

            last = s.execute(select(AuditRow).order_by(AuditRow.seq.desc())).scalars().first()
            assert last is not None and last.action == "export" and "statistics" in last.payload
    finally:
        store.dispose()
    assert main(["--home", home, "stats", "--xlsx", str(tmp_path / "a.csv")]) == 2
