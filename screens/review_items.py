"""The review screen's items: every field, row and attachment of an application with its checks.

Pure data (no Textual): the field list draws these, the cursor walks them, flags point at their
paths. Paths use the notation of `zcreview.domain.paths` so that flags, check results, correction
items and revision diffs all meet on the same strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

from zcreview.domain.checks import CheckResult, Severity
from zcreview.domain.corrections import CorrectionNotice, to_local
from zcreview.domain.diff import FieldChange, ResubmissionReport
from zcreview.domain.model import SECTIONS, Application, AttachmentRef
from zcreview.domain.paths import SEPARATOR, is_under, label_for_path
from zcreview.screens.text import clean, clean_block, human_size
from zcreview.screens.widgets.sections import _fields as shown_fields
from zcreview.screens.widgets.sections import label_of, value_text

ItemKind = Literal["heading", "field", "row", "attachment", "text", "change"]

MIME_SHORT = {
    "application/pdf": "PDF",
    "image/jpeg": "JPG",
    "image/png": "PNG",
    "image/gif": "GIF",
}

_RANK = {Severity.OK: 0, Severity.UNKNOWN: 1, Severity.WARN: 1, Severity.FAIL: 2}
GLYPHS = {0: "✓", 1: "⚠", 2: "✗"}
ASCII_GLYPHS = {0: "OK", 1: "!", 2: "X"}

_ROW_SECTIONS = (
    "titles",
    "admin_posts",
    "assessments",
    "continuing_education",
    "work_history",
    "achievements",
)


_FIELD_ATTACHMENTS = {
    "basic.method": ("basic.method_attachments",),
    "basic.exceptional": ("basic.method_attachments",),
    "basic.entrusted": ("basic.entrust_attachments",),
}
"""Fields of 基本信息 whose evidence is one of its named attachment lists."""


def parent_path(path: str) -> str:
    """The record a field belongs to: `education.basis.school` → `education.basis`."""
    cut = path.rfind(".")
    return path[:cut] if cut > 0 else ""


def rank(severity: Severity) -> int:
    """0 ✓, 1 ⚠ (warnings and undecidable), 2 ✗."""
    return _RANK[severity]


def glyph(level: int, ascii_mode: bool = False) -> str:
    return (ASCII_GLYPHS if ascii_mode else GLYPHS)[level]


@dataclass
class ReviewItem:
    """One line (or block) of the review: a section heading, field, row, attachment or change."""

    kind: ItemKind
    path: str
    label: str
    value: str = ""
    section: str = ""
    depth: int = 1
    attachment: AttachmentRef | None = None
    results: list[CheckResult] = field(default_factory=list)
    change: FieldChange | None = None
    note: str = ""
    """Extra text under the item (resubmission: the returned reason it answers)."""
    level_override: int | None = None
    worst_below: int | None = None
    """Worst level of the items inside this one (a table's rows under its heading)."""

    @property
    def mark(self) -> int | None:
        """The level its glyph shows: never ✓ above rows that carry ⚠ or ✗."""
        level = self.level
        if level is None or self.worst_below is None:
            return level
        return max(level, self.worst_below)

    @property
    def level(self) -> int | None:
        """Worst result (0 ✓, 1 ⚠, 2 ✗), or None when no check looked at this item."""
        if self.level_override is not None:
            return self.level_override
        if not self.results:
            return None
        return max(rank(r.severity) for r in self.results)

    @property
    def problems(self) -> list[CheckResult]:
        return [r for r in self.results if r.severity is not Severity.OK]

    def backing(self, items: Sequence[ReviewItem]) -> AttachmentRef | None:
        """The attachment to preview for this item: its own, else the first one under it."""
        if self.attachment is not None:
            return self.attachment
        if not self.path:
            return None
        for item in items:
            if item.attachment is not None and is_under(item.path, self.path):
                return item.attachment
        if self.kind != "field":
            return None
        # A field's evidence is a sibling, not a child: `education.basis.school` is backed by
        # `education.basis.attachments[…]`, `basic.exceptional` by `basic.method_attachments[…]`.
        lists = _FIELD_ATTACHMENTS.get(self.path) or (f"{parent_path(self.path)}.attachments",)
        for item in items:
            if item.attachment is not None and item.path.startswith(
                tuple(f"{name}[" for name in lists)
            ):
                return item.attachment
        # Else the scan a check on this field quotes (EVID-NAME on 身份证号: the 资格证书).
        quoted = {p for r in self.results for p in r.field_paths if p != self.path}
        for item in items:
            if item.attachment is not None and item.path in quoted:
                return item.attachment
        return None


def attachment_value(ref: AttachmentRef) -> str:
    kind = MIME_SHORT.get(ref.mime or "", clean(ref.mime or "?"))
    return f"{kind}  {human_size(ref.size)}"


def _plain(value: object) -> str:
    return value_text(value).plain


def row_summary(row: BaseModel) -> str:
    """A row's filled fields, `label value` pairs on one line (wraps on screen)."""
    parts = []
    for name in shown_fields(type(row)):
        value = getattr(row, name)
        if value is None or value == "" or value is False:
            continue
        parts.append(f"{label_of(type(row), name)} {_plain(value)}")
    return "  ".join(parts)


def _record_fields(record: BaseModel, prefix: str, section: str, depth: int) -> list[ReviewItem]:
    return [
        ReviewItem(
            "field",
            f"{prefix}.{name}",
            label_of(type(record), name),
            _plain(getattr(record, name)),
            section,
            depth,
        )
        for name in shown_fields(type(record))
    ]


def _attachments(
    refs: Iterable[AttachmentRef], prefix: str, section: str, depth: int
) -> list[ReviewItem]:
    return [
        ReviewItem(
            "attachment",
            f"{prefix}[{i}]",
            clean(ref.name) or "（未命名附件）",
            attachment_value(ref),
            section,
            depth,
            attachment=ref,
        )
        for i, ref in enumerate(refs)
    ]


def _section_items(app: Application, key: str, title: str, number: int) -> list[ReviewItem]:
    items = [ReviewItem("heading", key, f"{number}. {title}", section=key, depth=0)]
    if key == "basic":
        b = app.basic
        items += _record_fields(b, "basic", key, 1)
        items += _attachments(b.method_attachments, "basic.method_attachments", key, 1)
        items += _attachments(b.entrust_attachments, "basic.entrust_attachments", key, 1)
    elif key == "education":
        for sub, heading in (("full_time", "全日制"), ("basis", "评审依据")):
            rec = getattr(app.education, sub)
            path = f"education.{sub}"
            if rec is None:
                items.append(ReviewItem("row", path, heading, "（无）", key, 1))
                continue
            items.append(ReviewItem("row", path, heading, "", key, 1))
            items += _record_fields(rec, path, key, 2)
            items += _attachments(rec.attachments, f"{path}.attachments", key, 2)
    elif key in _ROW_SECTIONS:
        rows = getattr(app, key)
        if not rows:
            items.append(ReviewItem("text", key, "（无）", section=key))
        for i, row in enumerate(rows):
            path = f"{key}[{i}]"
            items.append(ReviewItem("row", path, f"第{i + 1}条", row_summary(row), key, 1))
            items += _attachments(row.attachments, f"{path}.attachments", key, 2)
    elif key == "languages":
        lang = app.languages
        if lang is None:
            items.append(ReviewItem("text", key, "（未填写）", section=key))
        else:
            items += _record_fields(lang, "languages", key, 1)
            items += _attachments(lang.attachments, "languages.attachments", key, 1)
    elif key == "work_summary":
        text = clean_block(app.work_summary)
        items.append(ReviewItem("field", key, f"共 {len(text)} 字", text or "（未填写）", key, 1))
    elif key == "societies":
        text = clean_block(app.societies)
        items.append(ReviewItem("field", key, "内容", text or "（无）", key, 1))
        items += _attachments(app.societies_attachments, "societies_attachments", key, 1)
    elif key == "other_attachments":
        if not app.other_attachments:
            items.append(ReviewItem("text", key, "（无附件）", section=key))
        items += _attachments(app.other_attachments, "other_attachments", key, 1)
    return items


def _owner(path: str, by_path: dict[str, int], paths: list[str]) -> int | None:
    """The item whose path is `path` or the deepest item containing it."""
    if path in by_path:
        return by_path[path]
    best: int | None = None
    best_len = -1
    for i, p in enumerate(paths):
        if p and len(p) > best_len and is_under(path, p):
            best, best_len = i, len(p)
    return best


def build_items(
    app: Application,
    results: Sequence[CheckResult],
    resubmission: ResubmissionReport | None = None,
    *,
    late: bool = False,
    ascii_mode: bool = False,
    above: CorrectionNotice | None = None,
    returned: CorrectionNotice | None = None,
) -> list[ReviewItem]:
    """Every item of `app` in platform order, each with the check results about it.

    A result about several paths is shown on each; one about no known path goes on the
    first item (整份申报). With `resubmission`, a 补正对照 block comes first: each returned item
    with the changes that answer it, the items left unanswered, and changes outside any
    returned item (✗ 未退回条目被修改). With `above` (the upper office's return), a 上级退回
    block comes first and the fields it names are marked ⚠ with its reason, so `]` finds them.
    With `returned` (this office's open return, while the applicant corrects), the same block
    lists what was asked for.
    """
    items: list[ReviewItem] = [ReviewItem("field", "", "整份申报", "", "", 0)]
    if above is not None:
        items += upper_return_items(above)
    if returned is not None:
        items += returned_items(returned)
    if resubmission is not None:
        items += resubmission_items(resubmission, late=late, ascii_mode=ascii_mode)
    for number, (key, title) in enumerate(SECTIONS, 1):
        items += _section_items(app, key, title, number)
    by_path: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.kind != "change":
            by_path.setdefault(item.path, i)
    paths = [item.path if item.kind != "change" else "" for item in items]
    for result in results:
        found = {_owner(p, by_path, paths) for p in result.field_paths}
        for owner in {o if o is not None else 0 for o in found} or {0}:
            items[owner].results.append(result)
    _mark_worst_below(items)
    marks = [("上级退回", above), ("已退回", returned)]
    for prefix, notice in marks:
        for corr in notice.items if notice is not None else ():
            at = _owner(corr.field_path, by_path, paths)
            target = items[at if at is not None else 0]
            target.level_override = max(target.level or 0, 1)
            mark = f"{prefix}：{clean(corr.text())}"
            target.note = f"{target.note}；{mark}" if target.note else mark
    return items


def _mark_worst_below(items: list[ReviewItem]) -> None:
    """Give each checked item the worst level of the items nested under its path."""
    open_items: list[ReviewItem] = []  # items whose path may still have items under it
    for item in items:
        if item.kind == "change" or (item.kind == "heading" and not item.path):
            continue
        open_items = [o for o in open_items if is_under(item.path, o.path)]
        level = item.level
        if level:
            for outer in open_items:
                if outer.path != item.path:
                    outer.worst_below = max(outer.worst_below or 0, level)
        if item.path:
            open_items.append(item)


def returned_items(notice: CorrectionNotice) -> list[ReviewItem]:
    """This office's return while it waits for the applicant: who, when, the deadline, items."""
    who = clean(notice.reviewer)
    heading = (
        f"已退回（{who} {to_local(notice.created):%Y-%m-%d} 退回，"
        f"补正期限 {notice.deadline:%Y-%m-%d}）：共 {len(notice.items)} 项"
    )
    return correction_items(notice, heading)


def upper_return_items(notice: CorrectionNotice) -> list[ReviewItem]:
    """The 上级退回 block: the upper office, its deadline, and each item with reason and note."""
    office = clean(notice.office_name)
    scope = f"{office}，" if office else ""
    heading = f"上级退回（{scope}期限 {notice.deadline:%Y-%m-%d}）：共 {len(notice.items)} 项"
    return correction_items(notice, heading)


def correction_items(notice: CorrectionNotice, heading: str) -> list[ReviewItem]:
    """A correction list as a block of items under `heading`, each with reason and note."""
    items = [ReviewItem("heading", "", heading, section="", depth=0)]
    for item in notice.items:
        items.append(
            ReviewItem(
                "change",
                item.field_path,
                clean(item.label or label_for_path(item.field_path)),
                clean(item.reason) or "请核实并更正",
                depth=1,
                note=f"说明：{clean(item.note)}" if item.note.strip() else "",
                level_override=1,
            )
        )
    return items


def resubmission_items(
    report: ResubmissionReport, *, late: bool = False, ascii_mode: bool = False
) -> list[ReviewItem]:
    """The 补正对照 block: what changed since the return, item by item."""
    arrow = "->" if ascii_mode else "→"  # → is ambiguous-width in CJK terminals
    items = [ReviewItem("heading", "", f"补正对照：{report.summary()}", section="", depth=0)]
    if late:
        items.append(ReviewItem("text", "", "补正晚于期限（逾期补正）", depth=1, level_override=2))
    for answered in report.answered:
        item = answered.item
        items.append(
            ReviewItem(
                "change",
                item.field_path,
                f"已补正 {clean(item.label or item.field_path)}",
                "",
                depth=1,
                note=f"退回原因：{clean(item.text())}",
                level_override=0,
            )
        )
        items += [_change_item(c, 2, 0, arrow) for c in answered.changes]
    for item in report.unanswered:
        items.append(
            ReviewItem(
                "change",
                item.field_path,
                f"未补正 {clean(item.label or item.field_path)}",
                "",
                depth=1,
                note=f"退回原因：{clean(item.text())}",
                level_override=1,
            )
        )
    for change in report.outside:
        items.append(_change_item(change, 1, 2, arrow, prefix=f"{report.OUTSIDE_FLAG}："))
    return items


_KIND_LABEL = {"changed": "修改", "added": "新增", "removed": "删除"}


def _change_item(
    change: FieldChange, depth: int, level: int, arrow: str, prefix: str = ""
) -> ReviewItem:
    old = clean(change.old) if change.old is not None else "（无）"
    new = clean(change.new) if change.new is not None else "（无）"
    return ReviewItem(
        "change",
        change.path,
        f"{prefix}{_KIND_LABEL.get(change.kind, change.kind)} {clean(change.label)}",
        f"{old} {arrow} {new}",
        depth=depth,
        change=change,
        level_override=level,
    )


def item_label(item: ReviewItem) -> str:
    """The label a flag or correction item carries: the path in words, and for an attachment
    its file name (the applicant recognises the file, not its position)."""
    if item.attachment is not None and "[" in item.path:
        parent = item.path[: item.path.rindex("[")]
        return f"{label_for_path(parent)}{SEPARATOR}{clean(item.attachment.name)}"
    return label_for_path(item.path) if item.path else "整份申报"


def problem_indexes(items: Sequence[ReviewItem]) -> list[int]:
    """Indexes of the items with a ⚠ or ✗ (what `]` and `[` jump between)."""
    return [i for i, item in enumerate(items) if (item.level or 0) > 0]
