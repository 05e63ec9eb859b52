"""Renderables for each section of an application (shared by the detail and review screens).

Every value is applicant data: it becomes `rich.text.Text` after `clean`, never markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel
from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from zcreview.domain.model import (
    Achievement,
    AdminPost,
    Application,
    Assessment,
    AttachmentRef,
    ContinuingEducation,
    TitleRecord,
    WorkRecord,
    field_label,
)
from zcreview.screens.kinsoku import CjkText
from zcreview.screens.text import clean, clean_block, human_size

LABEL_OVERRIDES: dict[str, str] = {
    "application_kind": "申报类别",
    "category": "类别",
    "end": "结束",
    "issn": "ISSN",
    "cn": "CN",
    "isbn": "ISBN",
    "work": "工作内容",
    "professional": "专业技术工作",
}
"""Labels where the first word of the field description is not a good heading."""

TABLE_MAX_COLUMNS = 6
"""Row types with more fields than this are shown as one label/value block per row."""

_MIME_SHORT = {
    "application/pdf": "PDF",
    "image/jpeg": "JPG",
    "image/png": "PNG",
    "image/gif": "GIF",
}


@dataclass(frozen=True)
class SectionStyle:
    """How sections draw: ASCII boxes in ASCII mode; Rich style names for labels."""

    ascii_mode: bool = False
    label: str = "bold"
    muted: str = "dim"

    @property
    def box(self) -> box.Box:
        return box.ASCII if self.ascii_mode else box.SIMPLE_HEAD

    @property
    def empty(self) -> str:
        return "-"


def label_of(model: type[BaseModel], name: str) -> str:
    return LABEL_OVERRIDES.get(name) or field_label(model, name)


def value_text(value: Any) -> Text:
    """A field value as plain Text: booleans 是/否, dates ISO, None a dash."""
    if value is None or value == "":
        return Text("-", style="dim")
    if isinstance(value, bool):
        return Text("是" if value else "否")
    if isinstance(value, date):
        return Text(value.isoformat())
    if isinstance(value, float) and value.is_integer():
        return Text(str(int(value)))
    return CjkText(clean(value))


def _fields(model: type[BaseModel]) -> list[str]:
    """Displayable fields: attachment lists are shown in their own table."""
    return [
        name
        for name, info in model.model_fields.items()
        if not name.endswith("attachments") and name not in ("format", "format_version")
    ]


class KeyValues:
    """Label/value pairs of one record: two pairs a line when there is room, else one."""

    def __init__(self, record: BaseModel, style: SectionStyle, wide_at: int = 100) -> None:
        self.record = record
        self.style = style
        self.wide_at = wide_at

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield key_values(
            self.record, self.style, columns=2 if options.max_width >= self.wide_at else 1
        )


def key_values(record: BaseModel, style: SectionStyle, *, columns: int = 2) -> Table:
    """Label/value pairs of one record, `columns` pairs per line; long values wrap."""
    grid = Table.grid(padding=(0, 2, 0, 0))
    for _ in range(columns):
        grid.add_column(style=style.label, no_wrap=True, overflow="crop")
        # fold, not ellipsis: a reviewer must see the whole value (and … is ambiguous-width)
        grid.add_column(ratio=1, overflow="fold")
    cells: list[Text] = []
    for name in _fields(type(record)):
        cells.append(Text(label_of(type(record), name)))
        cells.append(value_text(getattr(record, name)))
    width = columns * 2
    for i in range(0, len(cells), width):
        row = cells[i : i + width]
        row += [Text("")] * (width - len(row))
        grid.add_row(*row)
    return grid


def rows_table(rows: Sequence[BaseModel], model: type[BaseModel], style: SectionStyle) -> Table:
    """Rows of a repeated section as a small table (numbered)."""
    names = _fields(model)
    table = Table(box=style.box, show_edge=False, pad_edge=False, expand=False)
    table.add_column("#", justify="right", style=style.muted)
    for name in names:
        table.add_column(Text(label_of(model, name)), overflow="fold")
    for i, row in enumerate(rows, 1):
        table.add_row(Text(str(i)), *(value_text(getattr(row, n)) for n in names))
    return table


def attachments_table(
    items: Iterable[tuple[str, AttachmentRef]], style: SectionStyle
) -> Table | None:
    """Attachments as (item, 名称, 类型, 大小, SHA-256 prefix); None when there are none."""
    table = Table(box=style.box, show_edge=False, pad_edge=False, title_justify="left")
    for heading in ("条目", "附件名称", "类型", "大小", "SHA-256"):
        table.add_column(Text(heading), overflow="fold")
    n = 0
    for item, ref in items:
        n += 1
        kind = _MIME_SHORT.get(ref.mime or "", clean(ref.mime or "?"))
        table.add_row(
            Text(item),
            Text(clean(ref.name)),
            Text(kind),
            Text(human_size(ref.size)),
            Text((ref.sha256 or "")[:12] or "-", style=style.muted),
        )
    if not n:
        return None
    table.title = Text(f"附件 {n} 个", style=style.muted)
    return table


def _row_attachments(rows: Sequence[Any], label: str = "第{}条") -> list[tuple[str, AttachmentRef]]:
    return [(label.format(i), a) for i, row in enumerate(rows, 1) for a in row.attachments]


def _blocks(rows: Sequence[BaseModel], style: SectionStyle) -> list[RenderableType]:
    out: list[RenderableType] = []
    for i, row in enumerate(rows, 1):
        out.append(Text(f"第 {i} 条", style=style.muted))
        out.append(KeyValues(row, style))
    return out


def _repeated(
    rows: Sequence[BaseModel], model: type[BaseModel], style: SectionStyle
) -> list[RenderableType]:
    if not rows:
        return [Text("（无）", style=style.muted)]
    if len(_fields(model)) > TABLE_MAX_COLUMNS:
        parts = _blocks(rows, style)
    else:
        parts = [rows_table(rows, model, style)]
    table = attachments_table(_row_attachments(rows), style)
    if table is not None:
        parts.append(table)
    return parts


_ROW_MODELS: dict[str, type[BaseModel]] = {
    "titles": TitleRecord,
    "admin_posts": AdminPost,
    "assessments": Assessment,
    "continuing_education": ContinuingEducation,
    "work_history": WorkRecord,
    "achievements": Achievement,
}


def section_body(app: Application, key: str, style: SectionStyle) -> RenderableType:
    """The body of section `key` (an attribute named in `SECTIONS`)."""
    parts: list[RenderableType] = []
    if key == "basic":
        b = app.basic
        parts.append(KeyValues(b, style))
        atts: list[tuple[str, AttachmentRef]] = [("申报方式", a) for a in b.method_attachments] + [
            ("委托评审", a) for a in b.entrust_attachments
        ]
        if (table := attachments_table(atts, style)) is not None:
            parts.append(table)
    elif key == "education":
        atts = []
        for title, rec in (("全日制", app.education.full_time), ("评审依据", app.education.basis)):
            parts.append(Text(title, style=style.muted))
            if rec is None:
                parts.append(Text("（无）", style=style.muted))
                continue
            parts.append(KeyValues(rec, style))
            atts += [(title, a) for a in rec.attachments]
        if (table := attachments_table(atts, style)) is not None:
            parts.append(table)
    elif key in _ROW_MODELS:
        parts.extend(_repeated(getattr(app, key), _ROW_MODELS[key], style))
    elif key == "languages":
        lang = app.languages
        if lang is None:
            parts.append(Text("（未填写）", style=style.muted))
        else:
            parts.append(KeyValues(lang, style))
            if (table := attachments_table([("", a) for a in lang.attachments], style)) is not None:
                parts.append(table)
    elif key == "work_summary":
        text = clean_block(app.work_summary)
        parts.append(Text(f"共 {len(text)} 字", style=style.muted))
        parts.append(CjkText(text) if text else Text("（未填写）", style=style.muted))
    elif key == "societies":
        text = clean_block(app.societies)
        parts.append(CjkText(text) if text else Text("（无）", style=style.muted))
        items = [("", a) for a in app.societies_attachments]
        if (table := attachments_table(items, style)) is not None:
            parts.append(table)
    elif key == "other_attachments":
        items = [(clean(a.kind or "其他"), a) for a in app.other_attachments]
        table = attachments_table(items, style)
        parts.append(table if table is not None else Text("（无附件）", style=style.muted))
    else:
        raise KeyError(key)
    return Group(*parts)


def section_heading(number: int, title: str, style: SectionStyle) -> Text:
    return Text(f"{number}. {title}", style="bold underline" if not style.ascii_mode else "bold")
