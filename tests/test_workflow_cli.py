"""Command line: applications named by 申报编号, a prefix of it or a 身份证号; named reviewers."""

from __future__ import annotations

import argparse
from datetime import date

import pytest
from sqlmodel import col, select

from tests.office_helpers import set_up_office
from tests.review_helpers import Clock, add_app, head, run_cli
from zcreview import cli
from zcreview.cli import main
from zcreview.desk.desk import ReviewDesk
from zcreview.domain.corrections import CorrectionItem
from zcreview.settings import Settings
from zcreview.storage import office
from zcreview.storage.review_tables import AuditRow
from zcreview.storage.store import Store

ITEM = CorrectionItem("work_summary", "工作总结", "", "请补充主要业绩", "")


def _returned(store: Store, seed: int, **overrides: str) -> str:
    desk = ReviewDesk(store.engine, "张审核", clock=Clock())
    app_id = add_app(store, seed, **overrides)
    claim = desk.claim(app_id)
    desk.return_application(app_id, [ITEM], claim.version, deadline=date(2025, 6, 20))
    return app_id


def test_export_notice_by_id_number_or_prefix(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    returned = _returned(store, 1)
    person = head(store, returned).basic.id_number
    assert run_cli(store, "export", "notice", person) == 0
    assert "请补充主要业绩" in capsys.readouterr().out
    assert run_cli(store, "export", "notice", returned[:8]) == 0
    assert "请补充主要业绩" in capsys.readouterr().out
    assert run_cli(store, "export", "notice", "370000190001010000") == 2
    assert "没有申报编号或身份证号为“370000190001010000”的申报" in capsys.readouterr().err
    # the same person twice: the message lists both, by the 编号 the screens show
    second = add_app(store, 2, basic__id_number=person)
    assert run_cli(store, "export", "notice", person) == 2
    err = capsys.readouterr().err
    assert "对应 2 份申报" in err and returned[:8] in err and second[:8] in err
    assert run_cli(store, "export", "notice", second) == 2
    assert "没有退回记录" in capsys.readouterr().err


def test_an_unregistered_reviewer_is_refused_and_not_audited(
    store: Store, tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    with store.session() as s:
        office.add_reviewer(session=s, name="张审核")
        s.commit()
    out = Path(str(tmp_path)) / "list.csv"
    assert run_cli(store, "export", "list", "--out", str(out), "--reviewer", "冒名者") == 2
    assert "未登记的审核人：冒名者" in capsys.readouterr().err
    with store.session() as s:
        actors = set(s.exec(select(AuditRow.actor).where(col(AuditRow.action) == "export")).all())
    assert actors == set()
    assert run_cli(store, "export", "list", "--out", str(out), "--reviewer", "张审核") == 0
    with store.session() as s:
        actors = set(s.exec(select(AuditRow.actor).where(col(AuditRow.action) == "export")).all())
    assert actors == {"张审核"}


def test_report_refuses_an_unregistered_reviewer(store: Store) -> None:
    from zcreview.sync.cli_office import CliError
    from zcreview.sync.cli_sync import _reviewer

    with store.session() as s:
        office.add_reviewer(session=s, name="张审核")
        s.commit()
    settings = Settings(home=store.home)
    with pytest.raises(CliError, match="未登记的审核人：冒名者"):
        _reviewer(argparse.Namespace(reviewer="冒名者"), settings, store)
    assert _reviewer(argparse.Namespace(reviewer="张审核"), settings, store) == "张审核"
    assert _reviewer(argparse.Namespace(reviewer=None), settings, store) == "张审核"


def test_reviewer_before_any_command_opens_the_workstation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[argparse.Namespace] = []
    # The TUI itself cannot run here: record what `zcreview --reviewer 王伟` would open.
    monkeypatch.setattr(cli, "cmd_open", lambda args: seen.append(args) or 0)
    assert main(["--reviewer", "王伟"]) == 0
    assert seen and seen[0].reviewer == "王伟"
    assert cli._command_word(["--reviewer", "王伟"]) is None


# ----- exports --------------------------------------------------------------------------


def test_xlsx_is_typed_titled_and_set_up_for_printing(store: Store, tmp_path: object) -> None:
    from datetime import datetime
    from pathlib import Path

    from openpyxl import load_workbook

    from zcreview.exports import LIST_HEADERS

    set_up_office(
        store,
        "威海市人力资源和社会保障局",
        "11371000004172021N",
        office_type="人社局",
        office_level="市直",
    )
    returned = _returned(store, 1)
    out = Path(str(tmp_path)) / "list.xlsx"
    assert run_cli(store, "export", "list", "--year", "2025", "--out", str(out)) == 0
    ws = load_workbook(out).active
    assert ws is not None
    title = str(ws["A1"].value)
    assert title.startswith("审核结果一览表（威海市人力资源和社会保障局，2025年度，导出于 ")
    assert [c.value for c in ws[2]] == list(LIST_HEADERS)
    row = {h: c.value for h, c in zip(LIST_HEADERS, ws[3], strict=True)}
    assert row["序号"] == 1 and row["年度"] == 2025
    assert row["申报编号"] == returned
    assert isinstance(row["决定时间"], datetime) and row["决定时间"].hour == 10  # Beijing
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$1:$2"


def test_a_notice_for_a_lower_office_is_worded_for_the_office_and_has_a_contact() -> None:
    from datetime import UTC, datetime

    from tests.factories import make_application
    from zcreview.domain.corrections import CorrectionNotice, render_notice_text

    app = make_application(0)
    notice = CorrectionNotice(
        app.application_id,
        "r1",
        "张审核",
        (ITEM,),
        date(2025, 6, 20),
        datetime(2025, 6, 16, 2, tzinfo=UTC),
    )
    lower = render_notice_text(
        notice, app, "威海市人社局", to_office="环翠区人社局", phone="0631-5200000"
    )
    assert lower.splitlines()[2] == "环翠区人社局："
    assert "贵单位报送的" in lower and "经贵单位审核后重新报送" in lower
    assert "登录山东省专业技术人员管理服务平台" not in lower
    assert "联系人：张审核　联系电话：0631-5200000" in lower
    to_applicant = render_notice_text(notice, app, "威海市人社局")
    assert "登录山东省专业技术人员管理服务平台" in to_applicant
    assert "如有疑问，请与威海市人社局联系（联系人：张审核）" in to_applicant


# ----- history --------------------------------------------------------------------------


def test_audit_show_lists_the_history_in_order(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    desk = ReviewDesk(store.engine, "张审核", clock=Clock())
    app_id = add_app(store, 1)
    claim = desk.claim(app_id)
    desk.set_flag(app_id, "work_summary", reason="业绩不具体", label="工作总结")
    desk.remove_flag(app_id, "work_summary")
    desk.return_application(app_id, [ITEM], claim.version, deadline=date(2025, 6, 20))
    assert run_cli(store, "audit", "show", app_id[:8]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == f"申报编号 {app_id}（{app_id[:8]}）"
    events = [line.split("  ", 1)[1] for line in lines[2:]]
    # The revision was recorded at the real time, the decisions on the test's frozen clock.
    assert "收到申报（第 1 版）" in events
    events.remove("收到申报（第 1 版）")
    events.insert(0, "")
    assert events[1].startswith("张审核  领取审核（至 10:15）")
    assert events[2].startswith("张审核  标记需补正：") and "业绩不具体" in events[2]
    assert events[3].startswith("张审核  取消标记：")
    assert events[4].startswith("张审核  审核不通过，退回补正 1 项") and "2025-06-20" in events[4]
    assert len(events) == 5
    stamps = [line[:16] for line in lines[2:]]
    assert stamps == sorted(stamps)  # in time order
    assert run_cli(store, "audit", "show", "nobody") == 2
