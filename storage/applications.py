"""Applications and their revisions: record an intake, load a revision, read the head."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlmodel import Session, col, select

from storage.tables import ApplicationRow, AttachmentRow, RevisionRow, utcnow
from zcreview.domain.model import Application, iter_attachments
from zcreview.domain.workflow import State

Outcome = Literal["new", "revision", "unchanged"]
BEIJING = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class RecordResult:
    outcome: Outcome
    application_id: str
    revision: str
    number: int


def queue_columns(app: Application) -> dict[str, object]:
    """The denormalised columns the queue lists, taken from one revision."""
    b = app.basic
    return {
        "year": b.year,
        "level": b.level,
        "series": b.series,
        "title": b.title,
        "name": b.name,
        "unit": b.applying_unit,
        "id_number": b.id_number,
        "submitted_on": b.submitted_on,
    }


def record_revision(
    app: Application,
    *,
    session: Session,
    source: str = "",
    package_digest: str = "",
    initial_state: State = State.PENDING,
    counts: tuple[int, int, int] = (0, 0, 0),
    received_on: date | None = None,
) -> RecordResult:
    """Store `app` as a revision; idempotent on (application_id, revision).

    A new revision of an application that was returned moves it to 已补正, or to 逾期放弃 when it
    arrives after the correction deadline (002 §5(6)); `received_on` defaults to today in Beijing.
    The caller commits.
    Every attachment must already carry its sha256 (intake puts the bytes in the blob store).
    """
    app_id = str(app.application_id)
    rev = app.revision()
    existing = session.exec(
        select(RevisionRow).where(RevisionRow.application_id == app_id, RevisionRow.revision == rev)
    ).first()
    row = session.get(ApplicationRow, app_id)
    if existing is not None and row is not None:
        return RecordResult("unchanged", app_id, rev, existing.number)

    number = (row.revision_count + 1) if row is not None else 1
    # Core inserts: building SQLModel objects costs ~1 ms per row, and intake writes dozens.
    result = session.execute(
        insert(RevisionRow.__table__).values(  # type: ignore[attr-defined]
            application_id=app_id,
            revision=rev,
            number=number,
            supersedes=row.head_revision if row is not None else None,
            body=app.canonical_json().decode(),
            source=source,
            package_digest=package_digest,
            created_at=utcnow(),
        )
    )
    revision_id = result.inserted_primary_key[0]  # type: ignore[attr-defined]
    attachment_rows = []
    for path, ref in iter_attachments(app):
        if ref.sha256 is None:
            raise ValueError(f"附件 {ref.file} 尚未入库")
        attachment_rows.append(
            {
                "revision_id": revision_id,
                "field_path": path,
                "name": ref.name,
                "sha256": ref.sha256,
                "size": ref.size or 0,
                "mime": ref.mime or "",
            }
        )
    if attachment_rows:
        session.execute(insert(AttachmentRow.__table__), attachment_rows)  # type: ignore[attr-defined]
    n_ok, n_warn, n_fail = counts
    if row is None:
        row = ApplicationRow(
            id=app_id,
            state=initial_state.value,
            head_revision=rev,
            revision_count=1,
            n_ok=n_ok,
            n_warn=n_warn,
            n_fail=n_fail,
            **queue_columns(app),  # type: ignore[arg-type]
        )
        session.add(row)
        return RecordResult("new", app_id, rev, 1)

    for key, value in queue_columns(app).items():
        setattr(row, key, value)
    row.head_revision = rev
    row.revision_count = number
    row.n_ok, row.n_warn, row.n_fail = n_ok, n_warn, n_fail
    if row.state in (State.RETURNED.value, State.RETURNED_FROM_ABOVE.value):
        today = received_on or datetime.now(BEIJING).date()
        late = (
            row.state == State.RETURNED.value and row.deadline is not None and today > row.deadline
        )
        row.state = State.ABANDONED.value if late else State.RESUBMITTED.value
    row.version += 1
    row.updated_at = utcnow()
    session.add(row)
    return RecordResult("revision", app_id, rev, number)


def known_package_digests(*, session: Session) -> dict[str, tuple[str, str]]:
    """package digest → (application_id, revision) for every recorded revision."""
    rows = session.exec(
        select(RevisionRow.package_digest, RevisionRow.application_id, RevisionRow.revision).where(
            RevisionRow.package_digest != ""
        )
    ).all()
    return {d: (a, r) for d, a, r in rows}


def get_row(app_id: str, *, session: Session) -> ApplicationRow | None:
    return session.get(ApplicationRow, app_id)


def load_revision(app_id: str, revision: str | None = None, *, session: Session) -> Application:
    """The application as of `revision` (default: the head). Raises LookupError if unknown."""
    if revision is None:
        row = session.get(ApplicationRow, app_id)
        if row is None:
            raise LookupError(f"没有这份申报: {app_id}")
        revision = row.head_revision
    rev = session.exec(
        select(RevisionRow).where(
            RevisionRow.application_id == app_id, RevisionRow.revision == revision
        )
    ).first()
    if rev is None:
        raise LookupError(f"没有这个版本: {app_id} {revision}")
    return Application.model_validate_json(rev.body)


def revisions(app_id: str, *, session: Session) -> list[RevisionRow]:
    return list(
        session.exec(
            select(RevisionRow)
            .where(RevisionRow.application_id == app_id)
            .order_by(col(RevisionRow.number))
        ).all()
    )


SHORT_ID = 8
"""Characters of the 申报编号 shown in lists and titles; the CLI accepts any unique prefix."""


def short_id(app_id: str) -> str:
    """The 申报编号 as shown on screen: its first characters, enough to tell them apart."""
    return app_id[:SHORT_ID]


def find_applications(ref: str, *, session: Session, limit: int = 20) -> list[ApplicationRow]:
    """Applications a reviewer's reference names: a 申报编号 (whole, or a prefix of at least
    4 characters, as lists show it) or a 身份证号 (a person may have several)."""
    ref = ref.strip()
    if not ref:
        return []
    row = session.get(ApplicationRow, ref)
    if row is not None:
        return [row]
    by_person = list(
        session.exec(
            select(ApplicationRow)
            .where(col(ApplicationRow.id_number) == ref.upper())
            .order_by(col(ApplicationRow.year).desc(), col(ApplicationRow.id))
            .limit(limit)
        ).all()
    )
    if by_person or len(ref) < 4:
        return by_person
    esc = ref.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return list(
        session.exec(
            select(ApplicationRow)
            .where(col(ApplicationRow.id).like(f"{esc}%", escape="\\"))
            .order_by(col(ApplicationRow.id))
            .limit(limit)
        ).all()
    )
