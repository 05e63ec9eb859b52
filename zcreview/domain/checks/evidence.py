"""EVID-*: the form against what its scanned attachments say, once their pages are read.

Each check looks only at attachments whose pages are in `ctx.evidence`. An attachment not read
yet gives no result at all (never a ✓ for a page nobody has read), so the check appears, and the
queue's counts change, when OCR has read the pages. On a read page a value is ✓ when it occurs
(OCR noise tolerated), ✗ only when the slot where the document states it (`毕业时间：…`) clearly
holds something else, and ⚠ when it cannot be found or the line was read with low confidence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
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
    YearMonth,
    dates_in,
    edit_distance,
    norm,
    read_document,
    years_in,
)
from zcreview.domain.checks.validators import id_check_char
from zcreview.domain.model import AttachmentRef, EducationRecord

_MAX_QUOTE = 24


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_QUOTE else text[: _MAX_QUOTE - 1] + "…"


def _doc(ctx: CheckContext, ref: AttachmentRef) -> Document | None:
    """The read pages of one attachment, or None while they are not read."""
    sha = ref.sha256
    if not sha:
        return None
    pages = ctx.evidence.get(sha)
    if not pages:
        return None
    docs: dict[str, Document] = ctx.memo.setdefault("evidence", {})
    doc = docs.get(sha)
    if doc is None:
        doc = docs[sha] = read_document(pages)
    return doc


def _read(
    ctx: CheckContext, refs: Sequence[AttachmentRef], base: str
) -> Iterator[tuple[str, AttachmentRef, Document]]:
    for i, ref in enumerate(refs):
        doc = _doc(ctx, ref)
        if doc is not None:
            yield f"{base}[{i}]", ref, doc


# --- verdicts ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """How one form value fared on one document: ok, differs, uncertain or missing."""

    state: str
    seen: str = ""


OK = Verdict("ok")
MISSING = Verdict("missing")


def _slot_value(text: str) -> str:
    """The first cell of a slot's text (a row may go on with the next label and value)."""
    parts = text.split()
    return parts[0] if parts else ""


def compare_text(
    doc: Document, value: str, labels: Iterable[str], *, fuzzy: bool = True
) -> Verdict:
    """A text value (school, major, title …) against the document."""
    if doc.contains(value, fuzzy=fuzzy):
        return OK
    want = norm(value)
    for slot, confidence in doc.slots(labels):
        seen = _slot_value(slot)
        got = norm(seen)
        if not got:
            continue
        # A character or two misread (one in five) is OCR noise, not another value.
        if fuzzy and edit_distance(got, want, max(1, len(want) // 5)) <= max(1, len(want) // 5):
            return OK
        if confidence < LOW_CONFIDENCE:
            return Verdict("uncertain", seen)
        return Verdict("differs", seen)
    return MISSING


_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,5}$")


def compare_name(doc: Document, name: str, labels: Iterable[str]) -> Verdict:
    """A person's name: one edit tolerated on a three-character name read with low confidence."""
    if doc.contains(name):
        return OK
    target = norm(name)
    for slot, confidence in doc.slots(labels):
        seen = _slot_value(slot)
        if not _NAME.match(seen):
            continue
        low = confidence < LOW_CONFIDENCE
        if low and len(target) >= 3 and edit_distance(norm(seen), target, 1) <= 1:
            return OK
        return Verdict("uncertain" if low else "differs", seen)
    if doc.low_confidence and len(target) >= 3 and doc.contains(name, fuzzy=True):
        return OK
    return MISSING


def compare_date(doc: Document, wanted: Sequence[date], labels: Iterable[str]) -> Verdict:
    """A date (year and month) the form gives; any of `wanted` counts."""
    want = {YearMonth(d.year, d.month) for d in wanted}
    if want & set(dates_in(doc.raw)):
        return OK
    for slot, confidence in doc.slots(labels):
        found = dates_in(slot)
        if not found:
            continue
        state = "uncertain" if confidence < LOW_CONFIDENCE else "differs"
        return Verdict(state, str(found[0]))
    return MISSING


# --- messages ---------------------------------------------------------------------------------


def _report(
    r: Reporter,
    verdict: Verdict,
    what: str,
    value: str,
    ref: AttachmentRef,
    *paths: str,
) -> CheckResult | None:
    """The finding for one value, or None when it agrees."""
    if verdict.state == "ok":
        return None
    where = f"附件“{ref.name}”"
    if verdict.state == "differs":
        return r.fail(
            f"{what}：扫描件为“{_quote(verdict.seen)}”，表单为“{value}”（{where}）", *paths
        )
    if verdict.state == "uncertain":
        return r.warn(
            f"{what}：扫描件识别置信度低，读到“{_quote(verdict.seen)}”，表单为“{value}”，"
            f"请核对原件（{where}）",
            *paths,
        )
    return r.warn(f"{where}中未读到表单的{what}“{value}”，请核对原件", *paths)


def _summary(
    r: Reporter, findings: list[CheckResult], checked: int, what: str
) -> Iterator[CheckResult]:
    yield from findings
    if checked and not findings:
        yield r.ok(f"{checked}份已识别附件的{what}与表单一致")


# --- name and ID number ----------------------------------------------------------------------

_NAME_LABELS = ("姓名", "姓 名", "学生", "持证人", "申报人", "被考核人")
_ID_LABELS = ("身份证号", "公民身份号码", "身份证号码", "证件号码")
_ID_FULL = re.compile(r"(?<![0-9])([1-9]\d{16}[\dX])(?![0-9X])")
_ID_MASKED = re.compile(r"(?<![0-9])(\d{3,6})[*＊]{4,12}(\d{3}[\dX]|\d{4})(?![0-9])")


def _personal(ctx: CheckContext) -> Iterator[tuple[str, str, AttachmentRef, Document]]:
    """(field path, attachment path, ref, document) of the read documents about the applicant."""
    app = ctx.app
    edu = app.education
    groups: list[tuple[str, Sequence[AttachmentRef]]] = [("education.basis", edu.basis.attachments)]
    if edu.full_time is not None:
        groups.append(("education.full_time", edu.full_time.attachments))
    if app.titles:
        groups.append(("titles[0]", app.titles[0].attachments))
    groups += [(f"assessments[{i}]", a.attachments) for i, a in enumerate(app.assessments)]
    groups += [
        (f"continuing_education[{i}]", c.attachments)
        for i, c in enumerate(app.continuing_education)
    ]
    seen: set[str] = set()
    for base, refs in groups:
        for path, ref, doc in _read(ctx, refs, f"{base}.attachments"):
            key = ref.sha256 or path
            if key in seen:  # one printout attached to several rows: check it once
                continue
            seen.add(key)
            yield base, path, ref, doc


def _ids_on(doc: Document) -> list[tuple[str, str]]:
    """(full or prefix, suffix) of the ID numbers the document shows.

    A full number counts only when its check character is right: a digit misread by OCR almost
    always breaks it, and must not pass for someone else's number.
    """
    text = re.sub(r"\s", "", unicodedata.normalize("NFKC", doc.raw)).upper()
    found = [
        (m.group(1), "")
        for m in _ID_FULL.finditer(text)
        if id_check_char(m.group(1)[:17]) == m.group(1)[17]
    ]
    found += [(m.group(1), m.group(2)) for m in _ID_MASKED.finditer(text)]
    return found


def _same_id(own: str, full: str, suffix: str) -> bool:
    """Whether an ID number read on a document is the applicant's.

    A masked one (`370202********7485`) agrees when its last four are the applicant's and its
    visible head can be read out of the number's head in order: OCR merges a run of `*` and
    drops digits beside it (`302****7485`), while another person's number shows in its end.
    """
    if not suffix:
        return own == full
    if not own.endswith(suffix):
        return False
    head = iter(own[: len(own) - len(suffix)])
    return all(ch in head for ch in full)


@check("EVID-NAME", "附件中的姓名、身份证号与表单一致", "000 §4–14", registry=EVIDENCE_REGISTRY)
def evid_name(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    if not ctx.evidence:
        return
    b = ctx.app.basic
    findings: list[CheckResult] = []
    checked = 0
    for _base, path, ref, doc in _personal(ctx):
        checked += 1
        found = _report(
            r, compare_name(doc, b.name, _NAME_LABELS), "姓名", b.name, ref, "basic.name", path
        )
        if found:
            findings.append(found)
        ids = _ids_on(doc)
        if not ids:
            continue
        own = b.id_number.upper()
        if any(_same_id(own, full, suffix) for full, suffix in ids):
            continue
        full, suffix = ids[0]
        seen = full if not suffix else f"{full}****{suffix}"
        verdict = Verdict("uncertain" if doc.low_confidence else "differs", seen)
        found = _report(r, verdict, "身份证号", b.id_number, ref, "basic.id_number", path)
        if found:
            findings.append(found)
    yield from _summary(r, findings, checked, "姓名、身份证号")


# --- education ---------------------------------------------------------------------------------

_LEVEL_WORDS = ("博士", "硕士", "研究生", "本科", "专科", "大专", "中专", "高中")


def _level_tokens(education: str) -> tuple[str, ...]:
    if "党校" in education:
        return ("党校",)
    if "博士" in education:
        return ("博士",)
    if "硕士" in education or "研究生" in education:
        return ("硕士", "研究生")
    if "本科" in education:
        return ("本科",)
    if "中等专科" in education or "中专" in education:
        return ("中专", "中等专科")
    if "专科" in education or "大专" in education:
        return ("专科", "大专")
    return (education,)


def compare_level(doc: Document, education: str) -> Verdict:
    tokens = _level_tokens(education)
    if any(norm(t) in doc.joined for t in tokens):
        return OK
    for slot, confidence in doc.slots(("层次", "学历", "学历层次", "培养层次")):
        seen = _slot_value(slot)
        if any(w in seen for w in _LEVEL_WORDS):
            return Verdict("uncertain" if confidence < LOW_CONFIDENCE else "differs", seen)
    return MISSING


def _education_findings(
    r: Reporter, rec: EducationRecord, base: str, path: str, ref: AttachmentRef, doc: Document
) -> Iterator[CheckResult | None]:
    yield _report(
        r,
        compare_text(
            doc, rec.school, ("学校", "毕业院校", "院校", "校名", "学校名称", "学位授予单位")
        ),
        "毕业院校",
        rec.school,
        ref,
        f"{base}.school",
        path,
    )
    yield _report(
        r,
        compare_text(doc, rec.major, ("专业", "所学专业", "专业名称")),
        "专业",
        rec.major,
        ref,
        f"{base}.major",
        path,
    )
    yield _report(
        r, compare_level(doc, rec.education), "学历", rec.education, ref, f"{base}.education", path
    )
    if rec.degree:
        yield _report(
            r,
            compare_text(doc, rec.degree, ("学位", "授予学位", "学位名称")),
            "学位",
            rec.degree,
            ref,
            f"{base}.degree",
            path,
        )
    d = rec.graduated_on
    yield _report(
        r,
        compare_date(doc, (d,), ("毕业时间", "毕业日期", "毕业年月")),
        "毕业时间",
        f"{d.year}年{d.month}月",
        ref,
        f"{base}.graduated_on",
        path,
    )


@check(
    "EVID-EDU",
    "学历学位证书、备案表与表单一致（院校、专业、学历、毕业时间）",
    "000 §4(6)",
    registry=EVIDENCE_REGISTRY,
)
def evid_edu(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    if not ctx.evidence:
        return
    edu = ctx.app.education
    records = [("education.basis", edu.basis)]
    if edu.full_time is not None:
        records.append(("education.full_time", edu.full_time))
    findings: list[CheckResult] = []
    checked = 0
    for base, rec in records:
        for path, ref, doc in _read(ctx, rec.attachments, f"{base}.attachments"):
            checked += 1
            findings += [f for f in _education_findings(r, rec, base, path, ref, doc) if f]
    yield from _summary(r, findings, checked, "院校、专业、学历和毕业时间")


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
    findings: list[CheckResult] = []
    checked = 0
    for path, ref, doc in _read(ctx, t.attachments, "titles[0].attachments"):
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
            found = _report(
                r, compare_text(doc, value, _TITLE_LABELS), what, value, ref, value_path, path
            )
            if found:
                findings.append(found)
        series = t.series or b.series
        if t.title.strip() != NONE_TITLE and not (
            doc.contains(series) or doc.contains(b.current_specialty)
        ):
            verdict = compare_text(doc, series, _SERIES_LABELS)
            found = _report(r, verdict, "职称系列", series, ref, "titles[0].series", path)
            if found:
                findings.append(found)
        wanted = [d for d in dates if d is not None]
        if wanted:
            first = wanted[0]
            found = _report(
                r,
                compare_date(doc, wanted, _TITLE_DATE_LABELS),
                f"{what}取得时间",
                f"{first.year}年{first.month}月",
                ref,
                date_path,
                path,
            )
            if found:
                findings.append(found)
    yield from _summary(r, findings, checked, "名称、系列和时间")


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
    findings: list[CheckResult] = []
    checked = 0
    for path, ref, doc in _read(ctx, refs, "titles[0].attachments"):
        if not _is_appointment_form(ref):
            continue
        checked += 1
        if t.post:
            verdict = compare_text(
                doc,
                t.post,
                ("聘任岗位", "拟聘岗位", "聘用岗位", "岗位名称", "受聘岗位", "聘任职务"),
            )
            found = _report(r, verdict, "现聘职务", t.post, ref, "titles[0].post", path)
            if found:
                findings.append(found)
        if t.appointed_on:
            d = t.appointed_on
            verdict = compare_date(
                doc, (d,), ("聘任时间", "聘用时间", "聘期", "聘任期限", "起聘时间")
            )
            found = _report(
                r,
                verdict,
                "聘任时间",
                f"{d.year}年{d.month}月",
                ref,
                "titles[0].appointed_on",
                path,
            )
            if found:
                findings.append(found)
    yield from _summary(r, findings, checked, "岗位和聘任时间")


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
        named = grades_in(_slot_value(slot))
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
    findings: list[CheckResult] = []
    checked = 0
    for i, a in enumerate(ctx.app.assessments):
        for path, ref, doc in _read(ctx, a.attachments, f"assessments[{i}].attachments"):
            checked += 1
            year = compare_year(doc, a.year, yearly=True)
            found = _report(r, year, "考核年度", f"{a.year}年", ref, f"assessments[{i}].year", path)
            if found:
                findings.append(found)
            found = _report(
                r,
                compare_grade(doc, a.grade),
                "考核等次",
                a.grade,
                ref,
                f"assessments[{i}].grade",
                path,
            )
            if found:
                findings.append(found)
    yield from _summary(r, findings, checked, "年度和等次")


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
    findings: list[CheckResult] = []
    checked = 0
    for i, c in enumerate(ctx.app.continuing_education):
        for path, ref, doc in _read(ctx, c.attachments, f"continuing_education[{i}].attachments"):
            checked += 1
            y = c.start.year
            year = compare_year(doc, y, yearly=False)
            found = _report(
                r, year, "继续教育年度", f"{y}年", ref, f"continuing_education[{i}].start", path
            )
            if found:
                findings.append(found)
                continue  # hours of a year the proof does not show cannot be compared
            pub, pro = c.public_hours, c.professional_hours
            found = _report(
                r,
                compare_hours(doc, y, pub, pro),
                f"{y}年学时",
                f"公需{pub:g}、专业{pro:g}学时",
                ref,
                f"continuing_education[{i}].public_hours",
                path,
            )
            if found:
                findings.append(found)
    yield from _summary(r, findings, checked, "年度和学时")


# --- achievements ---------------------------------------------------------------------------------

_ISSN_ON = re.compile(r"ISSN\s*[:：]?\s*(\d{4})\s*[-－—]?\s*(\d{3}[\dX])")
_CN_ON = re.compile(r"CN\s*[:：]?\s*(\d{2})\s*[-－—]\s*(\d{4})")
_JOURNAL = re.compile(r"《([^》]+)》")


def achievement_title(name: str) -> str:
    """`论文：《题目》` → `题目`; `实用新型专利：一种…` → `一种…`."""
    body = name.split("：", 1)[-1].split(":", 1)[-1].strip()
    m = _JOURNAL.fullmatch(body)
    return m.group(1) if m else body.strip("《》")


def _code_verdict(pattern: re.Pattern[str], doc: Document, form: str) -> Verdict:
    text = unicodedata.normalize("NFKC", doc.raw).upper()
    shown = ["".join(m.groups()) for m in pattern.finditer(text)]
    if not shown:
        return OK  # the scan does not show one: nothing to compare
    want = norm(form)
    want = want.removeprefix("ISSN").removeprefix("CN")
    if any(want.startswith(s) for s in shown):
        return OK
    return Verdict("uncertain" if doc.low_confidence else "differs", shown[0])


@check(
    "EVID-ACH",
    "代表性成果佐证与表单一致（名称、刊物、刊号）",
    "000 §11",
    registry=EVIDENCE_REGISTRY,
)
def evid_ach(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    if not ctx.evidence:
        return
    findings: list[CheckResult] = []
    checked = 0
    for i, a in enumerate(ctx.app.achievements):
        for path, ref, doc in _read(ctx, a.attachments, f"achievements[{i}].attachments"):
            checked += 1
            title = achievement_title(a.name)
            labels = (
                "论文题目",
                "题目",
                "专利名称",
                "发明名称",
                "实用新型名称",
                "项目名称",
                "课题名称",
                "获奖项目",
                "标准名称",
            )
            results = [
                _report(
                    r,
                    compare_text(doc, title, labels),
                    "成果名称",
                    title,
                    ref,
                    f"achievements[{i}].name",
                    path,
                )
            ]
            if a.category == "论文/著作" and a.publisher:
                m = _JOURNAL.search(a.publisher)
                journal = m.group(1) if m else a.publisher
                results.append(
                    _report(
                        r,
                        compare_text(doc, journal, ("刊名", "期刊名称", "期刊", "刊物名称")),
                        "刊物",
                        journal,
                        ref,
                        f"achievements[{i}].publisher",
                        path,
                    )
                )
            if a.issn:
                results.append(
                    _report(
                        r,
                        _code_verdict(_ISSN_ON, doc, a.issn),
                        "ISSN",
                        a.issn,
                        ref,
                        f"achievements[{i}].issn",
                        path,
                    )
                )
            if a.cn:
                results.append(
                    _report(
                        r,
                        _code_verdict(_CN_ON, doc, a.cn),
                        "CN",
                        a.cn,
                        ref,
                        f"achievements[{i}].cn",
                        path,
                    )
                )
            findings += [f for f in results if f]
    yield from _summary(r, findings, checked, "名称、刊物和刊号")
