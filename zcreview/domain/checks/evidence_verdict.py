"""How a form value fares on a read document, and the finding that says so.

Shared by the EVID-* checks: which read pages belong to an attachment (`document_of`), the
verdict on one value (ok, differs, uncertain, missing) and the message a reviewer reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from zcreview.domain.checks.base import (
    CheckContext,
    CheckResult,
    Reporter,
)
from zcreview.domain.checks.evidence_text import (
    LOW_CONFIDENCE,
    Document,
    YearMonth,
    dates_in,
    edit_distance,
    norm,
    read_document,
)
from zcreview.domain.model import AttachmentRef

_MAX_QUOTE = 24


def quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_QUOTE else text[: _MAX_QUOTE - 1] + "…"


def document_of(ctx: CheckContext, ref: AttachmentRef) -> Document | None:
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


def read_documents(
    ctx: CheckContext, refs: Sequence[AttachmentRef], base: str
) -> Iterator[tuple[str, AttachmentRef, Document]]:
    for i, ref in enumerate(refs):
        doc = document_of(ctx, ref)
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


def slot_value(text: str) -> str:
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
        seen = slot_value(slot)
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
        seen = slot_value(slot)
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


def report(
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
            f"{what}：扫描件为“{quote(verdict.seen)}”，表单为“{value}”（{where}）", *paths
        )
    if verdict.state == "uncertain":
        return r.warn(
            f"{what}：扫描件识别置信度低，读到“{quote(verdict.seen)}”，表单为“{value}”，"
            f"请核对原件（{where}）",
            *paths,
        )
    return r.warn(f"{where}中未读到表单的{what}“{value}”，请核对原件", *paths)


def summary(
    r: Reporter, findings: list[CheckResult | None], checked: int, what: str
) -> Iterator[CheckResult]:
    """The findings (None for a value that agreed), or one ✓ when every checked value agreed."""
    found = [f for f in findings if f is not None]
    yield from found
    if checked and not found:
        yield r.ok(f"{checked}份已识别附件的{what}与表单一致")
