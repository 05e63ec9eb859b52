"""Exports: correction notices as text and printable PDF; decision lists as CSV and XLSX."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from zcreview.cjkfont import FILL_STROKE, PDF_FONT, pdf_stroke, register_pdf_font
from zcreview.domain.corrections import mask_id_number, to_local
from zcreview.domain.text import terminal_safe
from zcreview.storage.review_results import DecisionListRow

LIST_HEADERS: tuple[str, ...] = (
    "序号",
    "申报编号",
    "姓名",
    "身份证号",
    "单位",
    "年度",
    "系列",
    "级别",
    "申报职称",
    "状态",
    "审核人",
    "决定时间",
    "退回原因",
)
CJK_FONT = PDF_FONT
"""Noto Sans SC, embedded as a subset: the notice renders on machines without Chinese fonts."""


# --- notices ----------------------------------------------------------------------------------


def write_notice_text(text: str, path: Path) -> Path:
    """Write the notice as UTF-8 text with CRLF-free lines (what the platform's box accepts)."""
    path.write_text(terminal_safe(text), encoding="utf-8")
    return path


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break a line into pieces no wider than `width` points; CJK text breaks anywhere."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if not text:
        return [""]
    lines: list[str] = []
    current = ""
    for ch in text:
        if stringWidth(current + ch, font, size) > width and current:
            lines.append(current)
            current = ch.lstrip() if ch.isspace() else ch
        else:
            current += ch
    lines.append(current)
    return lines


def notice_pdf(text: str, *, title: str | None = None) -> bytes:
    """A printable A4 PDF of the notice text: the first line as the centred title.

    The font (Noto Sans SC) is embedded as a subset, so the notice prints and renders the same
    on a machine without any Chinese font.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    register_pdf_font()
    text = terminal_safe(text)
    title = terminal_safe(title) if title is not None else None
    lines = text.rstrip("\n").split("\n")
    heading = title if title is not None else (lines.pop(0) if lines else "")
    buf = io.BytesIO()
    page_w, page_h = float(A4[0]), float(A4[1])
    margin = float(25 * mm)
    body_size, leading = 12.0, 20.0
    canvas = Canvas(buf, pagesize=A4, invariant=True)
    canvas.setTitle(heading or "补正告知书")
    canvas.setAuthor("zcreview")

    def new_page() -> float:
        canvas.setFont(CJK_FONT, body_size)
        canvas.setLineWidth(pdf_stroke(body_size))
        return page_h - margin

    y = page_h - margin
    if heading:
        canvas.setFont(CJK_FONT, 18)
        canvas.setLineWidth(pdf_stroke(18))
        canvas.drawCentredString(page_w / 2, y - 6, heading, mode=FILL_STROKE)
        y -= 40
    new_page()  # the body font, below the heading
    for raw in lines:
        for piece in _wrap(raw, CJK_FONT, body_size, page_w - 2 * margin):
            if y < margin:
                canvas.showPage()
                y = new_page()
            canvas.drawString(margin, y, piece, mode=FILL_STROKE)
            y -= leading
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def write_notice_pdf(text: str, path: Path) -> Path:
    path.write_bytes(notice_pdf(text))
    return path


# --- decision lists ---------------------------------------------------------------------------


def _when(moment: datetime | None) -> str:
    return f"{to_local(moment):%Y-%m-%d %H:%M}" if moment is not None else ""


def list_records(rows: Sequence[DecisionListRow], *, mask_ids: bool = True) -> list[list[str]]:
    """Rows of the 一览表 as text cells in `LIST_HEADERS` order.

    ID numbers are masked by default (the list circulates between offices); `mask_ids=False` is
    for the office's own filing.
    """
    return [
        [
            str(i),
            r.application_id,
            r.name,
            mask_id_number(r.id_number) if mask_ids else r.id_number,
            r.unit,
            str(r.year) if r.year else "",
            r.series,
            r.level,
            r.title,
            r.state,
            r.reviewer,
            _when(r.decided_at),
            r.return_reasons,
        ]
        for i, r in enumerate(rows, start=1)
    ]


def _guard_formula(cell: str) -> str:
    # Applicant text is data: a leading = + - @ would run as a formula in Excel. Control
    # characters go whatever the text's path here (XLSX cannot hold them, a terminal obeys them).
    cell = terminal_safe(cell)
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell


def write_list_csv(rows: Sequence[DecisionListRow], path: Path, *, mask_ids: bool = True) -> Path:
    """CSV in UTF-8 with a BOM, so Excel on Windows opens the Chinese correctly."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(LIST_HEADERS)
        for rec in list_records(rows, mask_ids=mask_ids):
            w.writerow([_guard_formula(c) for c in rec])
    return path


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def xlsx_cells(rows: Sequence[DecisionListRow], *, mask_ids: bool = True) -> list[list[object]]:
    """Rows of the 一览表 for a spreadsheet: 序号 and 年度 as numbers, the decision time as a
    date-time (Beijing, without zone: Excel has none), the rest as guarded text."""
    out: list[list[object]] = []
    for rec, row in zip(list_records(rows, mask_ids=mask_ids), rows, strict=True):
        cells: list[object] = [_guard_formula(c) for c in rec]
        cells[LIST_HEADERS.index("序号")] = int(rec[0])
        cells[LIST_HEADERS.index("年度")] = row.year or None
        decided = row.decided_at
        cells[LIST_HEADERS.index("决定时间")] = (
            to_local(decided).replace(tzinfo=None, second=0, microsecond=0) if decided else None
        )
        out.append(cells)
    return out


def write_list_xlsx(
    rows: Sequence[DecisionListRow],
    path: Path,
    *,
    mask_ids: bool = True,
    title: str = "审核结果一览表",
    caption: str = "",
) -> Path:
    """XLSX ready to file and print: a title row (with `caption`: office, selection, time),
    a bold shaded header, numbers and times as such, frozen rows, a filter, widths fitted to
    the text, and A4 landscape pages one column wide repeating the title and header."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    records = list_records(rows, mask_ids=mask_ids)
    last_col = get_column_letter(len(LIST_HEADERS))
    ws.append([f"{title}（{caption}）" if caption else title])
    ws.merge_cells(f"A1:{last_col}1")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 24
    ws.append(list(LIST_HEADERS))
    for typed in xlsx_cells(rows, mask_ids=mask_ids):
        ws.append(typed)
    thin = Side(style="thin", color="999999")
    for cell in ws[2]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="305496")
        cell.alignment = Alignment(horizontal="center", vertical="center")
        cell.border = Border(bottom=thin)
    when_col = get_column_letter(LIST_HEADERS.index("决定时间") + 1)
    for cell in ws[when_col][2:]:
        cell.number_format = "yyyy-mm-dd hh:mm"
    for col_idx, header in enumerate(LIST_HEADERS, start=1):
        cells = [header] + [rec[col_idx - 1] for rec in records]
        width = min(60, max(_display_width(c) for c in cells) + 2)
        ws.column_dimensions[get_column_letter(col_idx)].width = width
    for cell in ws[last_col][2:]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:{last_col}{len(records) + 2}"
    _print_setup(ws)
    wb.save(path)
    return path


def _print_setup(ws: Any) -> None:
    """A4 landscape, all columns on one page width, title and header on every page, page
    numbers in the footer."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:2"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def write_list(
    rows: Sequence[DecisionListRow], path: Path, *, mask_ids: bool = True, caption: str = ""
) -> Path:
    """CSV or XLSX by the file's suffix (the XLSX title row carries `caption`). Raises
    ValueError for any other suffix."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_list_csv(rows, path, mask_ids=mask_ids)
    if suffix == ".xlsx":
        return write_list_xlsx(rows, path, mask_ids=mask_ids, caption=caption)
    raise ValueError(f"不支持的导出格式“{path.suffix}”，请使用 .csv 或 .xlsx")
