"""Exports (notice PDF/text, decision list CSV/XLSX) and the review CLI commands."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import text

from tests.review_helpers import Clock, add_app, state_of
from zcreview import cli
from zcreview.cli import main
from zcreview.desk.desk import ReviewDesk
from zcreview.domain.corrections import CorrectionItem
from zcreview.exports import (
    LIST_HEADERS,
    notice_pdf,
    write_list,
    write_list_csv,
    write_list_xlsx,
)
from zcreview.storage.queue import QueueFilter
from zcreview.storage.review_reads import decision_list
from zcreview.storage.review_results import DecisionListRow
from zcreview.storage.store import Store

ITEM = CorrectionItem(
    "assessments[1]", "任现职以来考核 > 第2条", "ASSESS-UNIT", "考核单位与社保缴费单位不一致"
)


def _office(store: Store) -> tuple[str, str, str]:
    """Three applications: one passed, one returned, one pending."""
    desk = ReviewDesk(store.engine, "张审核", clock=Clock())
    passed, returned, pending = add_app(store, 1), add_app(store, 2), add_app(store, 3)
    c = desk.claim(passed)
    desk.pass_application(passed, c.version)
    c = desk.claim(returned)
    desk.return_application(returned, [ITEM], c.version, deadline=date(2025, 6, 20))
    return passed, returned, pending


def _cli(store: Store, *args: str) -> int:
    # `cli.main` appends the extra commands on every call; start each run as a fresh process.
    cli.EXTRA_COMMANDS.clear()
    return main(
        [
            "--home",
            str(store.home),
            "--db",
            store.engine.url.render_as_string(hide_password=False),
            *args,
        ]
    )


ROW = DecisionListRow(
    application_id="x",
    name="王芳",
    id_number="370102199003150026",
    unit='=HYPERLINK("http://evil")',
    series="工程技术",
    level="中级",
    title="工程师",
    state="已退回",
    reviewer="张审核",
    decided_at=datetime(2025, 6, 16, 2, 0, tzinfo=UTC),
    return_reasons="任现职以来考核 > 第2条：考核单位与社保缴费单位不一致",
)


# --- pure exports -----------------------------------------------------------------------------


def test_csv_has_bom_masked_ids_and_no_formulas(tmp_path: Path) -> None:
    path = write_list_csv([ROW], tmp_path / "list.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == list(LIST_HEADERS)
    assert rows[1][2:5] == ["王芳", "370102********0026", '\'=HYPERLINK("http://evil")']
    assert rows[1][LIST_HEADERS.index("决定时间")] == "2025-06-16 10:00"  # Beijing time
    full = write_list_csv([ROW], tmp_path / "full.csv", mask_ids=False)
    assert "370102199003150026" in full.read_text(encoding="utf-8-sig")


def test_xlsx_has_styled_header_and_rows(tmp_path: Path) -> None:
    path = write_list_xlsx([ROW, ROW], tmp_path / "list.xlsx")
    ws = load_workbook(path).active
    assert ws is not None
    assert ws["A1"].value == "审核结果一览表" and ws["A1"].font.bold  # the title row
    assert [c.value for c in ws[2]] == list(LIST_HEADERS)
    assert ws["C3"].value == "王芳" and ws["A4"].value == 2  # 序号 is a number
    assert ws["A2"].font.bold
    assert ws.freeze_panes == "A3"
    assert (ws.column_dimensions["M"].width or 0) > (ws.column_dimensions["A"].width or 0)


def test_write_list_refuses_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.txt"):
        write_list([ROW], tmp_path / "list.txt")


def test_notice_pdf_is_a_pdf_with_chinese_text() -> None:
    body = "职称申报材料补正告知书（一次性告知）\n\n" + "逾期未补正提报的，视为放弃本次申报。" * 40
    pdf = notice_pdf(body)
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    extracted = "".join(p.extract_text() for p in reader.pages).replace("\n", "")
    assert "补正告知书" in extracted
    assert "视为放弃本次申报" in extracted


# --- decision list from storage ---------------------------------------------------------------


def test_decision_list_of_a_selection(store: Store) -> None:
    passed, returned, pending = _office(store)
    with store.session() as s:
        rows = {r.application_id: r for r in decision_list(QueueFilter(), session=s)}
        only_passed = decision_list(QueueFilter(states=frozenset({"通过未上报"})), session=s)
    assert set(rows) == {passed, returned, pending}
    assert rows[passed].reviewer == "张审核" and rows[passed].return_reasons == ""
    assert rows[returned].return_reasons == "任现职以来考核 > 第2条：考核单位与社保缴费单位不一致"
    assert rows[pending].reviewer == "" and rows[pending].decided_at is None
    assert [r.application_id for r in only_passed] == [passed]


# --- CLI --------------------------------------------------------------------------------------


def test_cli_export_list_csv_and_xlsx(store: Store, tmp_path: Path) -> None:
    _office(store)
    out = tmp_path / "一览表.xlsx"
    assert _cli(store, "export", "list", "--year", "2025", "--out", str(out)) == 0
    ws = load_workbook(out).active
    assert ws is not None and ws.max_row == 5  # title, header, three applications
    csv_out = tmp_path / "passed.csv"
    assert _cli(store, "export", "list", "--state", "通过未上报", "--out", str(csv_out)) == 0
    with csv_out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["状态"] for r in rows] == ["通过未上报"]
    assert rows[0]["审核人"] == "张审核"
    assert _cli(store, "export", "list", "--out", str(tmp_path / "x.txt")) == 2


def test_cli_export_notice(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, returned, pending = _office(store)
    assert _cli(store, "export", "notice", returned) == 0
    printed = capsys.readouterr().out
    assert "一次性告知" in printed and "2025年6月20日" in printed
    pdf, txt = tmp_path / "notice.pdf", tmp_path / "notice.txt"
    assert _cli(store, "export", "notice", returned, "--pdf", str(pdf), "--text", str(txt)) == 0
    assert txt.read_text(encoding="utf-8") == printed
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "考核单位与社保缴费单位不一致" in PdfReader(pdf).pages[0].extract_text()
    assert _cli(store, "export", "notice", pending) == 2
    assert "没有退回记录" in capsys.readouterr().err


def test_cli_expire(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    _, returned, _ = _office(store)
    assert _cli(store, "expire", "--today", "2025-06-20") == 0
    assert state_of(store, returned) == "已退回"
    assert _cli(store, "expire", "--today", "2025-06-21") == 0
    assert returned in capsys.readouterr().out
    assert state_of(store, returned) == "逾期放弃"


def test_cli_audit_verify(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    _office(store)
    assert _cli(store, "audit", "verify") == 0
    assert "校验通过" in capsys.readouterr().out
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET payload = '{}' WHERE seq = 2"))
    assert _cli(store, "audit", "verify") == 1
    err = capsys.readouterr().err
    assert "第 2 条" in err and "被修改" in err
