"""What the workstation asks of sync: one sync cycle, a batch drive, paths, and what to report.

Every method blocks (the screens call them from worker threads) and is safe to call from
several threads: outbox drives and whole cycles are serialised by one lock, so a batch is
never driven twice at once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from zcreview.domain.catalogue import Config
from zcreview.domain.workflow import State
from zcreview.protocol import OfficeInfo, PathInfo, Receipt
from zcreview.settings import Settings
from zcreview.storage.office import get_self
from zcreview.storage.store import Store
from zcreview.storage.sync_links import unfinished_batch_of
from zcreview.storage.sync_tables import InboxEntry, OutboxBatch, OutboxItem, ReturnSent, SyncPath
from zcreview.storage.tables import ApplicationRow, AttachmentRow, OfficeRow, RevisionRow, utcnow
from zcreview.sync import audithead, delivery, inbox, outbox, paths
from zcreview.sync.transport import Cancelled, Refused, SyncError, Transport

DEFAULT_INTERVAL = 120.0
"""Seconds between background cycles unless `[sync] interval` says otherwise."""
DEFAULT_GIVE_UP = 20.0
"""A cycle that cannot reach the hub for this long ends as 离线; the next one tries again."""

PATH_STATE_LABELS: dict[str, str] = {
    "pending": "待审核",
    "approved": "已通过",
    "rejected": "已退回",
}
REUSABLE = "往年已开通，可直接使用"

TransportFactory = Callable[[threading.Event, float | None], Transport]


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class CycleReport:
    """What one sync cycle did; `offline` when the hub could not be reached."""

    finished_at: datetime
    offline: bool = False
    error: str = ""
    receipts: list[Receipt] = field(default_factory=list)
    refused_batches: list[str] = field(default_factory=list)
    returns_sent: int = 0
    received: int = 0
    returns_received: int = 0
    bundle_errors: list[str] = field(default_factory=list)
    """Bundles from below that could not be imported (file and reason)."""

    @property
    def changed(self) -> bool:
        return bool(self.receipts or self.returns_sent or self.received or self.returns_received)


@dataclass(frozen=True)
class Reportable:
    """One 通过未上报 application of a selection, as the 数据上报 screen lists it."""

    application_id: str
    name: str
    unit: str
    title: str
    size: int
    batch: str | None = None
    """The unfinished batch it is already in (then it cannot be selected)."""
    refused: str = ""
    """Why the upper office refused it last time, if it did."""


@dataclass(frozen=True)
class ReceiptLine:
    """One application of a sent batch and what the receiver said."""

    application_id: str
    name: str
    unit: str
    outcome: str  # pending / accepted / rejected
    reasons: list[str]


@dataclass(frozen=True)
class Scope:
    """A 年度 / 申报级别 / 职称系列 with passed applications waiting to be reported."""

    year: int
    level: str
    series: str
    count: int


# ---------------------------------------------------------------- the service


class SyncService:
    """The office's sync for the screens: built once per app, closed on exit.

    `enabled` is False when the settings have no `[sync]` table; every hub call then raises
    SyncError with the reason, and the screens use the local copies only.
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        give_up_after: float | None = DEFAULT_GIVE_UP,
        transport_factory: TransportFactory | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.give_up_after = give_up_after
        self.cancel = threading.Event()
        self._factory = transport_factory
        self._transport: Transport | None = None
        self._hub: Transport | None = None
        """The hub lower offices report to, when the office reports upward by folder."""
        self._lock = threading.Lock()
        self._run_lock = threading.Lock()
        raw = settings.extra.get("sync")
        self.enabled = isinstance(raw, dict) or transport_factory is not None
        interval = raw.get("interval", DEFAULT_INTERVAL) if isinstance(raw, dict) else 0
        self.interval = float(interval) if isinstance(interval, int | float) else DEFAULT_INTERVAL

    # ----- plumbing -----------------------------------------------------------------------

    def transport(self) -> Transport:
        """The shared transport, opened on first use. Raises SyncError (no or bad `[sync]`)."""
        with self._lock:
            if self.cancel.is_set():
                raise Cancelled()
            if self._transport is None:
                if self._factory is not None:
                    self._transport = self._factory(self.cancel, self.give_up_after)
                else:
                    from zcreview.sync.config import open_lower_hub, open_transport

                    self._transport = open_transport(
                        self.settings, cancel=self.cancel, give_up_after=self.give_up_after
                    )
                    self._hub = open_lower_hub(
                        self.settings, cancel=self.cancel, give_up_after=self.give_up_after
                    )
            return self._transport

    def lower_hub(self) -> Transport | None:
        """The hub for lower offices reporting over HTTP when it is not the upward transport."""
        self.transport()
        return self._hub

    def close(self) -> None:
        """Stop every transfer in progress (they raise Cancelled) and close the connection."""
        self.cancel.set()
        with self._lock:
            for t in (self._transport, self._hub):
                if t is not None:
                    t.close()
            self._transport = self._hub = None

    # ----- the cycle ----------------------------------------------------------------------

    def cycle(self, progress: delivery.Progress | None = None) -> CycleReport:
        """One round: paths, outbox (every unfinished batch), returns down, inbox (records
        only), returns from above. Never raises for the hub being away: that is `offline`."""
        with self._run_lock:
            from zcreview.sync import routes  # the bundle stack, loaded with the first cycle

            t, hub = self.transport(), self.lower_hub()
            report: dict[str, object] = {}
            try:
                # The sticks first: they need no hub, so an offline cycle still serves them.
                imported = routes.import_from_below(self.store, t)
                by_folder = len(routes.push_bundle_returns(self.store, t))
                by_bundle = sum(1 for i in imported for r in i.received if r.outcome != "unchanged")
                report["bundle_errors"] = [f"{i.ident[:8]}：{i.error}" for i in imported if i.error]
                report["received"], report["returns_sent"] = by_bundle, by_folder
                routes.refresh_paths(self.store, t, hub)
                results = delivery.drive_all(t, self.store, progress, self.cancel)
                report["receipts"] = [r.receipt for r in results if r.receipt is not None]
                report["refused_batches"] = [
                    f"{r.batch_id[:8]}：{r.error}"
                    for r in results
                    if r.receipt is None and not getattr(r, "waiting", False)
                ]
                report["returns_sent"] = by_folder + len(routes.push_returns(self.store, t, hub))
                got = routes.pull_inbox(self.store, t, hub)
                report["received"] = by_bundle + sum(1 for r in got if r.outcome != "unchanged")
                applied = inbox.pull_returns(t, self.store)
                report["returns_received"] = sum(1 for a in applied if a.applied)
                audithead.push(t, self.store)  # a witness of the audit log outside the office
            except Cancelled:
                raise
            except Refused as exc:
                return CycleReport(utcnow(), error=str(exc), **report)  # type: ignore[arg-type]
            except SyncError as exc:
                return CycleReport(utcnow(), offline=True, error=str(exc), **report)  # type: ignore[arg-type]
            return CycleReport(utcnow(), **report)  # type: ignore[arg-type]

    def drive(self, batch_id: str, progress: delivery.Progress | None = None) -> Receipt:
        """Drive one batch to its receipt (waits for a running cycle). Raises SyncError."""
        with self._run_lock:
            return delivery.drive(batch_id, self.transport(), self.store, progress, self.cancel)

    def fetch_blob(self, sha256: str) -> bytes:
        """An attachment's bytes, downloaded from the hub first when not yet here."""
        if not self.store.blobs.has(sha256):
            inbox.fetch_blob(self.store, self.transport(), sha256)
        return self.store.blobs.read(sha256)

    # ----- paths --------------------------------------------------------------------------

    def refresh_paths(self) -> list[SyncPath]:
        """Both roles, from the upward transport, the hub and the bundle hub (per direction)."""
        from zcreview.sync import routes

        return routes.refresh_paths(self.store, self.transport(), self.lower_hub())

    def find_offices(self, query: str) -> list[OfficeInfo]:
        return self.transport().find_offices(query)

    def request_path(self, series: str, level: str, upper: OfficeInfo | str, year: int) -> PathInfo:
        """路径申请 to `upper` (an office picked from a search, or a name searched here)."""
        if isinstance(upper, OfficeInfo):
            return paths.request_path_to(self.store, self.transport(), series, level, upper, year)
        return paths.request_path(self.store, self.transport(), series, level, upper, year)

    def decide_path(self, path_id: str, approve: bool, reason: str = "") -> PathInfo:
        """路径审核, answered the way the request came (hub or the lower office's folder)."""
        from zcreview.sync import routes

        return routes.decide_path(
            self.store, self.transport(), path_id, approve, reason, self.lower_hub()
        )


# ---------------------------------------------------------------- local reads (no hub)


def path_state_text(path: SyncPath, this_year: int) -> str:
    """待审核 / 已通过 / 已退回（reason）, and 往年已开通 for an approved path of an earlier year."""
    text = PATH_STATE_LABELS.get(path.state, path.state)
    if path.state == "approved" and path.role == "lower" and path.year < this_year:
        return f"{text}（{REUSABLE}）"
    if path.state == "rejected" and path.reason:
        return f"{text}：{path.reason}"
    return text


def suggest_upper(config: Config, me: OfficeRow | None, series: str, level: str) -> tuple[str, str]:
    """The upper office domain.md §3 suggests: (a name to search, an explanation).

    City-level (市直) offices get the routing table's receiver; otherwise the hint follows the
    office type (事业单位 → 主管部门; 企业 → 乡镇（街道）; 主管部门 → 区人社局).
    """
    kind = me.office_type if me is not None else ""
    tier = me.office_level if me is not None else ""
    receiver = config.routing.receiver(series, level) if series and level else None
    if tier == "市直" and kind in ("用人单位", "主管部门", ""):
        if receiver is None:
            return "", f"路径对照表中没有“{series}·{level}”的市直接收单位：该系列级别不在市级评审"
        if kind == "主管部门":
            return receiver, f"市直主管部门报评委会组建单位或呈报部门：{receiver}（路径对照表）"
        return receiver, (
            f"市直单位：有主管部门的报主管部门；没有的直接报 {receiver}（路径对照表）"
        )
    if kind == "主管部门":
        return "人社局", "主管部门报所在区（县、市）人社局"
    if kind in ("人社局", "呈报部门"):
        if receiver:
            return receiver, f"按路径对照表，{series}·{level} 报 {receiver}"
        return "", "报评委会组建单位或呈报部门（路径对照表中未列出）"
    return "", ("事业单位报主管部门；企业报营业执照地址所在乡镇（街道）；没有主管部门的报区人社局")


def scopes(session: Session) -> list[Scope]:
    """Each 年度 / 级别 / 系列 with 通过未上报 applications, newest year first."""
    rows = session.exec(
        select(ApplicationRow.year, ApplicationRow.level, ApplicationRow.series, func.count())
        .where(col(ApplicationRow.state) == State.PASSED.value)
        .group_by(col(ApplicationRow.year), col(ApplicationRow.level), col(ApplicationRow.series))
        .order_by(col(ApplicationRow.year).desc(), col(ApplicationRow.series))
    ).all()
    return [Scope(y, lv, se, n) for y, lv, se, n in rows]


def reportable(session: Session, year: int, level: str, series: str) -> list[Reportable]:
    """通过未上报 applications of one selection, oldest submission first, with attachment bytes,
    the unfinished batch holding each (if any) and the last refusal reason (if any)."""
    rows = session.exec(
        select(ApplicationRow)
        .where(
            col(ApplicationRow.state) == State.PASSED.value,
            col(ApplicationRow.year) == year,
            col(ApplicationRow.level) == level,
            col(ApplicationRow.series) == series,
        )
        .order_by(
            col(ApplicationRow.submitted_on), col(ApplicationRow.name), col(ApplicationRow.id)
        )
    ).all()
    out = []
    for row in rows:
        out.append(
            Reportable(
                row.id,
                row.name,
                row.unit,
                row.title,
                sum(blob_sizes(session, [row.id]).values()),
                unfinished_batch_of(row.id, session=session),
                last_refusal(session, row.id),
            )
        )
    return out


def blob_sizes(session: Session, app_ids: Sequence[str]) -> dict[str, int]:
    """Distinct attachments (sha256 → size) of the head revisions of these applications."""
    if not app_ids:
        return {}
    rows = session.exec(
        select(AttachmentRow.sha256, AttachmentRow.size)
        .join(RevisionRow, col(RevisionRow.id) == col(AttachmentRow.revision_id))
        .join(
            ApplicationRow,
            (col(ApplicationRow.id) == col(RevisionRow.application_id))
            & (col(ApplicationRow.head_revision) == col(RevisionRow.revision)),
        )
        .where(col(ApplicationRow.id).in_(list(app_ids)))
    ).all()
    return dict(rows)


def last_refusal(session: Session, app_id: str) -> str:
    """The reasons of the newest refusal of this application by the upper office, or ""."""
    item = session.exec(
        select(OutboxItem)
        .join(OutboxBatch, col(OutboxBatch.batch_id) == col(OutboxItem.batch_id))
        .where(col(OutboxItem.application_id) == app_id, col(OutboxItem.outcome) != "pending")
        .order_by(col(OutboxBatch.updated_at).desc())
    ).first()
    if item is None or item.outcome != "rejected":
        return ""
    return "；".join(json.loads(item.reasons)) or "上级单位拒收"


def receipt_lines(session: Session, batch_id: str) -> list[ReceiptLine]:
    """The applications of a batch with their outcomes (pending until the receipt is stored)."""
    rows = session.exec(
        select(OutboxItem, ApplicationRow)
        .join(ApplicationRow, col(ApplicationRow.id) == col(OutboxItem.application_id))
        .where(col(OutboxItem.batch_id) == batch_id)
        .order_by(col(OutboxItem.id))
    ).all()
    return [
        ReceiptLine(i.application_id, a.name, a.unit, i.outcome, list(json.loads(i.reasons)))
        for i, a in rows
    ]


def pending_work(session: Session) -> tuple[int, int]:
    """(applications in unfinished batches, returns waiting to go down): the status line."""
    apps = session.exec(
        select(func.count())
        .select_from(OutboxItem)
        .join(OutboxBatch, col(OutboxBatch.batch_id) == col(OutboxItem.batch_id))
        .where(col(OutboxBatch.state).not_in(outbox.DONE_STATES))
    ).one()
    returns = session.exec(
        select(func.count()).select_from(ReturnSent).where(col(ReturnSent.state) == "pending")
    ).one()
    return int(apps), int(returns)


def inbox_count(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(InboxEntry)).one())


def this_office(session: Session) -> OfficeRow | None:
    return get_self(session=session)


def today() -> date:
    return date.today()
