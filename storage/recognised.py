"""Recognised page text kept once per (blob SHA-256, page, engine version): schema v15 and its functions.

A page is read (OCR or text layer) once and kept, so it is never read again and the results
survive restarts. A page that could not be read keeps its Chinese message instead, so a bad file
is not retried at every start. `engine` is the recogniser's version at the time of reading: a
new model version reads the pages again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from zcreview.domain.model import Application, iter_attachments
from zcreview.domain.recognised import Evidence, PageText, Source, TextLine
from zcreview.storage.migrations import Migration, create_tables, register
from zcreview.storage.tables import ApplicationRow, AttachmentRow, RevisionRow, utcnow

TEXT_LAYER_ENGINE = "pdf-text-layer"


class RecognisedPageRow(SQLModel, table=True):
    """One page's recognised lines (JSON: `[[text, confidence, [x0, y0, x1, y1]], …]`)."""

    __tablename__ = "recognised_page"
    __table_args__ = (UniqueConstraint("sha256", "page", "engine"),)
    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(index=True, max_length=64)
    page: int
    engine: str = Field(max_length=80)
    page_count: int
    source: str = Field(default="ocr", max_length=16)  # ocr / text-layer / error
    lines: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    error: str = ""
    created_at: datetime = Field(default_factory=utcnow)


register(
    Migration(15, "recognised page text (OCR and text layers)", create_tables(RecognisedPageRow))
)


@dataclass(frozen=True, slots=True)
class RecognisedDoc:
    """What is stored for one attachment under one engine version."""

    sha256: str
    page_count: int
    pages: dict[int, PageText]
    errors: dict[int, str]

    @property
    def complete(self) -> bool:
        return len(self.pages) + len(self.errors) >= self.page_count

    def page(self, index: int) -> PageText | None:
        return self.pages.get(index)

    def ordered(self) -> list[PageText]:
        return [self.pages[i] for i in sorted(self.pages)]


def _encode(lines: Sequence[TextLine]) -> str:
    return json.dumps(
        [[line.text, round(line.confidence, 4), [round(v, 4) for v in line.box]] for line in lines],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _decode(raw: str) -> tuple[TextLine, ...]:
    out: list[TextLine] = []
    for item in json.loads(raw or "[]"):
        text, confidence, box = item
        x0, y0, x1, y1 = (float(v) for v in box)
        out.append(TextLine(str(text), float(confidence), (x0, y0, x1, y1)))
    return tuple(out)


def _page_of(row: RecognisedPageRow) -> PageText:
    source: Source = "text-layer" if row.source == "text-layer" else "ocr"
    engine = TEXT_LAYER_ENGINE if source == "text-layer" else row.engine
    return PageText(row.sha256, row.page, engine, source, _decode(row.lines))


def _insert(row: RecognisedPageRow, session: Session) -> bool:
    """Add the row unless the page is already stored (another process may have read it)."""
    exists = session.exec(
        select(RecognisedPageRow.id).where(
            col(RecognisedPageRow.sha256) == row.sha256,
            col(RecognisedPageRow.page) == row.page,
            col(RecognisedPageRow.engine) == row.engine,
        )
    ).first()
    if exists is not None:
        return False
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def save_page(page: PageText, *, engine: str, page_count: int, session: Session) -> bool:
    """Keep one page's text under `engine` (the recogniser version asked, even when the page
    came from its text layer); False when it was already stored. Commits."""
    row = RecognisedPageRow(
        sha256=page.sha256,
        page=page.page,
        engine=engine,
        page_count=page_count,
        source=page.source,
        lines=_encode(page.lines),
    )
    return _insert(row, session)


def save_failure(
    sha256: str, page: int, *, engine: str, page_count: int, message: str, session: Session
) -> bool:
    """Keep why a page (or, with page 0 and page_count 1, a whole file) could not be read."""
    row = RecognisedPageRow(
        sha256=sha256,
        page=page,
        engine=engine,
        page_count=max(1, page_count),
        source="error",
        error=message[:500],
    )
    return _insert(row, session)


def _rows(shas: Iterable[str], engine: str, session: Session) -> list[RecognisedPageRow]:
    wanted = sorted(set(shas))
    rows: list[RecognisedPageRow] = []
    for start in range(0, len(wanted), 500):  # bounded IN lists
        chunk = wanted[start : start + 500]
        rows += session.exec(
            select(RecognisedPageRow).where(
                col(RecognisedPageRow.sha256).in_(chunk), col(RecognisedPageRow.engine) == engine
            )
        ).all()
    return rows


def load_docs(shas: Iterable[str], *, engine: str, session: Session) -> dict[str, RecognisedDoc]:
    """What is stored for these attachments; an attachment with nothing stored is absent."""
    docs: dict[str, RecognisedDoc] = {}
    for row in sorted(_rows(shas, engine, session), key=lambda r: (r.sha256, r.page)):
        doc = docs.get(row.sha256)
        if doc is None:
            doc = docs[row.sha256] = RecognisedDoc(row.sha256, row.page_count, {}, {})
        if row.source == "error":
            doc.errors[row.page] = row.error
        else:
            doc.pages[row.page] = _page_of(row)
    return docs


def load_doc(sha256: str, *, engine: str, session: Session) -> RecognisedDoc | None:
    return load_docs([sha256], engine=engine, session=session).get(sha256)


def stored_pages(sha256: str, *, engine: str, session: Session) -> set[int]:
    """Pages of one attachment already read (or failed) under `engine`."""
    rows = session.exec(
        select(RecognisedPageRow.page).where(
            col(RecognisedPageRow.sha256) == sha256, col(RecognisedPageRow.engine) == engine
        )
    ).all()
    return set(rows)


def evidence_for(shas: Iterable[str], *, engine: str, session: Session) -> Evidence:
    """Recognised pages by attachment, in page order (the evidence checks read this).

    Only attachments whose every page has been read: a value on a page not read yet must not
    look "not found", so a half-read attachment gives no evidence result until it is whole.
    """
    return {
        sha: doc.ordered()
        for sha, doc in load_docs(shas, engine=engine, session=session).items()
        if doc.pages and doc.complete
    }


def application_evidence(app: Application, *, session: Session) -> Evidence:
    """The evidence of every attachment of `app`, read by the current OCR engine."""
    from zcreview.preview.ocr import engine_version

    shas = {ref.sha256 for _, ref in iter_attachments(app) if ref.sha256}
    return evidence_for(shas, engine=engine_version(), session=session) if shas else {}


def applications_with_blob(sha256: str, *, session: Session) -> list[str]:
    """Applications whose current revision has the attachment `sha256`."""
    rows = session.exec(
        select(ApplicationRow.id)
        .join(RevisionRow, col(RevisionRow.revision) == col(ApplicationRow.head_revision))
        .join(AttachmentRow, col(AttachmentRow.revision_id) == col(RevisionRow.id))
        .where(
            col(AttachmentRow.sha256) == sha256,
            col(RevisionRow.application_id) == col(ApplicationRow.id),
        )
    ).all()
    return sorted(set(rows))


def attachment_names(*, session: Session) -> list[tuple[str, str]]:
    """Every attachment blob known to the office once, `(sha256, name)`, newest revision first."""
    rows: Any = session.exec(
        select(AttachmentRow.sha256, AttachmentRow.name).order_by(col(AttachmentRow.id).desc())
    ).all()
    seen: dict[str, str] = {}
    for sha, name in rows:
        seen.setdefault(sha, name)
    return list(seen.items())
