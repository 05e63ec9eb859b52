"""EVID-ACH: the representative achievements against their scans (title, date, journal codes).

See `evidence_person` for what a result means before and after OCR has read a page.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from zcreview.domain.checks.base import (
    EVIDENCE_REGISTRY,
    CheckContext,
    CheckResult,
    Reporter,
    check,
)
from zcreview.domain.checks.evidence_text import (
    Document,
    norm,
)
from zcreview.domain.checks.evidence_verdict import (
    OK,
    Verdict,
    compare_text,
    read_documents,
    report,
    summary,
)

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
    findings: list[CheckResult | None] = []
    checked = 0
    for i, a in enumerate(ctx.app.achievements):
        for path, ref, doc in read_documents(ctx, a.attachments, f"achievements[{i}].attachments"):
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
                report(
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
                    report(
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
                    report(
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
                    report(
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
    yield from summary(r, findings, checked, "名称、刊物和刊号")
