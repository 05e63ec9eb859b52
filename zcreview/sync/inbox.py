"""Office side of the downward feeds: the inbox from below, attachments on demand, returns."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from sqlmodel import Session, col, select

from zcreview.domain.catalogue import Config
from zcreview.domain.text import clean_model
from zcreview.domain.workflow import State, TransitionError
from zcreview.intake.clean import clean_application
from zcreview.storage.applications import record_revision
from zcreview.storage.blobs import sha256_file
from zcreview.storage.decisions import record_return_from_above
from zcreview.storage.store import Store
from zcreview.storage.sync_tables import InboxEntry, ReturnReceived, ReturnSent, SyncCursor
from zcreview.storage.tables import ApplicationRow, AttachmentRow, BlobRow, utcnow
from zcreview.storage.transitions import ReviewError
from zcreview.sync.protocol import BlobRef, Correction, InboxItem, ReturnItem, ReturnRequest
from zcreview.sync.transport import Cancelled, Feed, Refused, SyncError, Transport

Item = TypeVar("Item")
T_co = TypeVar("T_co", covariant=True)
R = TypeVar("R")


def office_config() -> Config | None:
    """The office's check configuration, for the counts of what arrives; None if unreadable."""
    # Imported here: reading the catalogue is only needed once something arrives.
    from zcreview.configfiles import load_config

    try:
        return load_config()
    except Exception:
        return None


def get_cursor(session: Session, feed: Feed) -> int:
    row = session.get(SyncCursor, feed)
    return row.value if row is not None else 0


def _set_cursor(session: Session, feed: Feed, value: int) -> None:
    row = session.get(SyncCursor, feed) or SyncCursor(name=feed)
    row.value = max(row.value, value)
    session.add(row)


# ---------------------------------------------------------------- inbox


class _Page(Protocol[T_co]):
    @property
    def items(self) -> Sequence[T_co]: ...
    @property
    def cursor(self) -> int: ...
    @property
    def more(self) -> bool: ...


def _pull(
    transport: Transport,
    store: Store,
    feed: Feed,
    fetch: Callable[[int], _Page[Item]],
    apply: Callable[[Session, Item], R],
) -> list[R]:
    """Page through a feed: apply each page and store its cursor in one transaction, then ack.

    A crash after fetching but before the commit re-fetches the same page next time.
    """
    done: list[R] = []
    with store.session() as s:
        cursor = get_cursor(s, feed)
    while True:
        page = fetch(cursor)
        with store.session() as s:
            done += [apply(s, item) for item in page.items]
            _set_cursor(s, feed, page.cursor)
            s.commit()
        if page.cursor > cursor:
            transport.ack(feed, page.cursor)
        cursor = page.cursor
        if not page.more:
            return done


@dataclass(frozen=True)
class Received:
    """One application that arrived from below in this pull."""

    application_id: str
    revision: str
    name: str
    from_office: str
    outcome: str  # new / revision / redelivered (again after a return) / unchanged / invalid
    note: str = ""
    """Why an application was refused (`invalid`): entry, field and problem, in Chinese."""


def receive(session: Session, item: InboxItem) -> Received:
    """Record one delivered application (once by its hub seq), cleaned and validated."""
    item = item.model_copy(update={"from_office": clean_model(item.from_office)})
    app_id = str(item.application_id)
    if session.get(InboxEntry, item.seq) is not None:
        return Received(app_id, item.revision, "", item.from_office.name, "unchanged")
    session.add(
        InboxEntry(
            seq=item.seq,
            application_id=app_id,
            revision=item.revision,
            supersedes=item.supersedes,
            batch_id=str(item.batch_id),
            from_name=item.from_office.name,
            from_code=item.from_office.credit_code,
            series=item.series,
            level=item.level,
            year=item.year,
            blobs=json.dumps([b.model_dump(mode="json") for b in item.blobs], ensure_ascii=False),
        )
    )
    # The hub checked the hash at commit; check again so a faulty transport cannot plant a body.
    if hashlib.sha256(item.application.encode()).hexdigest() != item.revision:
        return Received(app_id, item.revision, "", item.from_office.name, "invalid")
    # Cleaned and validated exactly as `zcreview import` does: what a lower office sends is input.
    checked = clean_application(item.application, file=f"批次 {item.batch_id} 申报 {app_id}")
    if checked.app is None:
        note = "；".join(str(p) for p in checked.problems[:5])
        return Received(app_id, item.revision, "", item.from_office.name, "invalid", note)
    app = checked.app
    # A new inbox entry of a revision already here is a re-report after a return: the lower
    # office passed it again unchanged, so it is back in the queue like a corrected one.
    result = record_revision(
        app,
        session=session,
        source=f"上报:{item.from_office.name}",
        initial_state=State.PENDING,
        config=office_config(),
        actor=item.from_office.name,
        redelivery=True,
    )
    outcome = "redelivered" if result.redelivered else result.outcome
    return Received(app_id, item.revision, app.basic.name, item.from_office.name, outcome)


def pull_inbox(transport: Transport, store: Store) -> list[Received]:
    """Record applications reported to this office as revisions (待审核), metadata only.

    Each page is applied and its cursor stored in one transaction, then acknowledged.
    Attachments stay on the hub until `fetch_blob` (or `prefetch`) asks for them.
    """
    return _pull(transport, store, "inbox", transport.inbox, receive)


def fetch_blob(store: Store, transport: Transport, sha256: str) -> Path:
    """The local path of a blob, downloading it (resumably, with Range) when not yet here."""
    if store.blobs.has(sha256):
        return store.blobs.path(sha256)
    partial_dir = store.home / "partial"
    partial_dir.mkdir(parents=True, exist_ok=True)
    partial = partial_dir / sha256
    have = partial.stat().st_size if partial.exists() else 0
    try:
        with partial.open("ab") as f:
            for chunk in transport.fetch_blob(sha256, start=have):
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
    except Refused as exc:
        if exc.status == 416:  # the partial file is longer than the blob: start over
            partial.unlink(missing_ok=True)
        raise
    if sha256_file(partial) != sha256:
        partial.unlink(missing_ok=True)
        raise SyncError(f"附件 {sha256[:12]} 下载后校验失败，已删除，请重试")
    target = store.blobs.path(sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial, target)
    with store.session() as s:
        if s.get(BlobRow, sha256) is None:
            att = s.exec(select(AttachmentRow).where(AttachmentRow.sha256 == sha256)).first()
            mime = att.mime if att is not None else "application/octet-stream"
            s.add(BlobRow(sha256=sha256, size=target.stat().st_size, mime=mime))
            s.commit()
    return target


def missing_blobs(store: Store, app_ids: Sequence[str] | None = None) -> list[BlobRef]:
    """Attachments of received applications not yet downloaded (for a background prefetch)."""
    with store.session() as s:
        stmt = select(InboxEntry)
        if app_ids is not None:
            stmt = stmt.where(col(InboxEntry.application_id).in_(list(app_ids)))
        entries = s.exec(stmt.order_by(col(InboxEntry.seq))).all()
    wanted: dict[str, BlobRef] = {}
    for entry in entries:
        for raw in json.loads(entry.blobs):
            ref = BlobRef.model_validate(raw)
            if not store.blobs.has(ref.sha256):
                wanted.setdefault(ref.sha256, ref)
    return list(wanted.values())


def prefetch(store: Store, transport: Transport, cancel: threading.Event | None = None) -> int:
    """Download every missing attachment of received applications; returns the bytes fetched."""
    fetched = 0
    for ref in missing_blobs(store):
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        fetch_blob(store, transport, ref.sha256)
        fetched += ref.size
    return fetched


# ---------------------------------------------------------------- returns from above


@dataclass(frozen=True)
class Applied:
    """One return from above and what it did here."""

    return_id: str
    application_id: str
    applied: bool
    note: str


def apply_return(session: Session, item: ReturnItem) -> Applied:
    """Apply one return from above (once by return id); not committed."""
    item = clean_model(item)  # reasons and messages from above are shown and printed here
    return_id = str(item.return_id)
    app_id = str(item.application_id)
    if session.get(ReturnReceived, return_id) is not None:
        return Applied(return_id, app_id, False, "已处理过")
    row = session.get(ApplicationRow, app_id)
    applied, note = False, ""
    if row is None:
        note = "本单位没有这份申报"
    elif row.state == State.RETURNED_FROM_ABOVE.value:
        applied = True
    elif row.head_revision != item.revision:
        note = f"退回针对的版本 {item.revision[:12]} 不是本单位的当前版本"
    else:
        try:
            # The review module records the notice, the deadline and the audit entry.
            record_return_from_above(
                app_id,
                item.from_office.name,
                "",
                [c.to_item() for c in item.corrections],
                item.deadline,
                session=session,
            )
            applied = True
        except (ReviewError, TransitionError, ValueError) as exc:
            note = f"申报状态为“{row.state}”，未改为上级退回：{exc}"
    session.add(
        ReturnReceived(
            return_id=return_id,
            seq=item.seq,
            application_id=app_id,
            revision=item.revision,
            corrections=json.dumps(
                [c.model_dump(mode="json") for c in item.corrections], ensure_ascii=False
            ),
            deadline=item.deadline,
            message=item.message,
            from_name=item.from_office.name,
            from_code=item.from_office.credit_code,
            applied=applied,
            note=note,
        )
    )
    return Applied(return_id, app_id, applied, note)


def pull_returns(transport: Transport, store: Store) -> list[Applied]:
    """Apply returns from above idempotently by return id, then store the cursor and ack it."""
    return _pull(transport, store, "returns", transport.returns, apply_return)


def corrections_of(
    session: Session, application_id: str
) -> list[tuple[ReturnReceived, list[Correction]]]:
    """Returns from above for one application, newest first, with their correction lists."""
    rows = session.exec(
        select(ReturnReceived)
        .where(ReturnReceived.application_id == application_id)
        .order_by(col(ReturnReceived.seq).desc())
    ).all()
    return [(r, [Correction.model_validate(c) for c in json.loads(r.corrections)]) for r in rows]


# ---------------------------------------------------------------- returns sent down


Route = Callable[[ReturnSent], Transport | None]
"""The transport a queued return goes down by; None keeps it queued (its folder is absent)."""


def push_returns(
    transport: Transport, store: Store, route: Route | None = None
) -> list[ReturnSent]:
    """Deliver queued returns (idempotent by return id), each by `route` (default: `transport`);
    returns those now sent."""
    with store.session() as s:
        pending = s.exec(
            select(ReturnSent)
            .where(ReturnSent.state == "pending")
            .order_by(col(ReturnSent.created_at))
        ).all()
    sent: list[ReturnSent] = []
    for row in pending:
        via = transport if route is None else route(row)
        if via is None:
            continue
        request = ReturnRequest(
            application_id=uuid.UUID(row.application_id),
            revision=row.revision,
            corrections=[Correction.model_validate(c) for c in json.loads(row.corrections)],
            deadline=row.deadline,
            message=row.message,
        )
        item = via.send_return(row.return_id, request)
        with store.session() as s:
            fresh = s.get(ReturnSent, row.return_id)
            assert fresh is not None
            fresh.state, fresh.seq, fresh.sent_at = "sent", item.seq, utcnow()
            s.add(fresh)
            s.commit()
            sent.append(fresh)
    return sent
