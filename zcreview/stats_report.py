"""The office statistics as text (the 统计 screen and `zcreview stats`) and as XLSX.

Plain strings sized in terminal cells (CJK counts 2), so the screen and the command print the
same tables; a bar chart of decisions per day in block characters (ASCII in ASCII mode).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from rich.cells import cell_len

from zcreview.domain.text import terminal_safe
from zcreview.storage.stats import OfficeStats

SHORT_STATE: dict[str, str] = {
    "待审核": "待审",
    "审核中": "审中",
    "通过未上报": "通过",
    "已退回": "退回",
    "已补正": "补正",
    "已上报": "上报",
    "上级退回": "上退",
    "逾期放弃": "放弃",
    "审核结束": "结束",
}
"""Two-character column heads: nine states and a total fit in 80 columns."""

MAX_LISTED = 10
"""Returns listed by name under 补正期限 (the rest are counted)."""


@dataclass(frozen=True)
class Section:
    title: str
    lines: list[str]


def _pad(text: str, width: int, *, right: bool = False) -> str:
    text = terminal_safe(text)
    n = cell_len(text)
    if n > width:
        while text and cell_len(text) > width - 1:
            text = text[:-1]
        text += "~"
        n = cell_len(text)
    pad = " " * (width - n)
    return pad + text if right else text + pad


def _label_width(labels: list[str], width: int, used: int) -> int:
    longest = max((cell_len(terminal_safe(x)) for x in labels), default=4)
    return max(4, min(longest, width - used))


def _flow(head: str, parts: list[str], width: int) -> list[str]:
    """`head` then `parts` joined by "，", broken between parts to fit `width` cells."""
    lines: list[str] = []
    line = head
    for i, part in enumerate(parts):
        piece = part + ("，" if i < len(parts) - 1 else "")
        if cell_len(line + piece) > width and line.strip():
            lines.append(line)
            line = "  "
        line += piece
    lines.append(line)
    return lines


def count_table(
    groups: list[tuple[str, dict[str, dict[str, int]]]], states: list[str], width: int
) -> list[str]:
    """Rows of label | 合计 | one column per state, grouped under headings (年度, 级别 …)."""
    heads = [SHORT_STATE.get(s, s[:2]) for s in states]
    cols = [max(4, cell_len(h)) for h in heads]
    used = 1 + 5 + sum(c + 1 for c in cols)
    labels = [k for _, rows in groups for k in rows] + [g for g, _ in groups]
    lw = _label_width(["  " + x for x in labels], width, used)

    def row(label: str, total: str, cells: list[str]) -> str:
        parts = [_pad(label, lw), _pad(total, 5, right=True)]
        parts += [_pad(c, w, right=True) for c, w in zip(cells, cols, strict=True)]
        return " ".join(parts).rstrip()

    lines = [row("", "合计", heads)]
    for heading, rows in groups:
        if len(groups) > 1:
            lines.append(heading)
        for label, counts in rows.items():
            cells = [str(counts[s]) if counts.get(s) else "-" for s in states]
            lines.append(
                row(("  " if len(groups) > 1 else "") + label, str(sum(counts.values())), cells)
            )
    return lines


def bar_chart(stats: OfficeStats, width: int, *, ascii_mode: bool = False) -> list[str]:
    """Decisions per day: passes as full blocks, returns as shaded ones, then the numbers."""
    days = stats.decisions_per_day()
    top = max((p + r for _, p, r in days), default=0)
    full, shade = ("#", "=") if ascii_mode else ("█", "▒")
    room = max(10, width - 6 - 10)
    lines = []
    for day, passed, returned in days:
        scale = room / top if top > room else 1.0
        bar = full * round(passed * scale) + shade * round(returned * scale)
        if passed + returned and not bar:
            bar = full if passed else shade
        numbers = f"{passed}+{returned}" if passed + returned else ""
        lines.append(f"{day:%m-%d} {bar} {numbers}".rstrip())
    legend = f"{full} 通过  {shade} 退回" + ("" if top <= room else f"（按 {room}/{top} 缩放）")
    return [legend, *lines]


def sections(stats: OfficeStats, width: int = 80, *, ascii_mode: bool = False) -> list[Section]:
    """Everything the statistics show, in reading order, fitted to `width` cells."""
    states = stats.states()
    out: list[Section] = []
    total = stats.total
    parts = [f"{s} {n}" for s, n in stats.by_state().items()]
    out.append(
        Section("概况", _flow(f"共 {total} 份：", parts, width) if total else ["本单位还没有申报"])
    )
    if total:
        groups = [
            ("年度", {f"{k}年度": v for k, v in stats.by("year").items()}),
            ("申报级别", stats.by("level")),
            ("职称系列", stats.by("series")),
        ]
        out.append(Section("按年度、级别、系列和状态", count_table(groups, states, width)))
    offices = stats.offices()
    if offices:
        out.append(Section("按上报单位", count_table([("上报单位", offices)], states, width)))

    due = _flow(
        "",
        [
            f"{stats.due_days} 个工作日内（{stats.due_by:%m-%d} 及以前）到期 {len(stats.due_soon)} 份",
            f"已逾期 {len(stats.overdue)} 份",
        ],
        width,
    )
    for ret in (stats.overdue + stats.due_soon)[:MAX_LISTED]:
        late = "已逾期" if ret.deadline < stats.today else "到期"
        due.append(
            f"  {ret.deadline:%m-%d} {late}  {_pad(ret.name, 8)} {_pad(ret.state, 8)} "
            + _pad(ret.unit, max(4, width - 40)).rstrip()
        )
    more = len(stats.overdue) + len(stats.due_soon) - MAX_LISTED
    if more > 0:
        due.append(f"  另有 {more} 份（队列中按 d 查看）")
    out.append(Section("补正期限", due))

    days = f"{stats.since:%m-%d} 至 {stats.today:%m-%d}"
    reviewers: dict[str, list[int]] = {}
    for r in stats.reviewer_days:
        t = reviewers.setdefault(r.reviewer, [0, 0, 0])
        t[0], t[1], t[2] = t[0] + r.opened, t[1] + r.passed, t[2] + r.returned
    lines = []
    if reviewers:
        lw = _label_width(list(reviewers), width, 30)
        lines.append(f"{_pad('审核人', lw)}   打开   通过   退回")
        for name, (opened, passed, returned) in reviewers.items():
            lines.append(f"{_pad(name, lw)} {opened:>6} {passed:>6} {returned:>6}")
        lines.append("")
        lines.append(f"{_pad('日期', 6)} {_pad('审核人', lw)}   打开   通过   退回")
        for d in sorted(stats.reviewer_days, key=lambda x: (x.day, x.reviewer), reverse=True):
            lines.append(
                f"{d.day:%m-%d}  {_pad(d.reviewer, lw)} {d.opened:>6} {d.passed:>6} {d.returned:>6}"
            )
    else:
        lines.append("这段时间没有审核记录")
    out.append(Section(f"审核人每日工作量（{days}）", lines))
    out.append(Section(f"每日审核决定（{days}）", bar_chart(stats, width, ascii_mode=ascii_mode)))

    b = stats.batches
    batch = _flow(
        "",
        [
            f"已封装 {b.sealed} 批（其中待发送或发送中 {b.waiting} 批）",
            f"上级已确认 {b.acknowledged} 批",
            f"有拒收 {b.refused} 批（拒收申报 {b.refused_applications} 份）",
        ],
        width,
    )
    if b.received:
        batch.append(f"收到下级上报 {b.received} 批")
    out.append(Section("数据上报批次", batch))
    return out


def as_text(stats: OfficeStats, width: int = 100, *, ascii_mode: bool = False) -> str:
    parts = []
    for section in sections(stats, width, ascii_mode=ascii_mode):
        parts.append(f"【{section.title}】")
        parts += section.lines
        parts.append("")
    return "\n".join(parts)


# ----- XLSX -------------------------------------------------------------------------------


def _sheet(wb: Any, title: str, caption: str, header: list[str], rows: list[list[Any]]) -> None:
    """One sheet like the exports' 一览表: title row, shaded header, numbers as numbers,
    frozen rows, widths fitted, A4 print set-up repeating title and header."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from zcreview.exports import _display_width, _print_setup

    ws = wb.create_sheet(title[:31])
    last = get_column_letter(max(1, len(header)))
    ws.append([f"{title}（{caption}）" if caption else title])
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="305496")
        cell.alignment = Alignment(horizontal="center")
    for r in rows:
        ws.append(r)
    for i, head in enumerate(header, start=1):
        texts = [head] + [str(r[i - 1]) for r in rows if r[i - 1] is not None]
        ws.column_dimensions[get_column_letter(i)].width = min(
            50, max(_display_width(t) for t in texts) + 2
        )
    for cell in ws["A"][2:]:
        if hasattr(cell.value, "year"):
            cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A3"
    _print_setup(ws)


def stats_export_payload(stats: OfficeStats, path: Path) -> dict[str, Any]:
    """What the audit log records of a statistics workbook leaving the office database."""
    return {
        "what": "statistics",
        "file": path.name,
        "returns_listed": len(stats.overdue) + len(stats.due_soon),
        "due_working_days": stats.due_days,
    }


def _cell(value: object) -> str:
    """Applicant or office text for a cell: cleaned, and never taken as a formula."""
    from zcreview.exports import _guard_formula

    return _guard_formula(terminal_safe(value))


def write_xlsx(stats: OfficeStats, path: Path, *, caption: str = "") -> Path:
    """The statistics as a workbook, one sheet per table."""
    from openpyxl import Workbook

    wb = Workbook()
    default = wb.active
    if default is not None:
        wb.remove(default)
    states = stats.states()

    def count_rows(dimension: str, label: str, table: dict[str, dict[str, int]]) -> None:
        rows: list[list[Any]] = [
            [int(k) if dimension == "year" else _cell(k), sum(v.values())]
            + [v.get(s, 0) for s in states]
            for k, v in table.items()
        ]
        _sheet(wb, f"按{label}统计", caption, [label, "合计", *states], rows)

    count_rows("year", "年度", stats.by("year"))
    count_rows("level", "申报级别", stats.by("level"))
    count_rows("series", "职称系列", stats.by("series"))
    if stats.by_office:
        count_rows("office", "上报单位", stats.offices())
    _sheet(
        wb,
        "审核人每日工作量",
        caption,
        ["日期", "审核人", "打开", "通过", "退回"],
        [[r.day, _cell(r.reviewer), r.opened, r.passed, r.returned] for r in stats.reviewer_days],
    )
    _sheet(
        wb,
        "补正期限",
        caption,
        ["补正期限", "姓名", "单位", "状态", "情况"],
        [
            [
                r.deadline,
                _cell(r.name),
                _cell(r.unit),
                r.state,
                "已逾期" if r.deadline < stats.today else f"{stats.due_days}个工作日内到期",
            ]
            for r in stats.overdue + stats.due_soon
        ],
    )
    b = stats.batches
    _sheet(
        wb,
        "数据上报批次",
        caption,
        ["已封装", "待发送或发送中", "上级已确认", "有拒收", "拒收申报", "收到下级上报"],
        [[b.sealed, b.waiting, b.acknowledged, b.refused, b.refused_applications, b.received]],
    )
    wb.save(path)
    return path


def due_by(today: date, due_days: int, policy: object) -> date:
    """`today` plus `due_days` working days, by the office's holiday calendar."""
    from zcreview.domain.corrections import add_working_days

    return add_working_days(
        today,
        due_days,
        getattr(policy, "holidays", frozenset()),
        getattr(policy, "extra_workdays", frozenset()),
    )
