"""Exports strip control characters whatever path the text took to get here."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader

from tests.test_review_exports import ROW
from zcreview.exports import notice_pdf, write_list_csv, write_list_xlsx, write_notice_text

HOSTILE = "\x1b]0;pwned\x07\x1b[31m\x00\x0b\x9b2J"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
BAD = dataclasses.replace(
    ROW,
    name=f"王{HOSTILE}芳",
    unit=f"=济南{HOSTILE}",
    reviewer="张\x07审核",
    return_reasons=f"第一条{HOSTILE}\n第二条",
)


def test_xlsx_with_hostile_text_is_written_and_clean(tmp_path: Path) -> None:
    path = write_list_xlsx([BAD], tmp_path / "list.xlsx")
    ws = load_workbook(path).active
    assert ws is not None
    cells = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert not any(CONTROL.search(c) for c in cells)
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = next(i for i, r in enumerate(rows) if "姓名" in r)
    record = dict(zip(rows[header], rows[header + 1], strict=False))
    assert record["姓名"] == "王芳" and record["单位"] == "'=济南"
    assert record["退回原因"] == "第一条\n第二条"


def test_csv_cells_carry_no_escape_or_bell(tmp_path: Path) -> None:
    raw = write_list_csv([BAD], tmp_path / "list.csv").read_bytes()
    assert b"\x1b" not in raw and b"\x07" not in raw and b"\x00" not in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["姓名"] == "王芳" and record["审核人"] == "张审核"


def test_notice_text_and_pdf_are_clean(tmp_path: Path) -> None:
    body = f"补正告知书{HOSTILE}\n\n王{HOSTILE}芳：请补正。"
    text = write_notice_text(body, tmp_path / "n.txt").read_text(encoding="utf-8")
    assert text == "补正告知书\n\n王芳：请补正。"
    reader = PdfReader(io.BytesIO(notice_pdf(body)))
    extracted = "".join(p.extract_text() for p in reader.pages)
    assert "王芳" in extracted and "pwned" not in extracted
    assert not CONTROL.search(extracted.replace("\n", ""))
