"""Walking a queue selection for review: which application is at a position, everything the
review screen shows of it (checks, flags, returns, a resubmission's changes), and what to read
ahead. Reads only; claims and decisions go through `ReviewDesk`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session

from zcreview.desk.drafts import Flag, flags_of
from zcreview.domain.catalogue import Config
from zcreview.domain.checks import CheckResult, PeerInfo, run_all
from zcreview.domain.corrections import CorrectionNotice, NoticeBasis
from zcreview.domain.model import Application
from zcreview.storage import queue as queue_db
from zcreview.storage.applications import get_row, load_revision, peers_of
from zcreview.storage.blob_notes import attachment_notes
from zcreview.storage.flags import list_flags
from zcreview.storage.notices import notice_basis
from zcreview.storage.queue import QueueFilter
from zcreview.storage.recognised import application_evidence
from zcreview.storage.review_reads import own_return, resubmission_context, upper_return
from zcreview.storage.review_results import ResubmissionContext
from zcreview.storage.store import Store


@dataclass(frozen=True)
class Position:
    """What is at a position of the selection; `app_id` None: past its end."""

    index: int
    total: int
    app_id: str | None
    holder: str | None = None
    lease_until: datetime | None = None
    """Who held it, until when, before this reviewer opened it (to say a claim was taken over)."""


@dataclass
class Opened:
    """One application at a position of the selection, read for review."""

    index: int
    total: int
    app_id: str = ""
    state: str = ""
    version: int = 0
    holder: str | None = None
    application: Application | None = None
    results: list[CheckResult] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    resubmission: ResubmissionContext | None = None
    above: CorrectionNotice | None = None
    """The upper office's correction list while the application is 上级退回 here."""
    returned: CorrectionNotice | None = None
    """This office's correction list while the application is 已退回 (or 逾期放弃)."""
    basis: NoticeBasis | None = None
    """What a return's notice is made of: the office, whom it goes to, whom to ask."""
    next_attachment: tuple[str, str] | None = None
    error: str | None = None
    peers: list[PeerInfo] = field(default_factory=list)
    """The applicant's other applications, for checks run again when evidence arrives."""
    file_notes: list[CheckResult] = field(default_factory=list)


def attachments_of(app: Application) -> list[tuple[str, str]]:
    """The application's attachments as (SHA-256, name), each document once."""
    docs: dict[str, str] = {}
    for _path, ref in app.all_attachments():
        if ref.sha256:
            docs.setdefault(ref.sha256, ref.name)
    return list(docs.items())


class ReviewWalk:
    """Reads for walking a selection; safe to use from worker threads (one session a call)."""

    def __init__(self, store: Store, config: Callable[[], Config], today: Callable[[], date]):
        self.store = store
        self.config = config
        self.today = today

    def locate(
        self,
        flt: QueueFilter,
        index: int,
        *,
        after: str | None = None,
        pinned: str | None = None,
    ) -> Position:
        """Position `index` of the selection, or the one after application `after` (its place,
        if it left the selection), or application `pinned` kept at `index` whatever the
        selection says (one just reopened, counted in while it is out of it)."""
        with self.store.session() as session:
            total = queue_db.count(flt, session=session)
            if after is not None:
                pos = queue_db.position_of(after, flt, session=session)
                index = pos + 1 if pos is not None else index
            if pinned is not None:
                app_id = pinned
                if queue_db.position_of(pinned, flt, session=session) is None:
                    total += 1  # back in the selection once released
            elif index >= total or index < 0:
                return Position(index, total, None)
            else:
                app_id = queue_db.page(flt, index, 1, session=session)[0].id
            row = get_row(app_id, session=session)
            if row is None:
                return Position(index, total, app_id)
            return Position(index, total, app_id, row.holder, row.lease_until)

    def read(self, position: Position, flt: QueueFilter, reviewer: str | None) -> Opened:
        """Everything the review screen shows of the application at `position`, checks run."""
        assert position.app_id is not None
        opened = Opened(position.index, position.total, position.app_id)
        config = self.config()
        with self.store.session() as session:
            head = get_row(opened.app_id, session=session)
            if head is None:
                opened.error = "这份申报已不存在"
                return opened
            opened.state, opened.version, opened.holder = head.state, head.version, head.holder
            try:
                app = load_revision(opened.app_id, session=session)
            except (LookupError, ValueError) as exc:
                opened.error = f"无法读取这份申报：{exc}"
                return opened
            opened.application = app
            opened.flags = flags_of(list_flags(opened.app_id, session=session))
            opened.resubmission = resubmission_context(opened.app_id, session=session)
            opened.above = upper_return(opened.app_id, session=session)
            opened.returned = own_return(opened.app_id, head.state, session=session)
            if reviewer:
                opened.basis = notice_basis(opened.app_id, reviewer, session=session, head=app)
            opened.peers = peers_of(opened.app_id, head.id_number, session=session)
            opened.next_attachment = self._first_attachment(
                session, flt, opened.index + 1, opened.total
            )
            opened.file_notes = attachment_notes(app, session=session)
            evidence = application_evidence(app, session=session)
        opened.results = (
            run_all(app, config, today=self.today(), peers=opened.peers, evidence=evidence)
            + opened.file_notes
        )
        return opened

    def recheck(self, opened: Opened) -> list[CheckResult]:
        """The checks again with the evidence read so far (the form itself has not changed)."""
        app = opened.application
        assert app is not None
        with self.store.session() as session:
            evidence = application_evidence(app, session=session)
        results = run_all(
            app, self.config(), today=self.today(), peers=opened.peers, evidence=evidence
        )
        return results + opened.file_notes

    def attachments_ahead(self, flt: QueueFilter, index: int, count: int) -> list[tuple[str, str]]:
        """The attachments of the `count` applications from position `index` on."""
        ahead: list[tuple[str, str]] = []
        with self.store.session() as session:
            for row in queue_db.page(flt, index, count, session=session):
                try:
                    ahead += attachments_of(load_revision(row.id, session=session))
                except (LookupError, ValueError):
                    continue
        return ahead

    @staticmethod
    def _first_attachment(
        session: Session, flt: QueueFilter, index: int, total: int
    ) -> tuple[str, str] | None:
        """The first attachment of the application at `index`, to draw ahead of need."""
        if index >= total:
            return None
        rows = queue_db.page(flt, index, 1, session=session)
        if not rows:
            return None
        try:
            app = load_revision(rows[0].id, session=session)
        except (LookupError, ValueError):
            return None
        for _path, ref in app.all_attachments():
            if ref.sha256:
                return ref.sha256, ref.name
        return None
