"""EVID-NAME, EVID-EDU: the form against what its scanned attachments say, once their pages are read.

Each check looks only at attachments whose pages are in `ctx.evidence`. An attachment not read
yet gives no result at all (never a ✓ for a page nobody has read), so the check appears, and the
queue's counts change, when OCR has read the pages. On a read page a value is ✓ when it occurs
(OCR noise tolerated), ✗ only when the slot where the document states it (`毕业时间：…`) clearly
holds something else, and ⚠ when it cannot be found or the line was read with low confidence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence

from zcreview.domain.checks.base import (
    EVIDENCE_REGISTRY,
    CheckContext,
    CheckResult,
    Reporter,
    check,
)
from zcreview.domain.checks.evidence_text import (
    LOW_CONFIDENCE,
    Document,
    norm,
)
from zcreview.domain.checks.evidence_verdict import (
    MISSING,
    OK,
    Verdict,
    compare_date,
    compare_name,
    compare_text,
    read_documents,
    report,
    slot_value,
    summary,
)
from zcreview.domain.checks.validators import id_check_char
from zcreview.domain.model import AttachmentRef, EducationRecord

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
        for path, ref, doc in read_documents(ctx, refs, f"{base}.attachments"):
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
    findings: list[CheckResult | None] = []
    checked = 0
    for _base, path, ref, doc in _personal(ctx):
        checked += 1
        findings.append(
            report(
                r, compare_name(doc, b.name, _NAME_LABELS), "姓名", b.name, ref, "basic.name", path
            )
        )
        ids = _ids_on(doc)
        if not ids:
            continue
        own = b.id_number.upper()
        if any(_same_id(own, full, suffix) for full, suffix in ids):
            continue
        full, suffix = ids[0]
        seen = full if not suffix else f"{full}****{suffix}"
        verdict = Verdict("uncertain" if doc.low_confidence else "differs", seen)
        findings.append(report(r, verdict, "身份证号", b.id_number, ref, "basic.id_number", path))
    yield from summary(r, findings, checked, "姓名、身份证号")


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
        seen = slot_value(slot)
        if any(w in seen for w in _LEVEL_WORDS):
            return Verdict("uncertain" if confidence < LOW_CONFIDENCE else "differs", seen)
    return MISSING


def _education_findings(
    r: Reporter, rec: EducationRecord, base: str, path: str, ref: AttachmentRef, doc: Document
) -> Iterator[CheckResult | None]:
    yield report(
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
    yield report(
        r,
        compare_text(doc, rec.major, ("专业", "所学专业", "专业名称")),
        "专业",
        rec.major,
        ref,
        f"{base}.major",
        path,
    )
    yield report(
        r, compare_level(doc, rec.education), "学历", rec.education, ref, f"{base}.education", path
    )
    if rec.degree:
        yield report(
            r,
            compare_text(doc, rec.degree, ("学位", "授予学位", "学位名称")),
            "学位",
            rec.degree,
            ref,
            f"{base}.degree",
            path,
        )
    d = rec.graduated_on
    yield report(
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
    findings: list[CheckResult | None] = []
    checked = 0
    for base, rec in records:
        for path, ref, doc in read_documents(ctx, rec.attachments, f"{base}.attachments"):
            checked += 1
            findings += [f for f in _education_findings(r, rec, base, path, ref, doc) if f]
    yield from summary(r, findings, checked, "院校、专业、学历和毕业时间")
