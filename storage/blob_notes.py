"""Notes on attachment files found at intake (password-protected, damaged), shown in review."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, Text
from sqlmodel import Field, Session, SQLModel, col, select

from zcreview.domain.model import Application, iter_attachments
from zcreview.storage.migrations import Migration, create_tables, register
from zcreview.storage.tables import utcnow

if TYPE_CHECKING:
    from zcreview.domain.checks import CheckResult

NOTE_CHECK = "ATT-TYPE"
NOTE_SEED = "004 §6.2, 002 §三"


class BlobNote(SQLModel, table=True):
    """What intake found wrong with a file's bytes; keyed by content, so every revision
    naming the same scan carries the note."""

    __tablename__ = "blob_note"
    sha256: str = Field(primary_key=True, max_length=64)
    note: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


register(
    Migration(
        16,
        "notes on attachment files found at intake (encrypted, damaged)",
        create_tables(BlobNote),
    )
)


def record_blob_note(sha256: str, note: str, *, session: Session) -> None:
    """Remember `note` for the file `sha256` (the first note stays); the caller commits."""
    if session.get(BlobNote, sha256) is None:
        session.add(BlobNote(sha256=sha256, note=note))


def attachment_notes(app: Application, *, session: Session) -> list[CheckResult]:
    """A ⚠ ATT-TYPE result on every attachment of `app` whose file carries a note."""
    # Imported here: opening a store (which may register this migration) needs no checks.
    from zcreview.domain.checks import CheckResult, Severity

    refs = [(path, ref) for path, ref in iter_attachments(app) if ref.sha256]
    if not refs:
        return []
    shas = sorted({ref.sha256 for _, ref in refs if ref.sha256})
    notes = {
        row.sha256: row.note
        for row in session.exec(select(BlobNote).where(col(BlobNote.sha256).in_(shas))).all()
    }
    return [
        CheckResult(
            NOTE_CHECK, Severity.WARN, f"{ref.name}：{notes[ref.sha256]}", NOTE_SEED, (path,)
        )
        for path, ref in refs
        if ref.sha256 in notes
    ]
