"""Applications and their revisions: the one recording step (checks, counts), loading, reading."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from zcreview.domain.catalogue import Config
from zcreview.domain.checks.base import PeerInfo
from zcreview.domain.model import Application, iter_attachments
from zcreview.domain.recognised import Evidence
from zcreview.domain.workflow import State, after_revision
from zcreview.storage import transitions
from zcreview.storage.blob_notes import attachment_notes
from zcreview.storage.recognised import application_evidence
from zcreview.storage.tables import ApplicationRow, AttachmentRow, RevisionRow, utcnow

Outcome = Literal["new", "revision", "unchanged"]
BEIJING = ZoneInfo("Asia/Shanghai")
INTAKE_ACTOR = "导入"
"""The audit actor of revisions recorded by `zcreview import`."""


@dataclass(frozen=True)
class RecordResult:
    outcome: Outcome
    application_id: str
    revision: str
    number: int
    redelivered: bool = False
    """The same revision came back after a return and is in the queue again."""


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
    counts: tuple[int, int, int] | None = None,
    config: Config | None = None,
    received_on: date | None = None,
    actor: str = INTAKE_ACTOR,
    redelivery: bool = False,
) -> RecordResult:
    """The one recording step of a revision, for intake and every sync arrival.

    Idempotent on (application_id, revision). A new revision of an application that was
    returned moves it to 已补正, or to 逾期放弃 when it arrives after the correction deadline
    (002 §5(6)); `received_on` defaults to today in Beijing. `redelivery` is an arrival of the
    same revision again after a return (a lower office passed it unchanged and reported it
    again): it moves the application the same way. The queue's ✓/⚠/✗ counts are `counts` when
    given, else the checks run with `config` and the applicant's other applications, whose own
    counts are refreshed too (ELIG-EXCL and CHANGE-SERIES look across them). State and version
    change only through `storage.transitions`. The caller commits.
    Every attachment must already carry its sha256 (intake puts the bytes in the blob store).
    """
    app_id = str(app.application_id)
    rev = app.revision()
    existing = session.exec(
        select(RevisionRow).where(RevisionRow.application_id == app_id, RevisionRow.revision == rev)
    ).first()
    row = session.get(ApplicationRow, app_id, populate_existing=True)
    now = utcnow()
    if existing is not None and row is not None:
        again = redelivery and row.head_revision == rev
        moved = again and _arrive_again(row, actor, received_on, session=session, now=now)
        return RecordResult("unchanged", app_id, rev, existing.number, redelivered=moved)

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
            created_at=now,
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
    peers = peer_rows(app_id, app.basic.id_number, session=session)
    if counts is None:
        counts = stored_counts(app, config, [peer_info(p) for _, p in peers], session=session)
    n_ok, n_warn, n_fail = counts
    columns: dict[str, object] = {
        **queue_columns(app),
        "head_revision": rev,
        "revision_count": number,
        "n_ok": n_ok,
        "n_warn": n_warn,
        "n_fail": n_fail,
    }
    if row is None:
        transitions.create(
            {"id": app_id, **columns},
            initial_state,
            actor,
            session=session,
            now=now,
            payload={"source": source},
        )
        outcome: Outcome = "new"
    else:
        _revise(row, actor, columns, received_on, session=session, now=now, source=source)
        outcome = "revision"
    if config is not None and peers:
        refresh_counts([p for p, _ in peers], config, session=session)
    return RecordResult(outcome, app_id, rev, number)


def _late(row: ApplicationRow, received_on: date | None) -> bool:
    today = received_on or datetime.now(BEIJING).date()
    return row.state == State.RETURNED.value and row.deadline is not None and today > row.deadline


def _revise(
    row: ApplicationRow,
    actor: str,
    columns: dict[str, object],
    received_on: date | None,
    *,
    session: Session,
    now: datetime,
    source: str,
) -> None:
    """Point the application at its new head revision; retried when a decision got there first
    (the new material is recorded whatever the reviewer did meanwhile)."""
    for attempt in range(3):
        to = after_revision(State(row.state), late=_late(row, received_on))
        try:
            transitions.move(
                row,
                actor,
                "revision",
                to,
                session=session,
                now=now,
                values=columns,
                payload={"source": source, "number": columns["revision_count"]},
            )
            return
        except transitions.VersionConflict:
            if attempt == 2:
                raise
            fresh = session.get(ApplicationRow, row.id, populate_existing=True)
            assert fresh is not None
            row = fresh


def _arrive_again(
    row: ApplicationRow, actor: str, received_on: date | None, *, session: Session, now: datetime
) -> bool:
    """The same revision reported again after a return: back in the queue as 已补正.
    False when its state here needs no move (it was not returned)."""
    to = after_revision(State(row.state), late=_late(row, received_on))
    if to.value == row.state:
        return False
    transitions.move(
        row, actor, "revision", to, session=session, now=now, payload={"redelivery": True}
    )
    return True


# ---------------------------------------------------------------- check counts and peers


def peer_rows(
    app_id: str, id_number: str, *, session: Session
) -> list[tuple[ApplicationRow, Application]]:
    """The other applications of the same ID number, each with its head revision."""
    if not id_number:
        return []
    rows = session.exec(
        select(ApplicationRow).where(
            col(ApplicationRow.id_number) == id_number, col(ApplicationRow.id) != app_id
        )
    ).all()
    found: list[tuple[ApplicationRow, Application]] = []
    for row in rows:
        try:
            found.append((row, load_revision(row.id, session=session)))
        except (LookupError, ValueError):
            continue
    return found


def peer_info(app: Application) -> PeerInfo:
    b = app.basic
    return PeerInfo(b.application_kind, b.year, b.level, b.series)


def peers_of(app_id: str, id_number: str, *, session: Session) -> list[PeerInfo]:
    """Other applications of the same person (ELIG-EXCL, CHANGE-SERIES)."""
    return [peer_info(a) for _, a in peer_rows(app_id, id_number, session=session)]


def check_counts(
    app: Application,
    config: Config | None,
    peers: Sequence[PeerInfo] = (),
    evidence: Evidence | None = None,
) -> tuple[int, int, int]:
    """(ok, warn, fail) of every pre-check with the applicant's other applications and the
    recognised text of its attachments read so far; (0, 0, 0) without a configuration."""
    if config is None:
        return (0, 0, 0)
    # Imported here: the check registry is only needed once something is recorded.
    from zcreview.domain.checks import counts, run_all

    try:
        return counts(run_all(app, config, peers=peers, evidence=evidence or {}))
    except Exception:
        # A faulty check must not refuse a valid record; the review screen reruns them.
        return (0, 0, 0)


def stored_counts(
    app: Application, config: Config | None, peers: Sequence[PeerInfo], *, session: Session
) -> tuple[int, int, int]:
    """The queue's counts: the pre-checks with peers and the evidence read so far (EVID-…), plus
    a ⚠ on every attachment whose file intake found locked or damaged (`storage.blob_notes`), as
    the review screen shows them."""
    evidence = application_evidence(app, session=session) if config is not None else {}
    n_ok, n_warn, n_fail = check_counts(app, config, peers, evidence)
    if config is not None:
        n_warn += len(attachment_notes(app, session=session))
    return n_ok, n_warn, n_fail


def refresh_counts_of(app_ids: Sequence[str], config: Config, *, session: Session) -> None:
    """Recompute the stored counts of these applications (their evidence was read)."""
    rows = [r for r in (session.get(ApplicationRow, a) for a in app_ids) if r is not None]
    refresh_counts(rows, config, session=session)


def refresh_counts(rows: Sequence[ApplicationRow], config: Config, *, session: Session) -> None:
    """Recompute the stored counts of these applications (a peer of theirs arrived or changed).

    Counts are derived, not workflow: they change without a new version, so a reviewer's
    open decision does not conflict with a peer's arrival.
    """
    for row in rows:
        app = load_revision(row.id, session=session)
        n_ok, n_warn, n_fail = stored_counts(
            app, config, peers_of(row.id, row.id_number, session=session), session=session
        )
        session.execute(
            update(ApplicationRow)
            .where(col(ApplicationRow.id) == row.id)
            .values(n_ok=n_ok, n_warn=n_warn, n_fail=n_fail)
            .execution_options(synchronize_session=False)
        )


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
