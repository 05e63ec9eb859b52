"""EVID-TITLE, EVID-APPOINT, EVID-ASSESS, EVID-CE: titles, appointments, assessments and
continuing education against their scans.

See `evidence_person` for what a result means before and after OCR has read a page.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import date

from zcreview.domain.checks.base import (
    EVIDENCE_REGISTRY,
    CheckContext,
    CheckResult,
    Reporter,
    check,
)
from zcreview.domain.checks.common import APPOINTMENT_FORM_WORDS, NONE_TITLE, has_kind
from zcreview.domain.checks.evidence_text import (
    LOW_CONFIDENCE,
    Document,
    norm,
    years_in,
)
from zcreview.domain.checks.evidence_verdict import (
    MISSING,
    OK,
    Verdict,
    compare_date,
    compare_text,
    read_documents,
    report,
    slot_value,
    summary,
)
from zcreview.domain.model import AttachmentRef

# --- title and appointment -------------------------------------------------------------------

_TITLE_LABELS = ("资格名称", "职称名称", "专业技术资格", "职称", "资格")
_SERIES_LABELS = ("系列", "职称系列", "资格系列")
_TITLE_DATE_LABELS = (
    "取得时间",
    "取得资格时间",
    "批准时间",
    "评审通过时间",
    "获得时间",
    "发证时间",
    "发证日期",
    "生效时间",
)


def _is_appointment_form(ref: AttachmentRef) -> bool:
    return has_kind((ref,), APPOINTMENT_FORM_WORDS)


@check(
    "EVID-TITLE",
    "职称（资格）证书与表单一致（名称、系列、时间）",
    "000 §5(1)(2)",
    registry=EVIDENCE_REGISTRY,
)
def evid_title(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    if not ctx.evidence or not ctx.app.titles:
        return
    t = ctx.app.titles[0]
    b = ctx.app.basic
    findings: list[CheckResult | None] = []
    checked = 0
    for path, ref, doc in read_documents(ctx, t.attachments, "titles[0].attachments"):
        if _is_appointment_form(ref):
            continue
        checked += 1
        dates: tuple[date | None, ...]
        if t.title.strip() == NONE_TITLE:
            what, value, dates = "职业资格", t.qualification or "", (t.qualification_on,)
            value_path, date_path = "titles[0].qualification", "titles[0].qualification_on"
        else:
            what, value, dates = "现职称", t.title, (t.obtained_on, t.passed_on)
            value_path, date_path = "titles[0].title", "titles[0].obtained_on"
        if value:
            findings.append(
                report(
                    r, compare_text(doc, value, _TITLE_LABELS), what, value, ref, value_path, path
                )
            )
        series = t.series or b.series
        if t.title.strip() != NONE_TITLE and not (
            doc.contains(series) or doc.contains(b.current_specialty)
        ):
            verdict = compare_text(doc, series, _SERIES_LABELS)
            findings.append(report(r, verdict, "职称系列", series, ref, "titles[0].series", path))
        wanted = [d for d in dates if d is not None]
        if wanted:
            first = wanted[0]
            findings.append(
                report(
                    r,
                    compare_date(doc, wanted, _TITLE_DATE_LABELS),
                    f"{what}取得时间",
                    f"{first.year}年{first.month}月",
                    ref,
                    date_path,
                    path,
                )
            )
    yield from summary(r, findings, checked, "名称、系列和时间")


@check(
    "EVID-APPOINT",
    "聘用审批表与表单一致（岗位、聘任时间）",
    "000 §5(1)",
    registry=EVIDENCE_REGISTRY,
)
def evid_appoint(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    if not ctx.evidence or not ctx.app.titles:
        return
    t = ctx.app.titles[0]
    refs = [*t.attachments]
    findings: list[CheckResult | None] = []
    checked = 0
    for path, ref, doc in read_documents(ctx, refs, "titles[0].attachments"):
        if not _is_appointment_form(ref):
            continue
        checked += 1
        if t.post:
            verdict = compare_text(
                doc,
                t.post,
                ("聘任岗位", "拟聘岗位", "聘用岗位", "岗位名称", "受聘岗位", "聘任职务"),
            )
            findings.append(report(r, verdict, "现聘职务", t.post, ref, "titles[0].post", path))
        if t.appointed_on:
            d = t.appointed_on
            verdict = compare_date(
                doc, (d,), ("聘任时间", "聘用时间", "聘期", "聘任期限", "起聘时间")
            )
            findings.append(
                report(
                    r,
                    verdict,
                    "聘任时间",
                    f"{d.year}年{d.month}月",
                    ref,
                    "titles[0].appointed_on",
                    path,
                )
            )
    yield from summary(r, findings, checked, "岗位和聘任时间")


# --- yearly assessments -------------------------------------------------------------------------

# Longest first, so 基本合格 is not read as 合格.
_GRADES = ("基本合格", "基本称职", "不合格", "不称职", "优秀", "合格", "称职")


def grades_in(text: str) -> list[str]:
    """The assessment grades a text names, each occurrence once, longest words first."""
    rest = norm(text)
    found: list[str] = []
    for g in _GRADES:
        while g in rest:
            found.append(g)
            rest = rest.replace(g, "|", 1)
    return found


def compare_grade(doc: Document, grade: str) -> Verdict:
    want = norm(grade)
    for slot, confidence in doc.slots(("考核等次", "考核结果", "等次", "考核意见", "考核等级")):
        named = grades_in(slot_value(slot))
        if len(named) == 1:
            if named[0] == want:
                return OK
            return Verdict("uncertain" if confidence < LOW_CONFIDENCE else "differs", named[0])
    anywhere = set(grades_in(doc.raw))
    if anywhere == {want}:
        return OK
    if len(anywhere) == 1:
        return Verdict("uncertain" if doc.low_confidence else "differs", anywhere.pop())
    return MISSING


def compare_year(doc: Document, year: int, *, yearly: bool) -> Verdict:
    years = years_in(doc.raw, yearly=yearly)
    if year in years:
        return OK
    if years:
        shown = "、".join(str(y) for y in sorted(set(years)))
        return Verdict("uncertain" if doc.low_confidence else "differs", f"{shown}年")
    return MISSING


@check(
    "EVID-ASSESS", "年度考核登记表与表单一致（年度、等次）", "000 §7", registry=EVIDENCE_REGISTRY
)
def evid_assess(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    if not ctx.evidence:
        return
    findings: list[CheckResult | None] = []
    checked = 0
    for i, a in enumerate(ctx.app.assessments):
        for path, ref, doc in read_documents(ctx, a.attachments, f"assessments[{i}].attachments"):
            checked += 1
            year = compare_year(doc, a.year, yearly=True)
            findings.append(
                report(r, year, "考核年度", f"{a.year}年", ref, f"assessments[{i}].year", path)
            )
            findings.append(
                report(
                    r,
                    compare_grade(doc, a.grade),
                    "考核等次",
                    a.grade,
                    ref,
                    f"assessments[{i}].grade",
                    path,
                )
            )
    yield from summary(r, findings, checked, "年度和等次")


# --- continuing education ----------------------------------------------------------------------

_HOURS = re.compile(r"(\d{1,3}(?:\.\d)?)\s*学时|学时\s*[:：]?\s*(\d{1,3}(?:\.\d)?)")


def _hours(text: str) -> list[float]:
    folded = unicodedata.normalize("NFKC", text)
    return [float(m.group(1) or m.group(2)) for m in _HOURS.finditer(folded)]


def compare_hours(doc: Document, year: int, public: float, professional: float) -> Verdict:
    """The hours of `year`: from its row in a table of years, else from a one-year proof."""
    year_rows = [
        row.text for row in doc.rows if str(year) in unicodedata.normalize("NFKC", row.text)
    ]
    numbers = [h for text in year_rows for h in _hours(text)]
    if not numbers and len(set(years_in(doc.raw))) <= 1:
        numbers = _hours(doc.raw)
    if not numbers:
        return MISSING
    if {public, professional} <= set(numbers) or public + professional in numbers:
        return OK
    shown = "、".join(f"{h:g}" for h in numbers[:3]) + "学时"
    return Verdict("uncertain" if doc.low_confidence else "differs", shown)


@check("EVID-CE", "继续教育证明与表单一致（年度、学时）", "000 §9", registry=EVIDENCE_REGISTRY)
def evid_ce(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    if not ctx.evidence:
        return
    findings: list[CheckResult | None] = []
    checked = 0
    for i, c in enumerate(ctx.app.continuing_education):
        for path, ref, doc in read_documents(
            ctx, c.attachments, f"continuing_education[{i}].attachments"
        ):
            checked += 1
            y = c.start.year
            year = compare_year(doc, y, yearly=False)
            found = report(
                r, year, "继续教育年度", f"{y}年", ref, f"continuing_education[{i}].start", path
            )
            if found:
                findings.append(found)
                continue  # hours of a year the proof does not show cannot be compared
            pub, pro = c.public_hours, c.professional_hours
            findings.append(
                report(
                    r,
                    compare_hours(doc, y, pub, pro),
                    f"{y}年学时",
                    f"公需{pub:g}、专业{pro:g}学时",
                    ref,
                    f"continuing_education[{i}].public_hours",
                    path,
                )
            )
    yield from summary(r, findings, checked, "年度和学时")
