"""The hub's rules over storage: offers, resumable uploads, atomic commits, inboxes, returns, paths.

The ASGI app (hub.py) is a thin skin over `Hub`; bundle import runs the same methods.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import signal
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import insert, tuple_
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, create_engine, or_, select

from zcreview.domain.model import iter_attachments
from zcreview.intake.clean import clean_application
from zcreview.storage import hub_audit
from zcreview.storage.blobs import BlobStore, sha256_file, valid_digest
from zcreview.storage.engine import (
    is_sqlite,
    make_engine,
    normalise_url,
    private_home,
    private_sqlite_file,
)
from zcreview.storage.hub_admin import ContactRecorder
from zcreview.storage.migrations import migrate
from zcreview.storage.sync_tables import (
    HubBatch,
    HubBlobRef,
    HubCounter,
    HubDelivery,
    HubOffice,
    HubOfficeBlob,
    HubPath,
    HubReturn,
    HubRevision,
)
from zcreview.storage.tables import utcnow
from zcreview.sync import rereport
from zcreview.sync.hub_locks import upload_lock
from zcreview.sync.protocol import (
    CHECKSUM_MISMATCH,
    BlobNeed,
    BlobRef,
    EntryResult,
    InboxItem,
    InboxPage,
    Manifest,
    ManifestEntry,
    OfferAnswer,
    OfficeInfo,
    PathDecision,
    PathInfo,
    PathRequest,
    Receipt,
    ReturnItem,
    ReturnRequest,
    ReturnsPage,
    Role,
    UploadState,
    digest_of,
)

SEQ = "seq"
PAGE_MAX = 500
POOL_SIZE = 40
"""PostgreSQL connections kept open: one per worker thread of the server (anyio's default 40), so
a burst of offices never waits for a connection while the database is idle."""
RACE_RETRIES = 3
"""A keyed insert that lost a race with another writer is looked at again this many times."""
CRASH_ENV = "ZCREVIEW_HUB_CRASH_AT"
"""Fault tests name a point here (chunk_written, committed) to have the hub killed there."""


def _crash_point(name: str) -> None:
    # SIGKILL, not an exception: the point is to prove recovery from a real power cut.
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


class HubError(Exception):
    """A refusal with an HTTP status, a machine code and a bilingual message."""

    def __init__(
        self,
        status: int,
        code: str,
        zh: str,
        en: str,
        *,
        offset: int | None = None,
        missing: list[str] | None = None,
    ) -> None:
        super().__init__(f"{zh} / {en}")
        self.status = status
        self.code = code
        self.message = f"{zh} / {en}"
        self.offset = offset
        self.missing = missing


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def office_info(row: HubOffice) -> OfficeInfo:
    return OfficeInfo(
        name=row.name,
        credit_code=row.credit_code,
        office_type=row.office_type,
        office_level=row.office_level,
    )


def fuzzy_score(query: str, name: str) -> int | None:
    """Lower is better; None when `query` is not even a subsequence of `name`.

    Offices type part of a name (“工信局”, “威海 教育”), so substrings rank first and
    characters in order (with gaps) still match.
    """
    q = "".join(query.split())
    if not q:
        return 0
    pos = name.find(q)
    if pos >= 0:
        return pos
    i, gaps, last = 0, 0, -1
    for j, ch in enumerate(name):
        if i < len(q) and ch == q[i]:
            if last >= 0:
                gaps += j - last - 1
            last = j
            i += 1
    return 1000 + gaps if i == len(q) else None


def _check_replay(owner_id: int, office: HubOffice, same: bool, what: str) -> None:
    """A replayed keyed write: the key must be this office's, and the content the same."""
    if owner_id != office.id:
        raise HubError(403, "forbidden", f"该{what}属于其他单位", "belongs to another office")
    if not same:
        raise HubError(
            409,
            "conflict",
            f"同一{what}编号已用于不同的内容（已封存的内容不能修改）",
            "same id, different content",
        )


def _reject(entry: ManifestEntry, reasons: list[str]) -> EntryResult:
    return EntryResult(
        application_id=entry.application_id,
        revision=entry.revision,
        accepted=False,
        reasons=reasons,
    )


def _entry_problem(entry: ManifestEntry, manifest: Manifest, seen: set[str]) -> str | None:
    """Why an entry cannot be accepted whatever the hub holds; None when it may be."""
    app_id = str(entry.application_id)
    if app_id in seen:
        return "同一批次中重复出现"
    seen.add(app_id)
    if hashlib.sha256(entry.application.encode()).hexdigest() != entry.revision:
        return "版本号与申报内容不符"
    checked = clean_application(entry.application)
    if checked.app is None:
        return "申报内容无效：" + "；".join(f"{p.field} {p.message}" for p in checked.problems[:3])
    app = checked.app
    if str(app.application_id) != app_id:
        return "申报编号与内容不符"
    b = app.basic
    if (b.series, b.level, b.year) != (entry.series, entry.level, entry.year):
        return "清单中的系列、级别或年度与申报内容不符"
    if (entry.series, entry.level) != (manifest.series, manifest.level):
        return f"不属于本批次的系列和级别（{manifest.series}·{manifest.level}）"
    listed = {blob.sha256 for blob in entry.blobs}
    unlisted = [ref.name for _, ref in iter_attachments(app) if ref.sha256 not in listed]
    if unlisted:
        return "附件未列入清单：" + "、".join(unlisted[:5])
    return None


def _check_entries(
    manifest: Manifest, office: HubOffice, to: HubOffice, *, has_path: bool
) -> list[tuple[ManifestEntry, list[str]]]:
    """Each entry with the reasons it is refused before looking at deliveries (none: may pass)."""
    seen: set[str] = set()
    checked: list[tuple[ManifestEntry, list[str]]] = []
    for entry in manifest.entries:
        problem = _entry_problem(entry, manifest, seen)
        if problem is None and not has_path:
            problem = (
                f"没有审核通过的路径：{office.name} → {to.name}（{entry.series}·{entry.level}），"
                "请先申请路径"
            )
        checked.append((entry, [problem] if problem is not None else []))
    return checked


def _decide(entry: ManifestEntry, to: HubOffice, delivered: dict[str, int]) -> EntryResult | None:
    """The outcome given the revisions of this application already delivered to `to`.

    None: accept as a new delivery. `delivered` maps revision to seq; the head is the latest.
    """
    same = delivered.get(entry.revision)
    if same is not None:
        return EntryResult(
            application_id=entry.application_id,
            revision=entry.revision,
            accepted=True,
            seq=same,
            duplicate=True,
        )
    head = max(delivered, key=lambda rev: delivered[rev]) if delivered else None
    if head is not None and entry.supersedes != head:
        return _reject(
            entry,
            [
                f"{to.name} 已有该申报的版本 {head[:12]}，"
                "新版本必须注明替代的是当前版本（supersedes）"
            ],
        )
    if head is None and entry.supersedes is not None:
        return _reject(entry, [f"替代的版本 {entry.supersedes[:12]} 不是 {to.name} 的当前版本"])
    return None


def _foreign_reasons(
    office: HubOffice,
    to: HubOffice,
    entries: list[ManifestEntry],
    travels: list[tuple[str, int, int]],
) -> dict[str, str]:
    """Applications this office may not report to `to`, with why (see docs/hub.md).

    `travels` are (application, from, to) of every delivery of these applications. An office
    continues only its own chain: it may report an application the hub has never seen, one it
    reported before, or one reported to it; and it may send a new revision to `to` only when
    `to` got that application from this office (a return goes back to that same office).
    """
    senders: dict[str, set[int]] = {}
    known: dict[str, set[int]] = {}
    for app_id, frm, dest in travels:
        known.setdefault(app_id, set()).update((frm, dest))
        if dest == to.id:
            senders.setdefault(app_id, set()).add(frm)
    reasons: dict[str, str] = {}
    for entry in entries:
        app_id = str(entry.application_id)
        if senders.get(app_id, {office.id}) != {office.id}:
            reasons[app_id] = f"该申报由其他单位报送至 {to.name}，本单位不能替代或重报"
        elif app_id in known and office.id not in known[app_id]:
            reasons[app_id] = "该申报不是本单位报送或收到的，不能上报"
    return reasons


@dataclass(frozen=True)
class BlobFile:
    path: Path
    size: int


class Hub:
    """Hub state: a database (offices, paths, batches …) and a content-addressed blob directory."""

    def __init__(self, engine: Engine, data_dir: Path, *, isolate_offices: bool = True) -> None:
        self.engine = engine
        self.data_dir = data_dir
        self.blobs = BlobStore(data_dir / "blobs")
        self.partial_dir = data_dir / "partial"
        self.partial_dir.mkdir(parents=True, exist_ok=True)
        # False only for the rules run inside one office's own database (folder bundles): the
        # bundle's bytes are verified before they run, and there is no other office to keep out.
        self.isolate_offices = isolate_offices
        for stray in self.partial_dir.iterdir():
            if stray.is_file():  # a per-blob partial from before uploads were kept per office
                stray.unlink(missing_ok=True)
        # SQLite has one writer at a time anyway; taking turns here spares the busy-wait. On
        # PostgreSQL writers run side by side: primary keys and unique constraints refuse a
        # second copy of a keyed row (the loser looks again), and the counter row lock orders
        # commits, so sequence numbers are handed out in commit order and cursors never skip.
        self._serialise = is_sqlite(engine)
        self._write_lock = threading.Lock()
        self.contacts = ContactRecorder(engine)
        with self._write(), Session(engine) as s:
            if s.get(HubCounter, SEQ) is None:
                s.add(HubCounter(name=SEQ, value=0))
                with contextlib.suppress(IntegrityError):  # another process made it first
                    s.commit()

    @classmethod
    def open(cls, data_dir: Path, db_url: str | None = None) -> Hub:
        """Open (creating and migrating) a hub whose data lives in `data_dir`."""
        private_home(data_dir)
        if not db_url:
            private_sqlite_file(data_dir / "hub.db")
        url = normalise_url(db_url or f"sqlite:///{(data_dir / 'hub.db').resolve()}")
        if url.startswith("sqlite"):
            engine = make_engine(url)
        else:
            engine = create_engine(
                url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=10, pool_timeout=60
            )
        migrate(engine)
        return cls(engine, data_dir)

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[None]:
        if not self._serialise:
            yield
            return
        with self._write_lock:
            yield

    def _upload_lock(self, office_id: int, blob_id: str) -> AbstractContextManager[None]:
        """One writer per office upload, across threads, processes and (PostgreSQL) hosts."""
        # 256 lock files per office at most: uploads sharing a prefix just take turns.
        lock_file = self.partial_dir / str(office_id) / "locks" / f"{blob_id[:2]}.lock"
        return upload_lock(self.engine, lock_file, f"upload:{office_id}:{blob_id}")

    # ------------------------------------------------------------ offices and tokens

    def add_office(
        self, name: str, credit_code: str, office_type: str = "", office_level: str = ""
    ) -> tuple[OfficeInfo, str]:
        """Register an office; returns it and its token (shown once, only its hash is kept)."""
        token = secrets.token_urlsafe(32)
        with self._write(), Session(self.engine) as s:
            if s.exec(select(HubOffice).where(HubOffice.credit_code == credit_code)).first():
                raise HubError(
                    409, "office_exists", f"统一社会信用代码 {credit_code} 已登记", "office exists"
                )
            row = HubOffice(
                name=name,
                credit_code=credit_code,
                office_type=office_type,
                office_level=office_level,
                token_hash=token_hash(token),
            )
            s.add(row)
            hub_audit.append(
                s,
                hub_audit.ADMIN,
                "office.add",
                credit_code,
                {"name": name, "type": office_type, "level": office_level},
            )
            try:
                s.commit()
            except IntegrityError:  # registered by another process meanwhile
                raise HubError(
                    409, "office_exists", f"统一社会信用代码 {credit_code} 已登记", "office exists"
                ) from None
            return office_info(row), token

    def list_offices(self) -> list[OfficeInfo]:
        with Session(self.engine) as s:
            rows = s.exec(select(HubOffice).order_by(col(HubOffice.id))).all()
            return [office_info(r) for r in rows]

    def authenticate(self, token: str | None) -> HubOffice:
        """The office whose token this is; 401 otherwise."""
        if not token:
            raise HubError(401, "unauthorized", "缺少访问令牌", "missing bearer token")
        with Session(self.engine) as s:
            row = s.exec(select(HubOffice).where(HubOffice.token_hash == token_hash(token))).first()
        if row is None or not row.active:
            raise HubError(401, "unauthorized", "访问令牌无效", "invalid bearer token")
        self.contacts.seen(row.id or 0)
        return row

    def find_offices(self, query: str, limit: int = 20) -> list[OfficeInfo]:
        with Session(self.engine) as s:
            rows = s.exec(select(HubOffice).where(col(HubOffice.active).is_(True))).all()
        scored = [(fuzzy_score(query, r.name), r) for r in rows]
        ranked = sorted(((sc, r) for sc, r in scored if sc is not None), key=lambda t: t[0])
        return [office_info(r) for _, r in ranked[:limit]]

    # ------------------------------------------------------------ offer

    def offer(self, office: HubOffice, batch_id: str, manifest: Manifest) -> OfferAnswer:
        """Record a batch bound to `office`; answer which blobs are missing and bytes held."""
        if str(manifest.batch_id) != batch_id:
            raise HubError(
                422, "batch_id_mismatch", "路径中的批次号与清单不一致", "batch id differs"
            )
        digest = manifest.digest()
        for attempt in range(RACE_RETRIES):
            try:
                committed = self._record_offer(office, batch_id, manifest, digest)
                break
            except IntegrityError:
                # Another writer recorded the same batch or blob a moment ago; look again.
                if attempt + 1 == RACE_RETRIES:
                    raise
        blobs = manifest.unique_blobs()
        with Session(self.engine) as s:
            present = self._present(s, office, [b.sha256 for b in blobs])
        lacking = [b for b in blobs if b.sha256 not in present]
        held = self._held_offsets(office, [b.sha256 for b in lacking])
        missing = [BlobNeed(sha256=b.sha256, size=b.size, have=held[b.sha256]) for b in lacking]
        return OfferAnswer(
            batch_id=manifest.batch_id, manifest_hash=digest, missing=missing, committed=committed
        )

    def _held_offsets(self, office: HubOffice, blob_ids: list[str]) -> dict[str, int]:
        """Durable bytes this office holds of each blob it is uploading, read in one query.

        The smaller of the recorded offset and the partial file's length, as `_reconcile` would
        make it; the next chunk reconciles for real, under the upload's lock.
        """
        if not blob_ids:
            return {}
        assert office.id is not None
        with Session(self.engine) as s:
            rows = s.exec(
                select(HubOfficeBlob.blob_id, HubOfficeBlob.offset).where(
                    col(HubOfficeBlob.blob_id).in_(blob_ids), HubOfficeBlob.office_id == office.id
                )
            ).all()
        recorded = dict(rows)
        held: dict[str, int] = {}
        for blob_id in blob_ids:
            path = self._partial(office.id, blob_id)
            on_disk = path.stat().st_size if path.exists() else 0
            held[blob_id] = min(recorded.get(blob_id, 0), on_disk)
        return held

    def _record_offer(
        self, office: HubOffice, batch_id: str, manifest: Manifest, digest: str
    ) -> bool:
        """Store the batch and its blob declarations; True when it was committed already."""
        with self._write(), Session(self.engine) as s:
            existing = s.get(HubBatch, batch_id)
            if existing is not None:
                _check_replay(existing.office_id, office, existing.manifest_hash == digest, "批次")
                return existing.state == "committed"
            to = self._office_by_code(s, manifest.to_office)
            if to.id == office.id:
                raise HubError(422, "self_report", "不能向本单位上报", "cannot report to self")
            assert office.id is not None and to.id is not None
            blobs = manifest.unique_blobs()
            shas = [b.sha256 for b in blobs]
            # Only this office's own declarations and the blobs it may read are compared: what
            # another office declared or uploaded must neither block it nor show through.
            declared = dict(
                s.exec(
                    select(HubOfficeBlob.blob_id, HubOfficeBlob.size).where(
                        col(HubOfficeBlob.blob_id).in_(shas), HubOfficeBlob.office_id == office.id
                    )
                ).all()
            )
            present = self._present(s, office, shas)
            new: list[dict[str, object]] = []
            for blob in blobs:
                size = declared.get(blob.sha256)
                if size is None:
                    new.append({"blob_id": blob.sha256, "size": blob.size, "mime": blob.mime})
                if (size is not None and size != blob.size) or (
                    blob.sha256 in present
                    and self.blobs.path(blob.sha256).stat().st_size != blob.size
                ):
                    raise HubError(
                        422,
                        "blob_size_conflict",
                        f"附件 {blob.sha256[:12]} 的大小与先前声明不符",
                        "blob size differs from an earlier declaration",
                    )
            if new:
                now = utcnow()
                s.execute(
                    insert(HubOfficeBlob),
                    [
                        {
                            **row,
                            "office_id": office.id,
                            "offset": 0,
                            "owned": False,
                            "updated_at": now,
                        }
                        for row in new
                    ],
                )
            s.add(
                HubBatch(
                    batch_id=batch_id,
                    office_id=office.id,
                    to_office_id=to.id,
                    manifest_hash=digest,
                    manifest=manifest.model_dump_json(),
                )
            )
            s.commit()
            return False

    def _office_by_code(self, s: Session, code: str) -> HubOffice:
        row = s.exec(select(HubOffice).where(HubOffice.credit_code == code)).first()
        if row is None:
            raise HubError(
                422, "unknown_office", f"单位 {code} 未在上报服务器登记", "unknown office"
            )
        return row

    # ------------------------------------------------------------ uploads

    def _partial(self, office_id: int, blob_id: str) -> Path:
        return self.partial_dir / str(office_id) / blob_id

    def _present(self, s: Session, office: HubOffice, blob_ids: list[str]) -> set[str]:
        """The blobs held here that count as this office's: it uploaded them itself, or a
        revision it sent or received names them. Naming a hash in an offer is not enough.
        """
        held = {b for b in blob_ids if self.blobs.has(b)}
        if not held or not self.isolate_offices:
            return held
        owned = set(
            s.exec(
                select(HubOfficeBlob.blob_id).where(
                    col(HubOfficeBlob.blob_id).in_(held),
                    HubOfficeBlob.office_id == office.id,
                    col(HubOfficeBlob.owned).is_(True),
                )
            ).all()
        )
        rest = held - owned
        if not rest:
            return owned
        travelled = s.exec(
            select(HubBlobRef.sha256)
            .join(
                HubDelivery,
                (col(HubBlobRef.application_id) == col(HubDelivery.application_id))
                & (col(HubBlobRef.revision) == col(HubDelivery.revision)),
            )
            .where(
                col(HubBlobRef.sha256).in_(rest),
                or_(
                    col(HubDelivery.to_office_id) == office.id,
                    col(HubDelivery.from_office_id) == office.id,
                ),
            )
            .distinct()
        ).all()
        return owned | set(travelled)

    def _may_read(self, office: HubOffice, blob_id: str) -> bool:
        with Session(self.engine) as s:
            return blob_id in self._present(s, office, [blob_id])

    @staticmethod
    def _not_found() -> HubError:
        # The one answer for a blob that does not exist and for one this office may not see.
        return HubError(404, "unknown_blob", "服务器上没有这个附件", "blob not found")

    def upload_state(self, office: HubOffice, blob_id: str) -> UploadState:
        """Where this office's upload stands (HEAD). Reconciles the file with the offset."""
        self._check_digest(blob_id)
        if self._may_read(office, blob_id):
            size = self.blobs.path(blob_id).stat().st_size
            return UploadState(blob_id=blob_id, offset=size, size=size, complete=True)
        assert office.id is not None
        with self._upload_lock(office.id, blob_id):
            up = self._load_upload(office.id, blob_id)
            offset = self._reconcile(up)
        return UploadState(blob_id=blob_id, offset=offset, size=up.size, complete=False)

    def _load_upload(self, office_id: int, blob_id: str) -> HubOfficeBlob:
        # A short read of its own: a long-lived SQLite read snapshot could not be upgraded to a
        # write once another thread has committed (SQLITE_BUSY_SNAPSHOT).
        with Session(self.engine) as s:
            up = s.get(HubOfficeBlob, (blob_id, office_id))
        if up is None:
            raise self._not_found()
        return up

    def _record_offset(self, up: HubOfficeBlob, offset: int, owned: bool) -> None:
        with self._write(), Session(self.engine) as s:
            row = s.get(HubOfficeBlob, (up.blob_id, up.office_id))
            if row is not None:
                row.offset, row.owned, row.updated_at = offset, owned, utcnow()
                s.add(row)
                s.commit()

    def _reconcile(self, up: HubOfficeBlob) -> int:
        """The durable offset: the smaller of the recorded offset and the file's length.

        A crash between writing a chunk and recording its offset leaves extra bytes, which are
        cut off (the client never saw them acknowledged and sends them again).
        """
        path = self._partial(up.office_id, up.blob_id)
        on_disk = path.stat().st_size if path.exists() else 0
        if on_disk > up.offset:
            with path.open("r+b") as f:
                f.truncate(up.offset)
                os.fsync(f.fileno())
        elif on_disk < up.offset:
            self._record_offset(up, on_disk, False)
            up.offset = on_disk
        return up.offset

    @staticmethod
    def _check_digest(blob_id: str) -> None:
        if not valid_digest(blob_id):
            raise HubError(
                422, "bad_blob_id", "附件编号应为 64 位小写十六进制 SHA-256", "bad blob id"
            )

    def append_chunk(
        self, office: HubOffice, blob_id: str, offset: int, data: bytes, checksum: str
    ) -> UploadState:
        """Append one verified chunk at `offset` to this office's upload, durably."""
        self._check_digest(blob_id)
        if self._may_read(office, blob_id):
            size = self.blobs.path(blob_id).stat().st_size
            if offset != size:
                raise HubError(409, "offset_mismatch", "附件已完整", "blob complete", offset=size)
            return UploadState(blob_id=blob_id, offset=size, size=size, complete=True)
        assert office.id is not None
        with self._upload_lock(office.id, blob_id):
            up = self._load_upload(office.id, blob_id)
            true_offset = self._reconcile(up)
            if offset != true_offset:
                raise HubError(
                    409,
                    "offset_mismatch",
                    f"上传位置应为 {true_offset}",
                    f"expected offset {true_offset}",
                    offset=true_offset,
                )
            if not data:
                raise HubError(400, "empty_chunk", "数据块为空", "empty chunk", offset=offset)
            if offset + len(data) > up.size:
                raise HubError(
                    422, "too_long", "数据超出附件大小", "chunk beyond blob size", offset=offset
                )
            if hashlib.sha256(data).hexdigest() != checksum:
                raise HubError(
                    CHECKSUM_MISMATCH,
                    "checksum_mismatch",
                    "数据块校验失败，已丢弃，请重发",
                    "chunk checksum mismatch, discarded",
                    offset=offset,
                )
            path = self._partial(office.id, blob_id)
            path.parent.mkdir(exist_ok=True)
            with path.open("ab") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            _crash_point("chunk_written")
            new_offset = offset + len(data)
            complete = new_offset == up.size
            if complete:
                self._finish(up, path)
            self._record_offset(up, new_offset, complete)
            return UploadState(blob_id=blob_id, offset=new_offset, size=up.size, complete=complete)

    def _finish(self, up: HubOfficeBlob, path: Path) -> None:
        """Verify the whole file, then move it into the blob store atomically.

        The hash check is the office's proof that it holds the file; when the store already has
        the same bytes (another office's copy) the upload is simply dropped after the check.
        """
        if sha256_file(path) != up.blob_id:
            path.unlink(missing_ok=True)
            self._record_offset(up, 0, False)
            raise HubError(
                422,
                "blob_hash_mismatch",
                "附件整体校验失败，已丢弃，请从头上传",
                "whole-file hash mismatch, start again",
                offset=0,
            )
        target = self.blobs.path(up.blob_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)  # identical bytes when another office's copy is there
        fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    # ------------------------------------------------------------ commit

    def commit(self, office: HubOffice, batch_id: str) -> Receipt:
        """Accept or reject each application of an offered batch in one transaction.

        About ten statements whatever the batch size: entries are checked in memory, existing
        deliveries and revisions are read in one query each, and rows are inserted in bulk. The
        counter row is locked only for the last part (deliveries, receipt), which is what orders
        commits; the checks before it run side by side with other commits on PostgreSQL.
        """
        with self._write(), Session(self.engine) as s:
            batch = s.get(HubBatch, batch_id, with_for_update=True)
            if batch is None:
                raise HubError(
                    404, "unknown_batch", "没有这个批次，请先提交清单", "batch not offered"
                )
            if batch.office_id != office.id:
                raise HubError(403, "forbidden", "该批次属于其他单位", "batch of another office")
            if batch.state == "committed" and batch.receipt is not None:
                return Receipt.model_validate_json(batch.receipt)
            manifest = Manifest.model_validate_json(batch.manifest)
            shas = [b.sha256 for b in manifest.unique_blobs()]
            present = self._present(s, office, shas)
            missing = [sha for sha in shas if sha not in present]
            if missing:
                raise HubError(
                    409,
                    "blobs_missing",
                    f"还有 {len(missing)} 个附件未上传完",
                    "blobs missing",
                    missing=missing,
                )
            to = s.get(HubOffice, batch.to_office_id)
            assert to is not None and office.id is not None and to.id is not None
            path = s.exec(
                select(HubPath.path_id).where(
                    HubPath.lower_id == office.id,
                    HubPath.upper_id == to.id,
                    HubPath.series == manifest.series,
                    HubPath.level == manifest.level,
                    HubPath.state == "approved",
                )
            ).first()
            checked = _check_entries(manifest, office, to, has_path=path is not None)
            self._refuse_foreign(s, office, to, checked)
            candidates = [e for e, reasons in checked if not reasons]
            # From here on one commit at a time: deliveries are read and written under the
            # counter lock, so a head cannot move between the check and the insert.
            counter = s.get(HubCounter, SEQ, with_for_update=True)
            assert counter is not None
            delivered = self._delivered(s, to.id, candidates)
            returned = rereport.returns_since(s, to.id, delivered)
            now = utcnow()
            results: list[EntryResult] = []
            accepted: list[ManifestEntry] = []
            for entry, reasons in checked:
                if not reasons:
                    app_id = str(entry.application_id)
                    result = _decide(entry, to, delivered.get(app_id, {}))
                    result = rereport.after_return(entry, result, returned.get(app_id), now)
                    if result is None:
                        counter.value += 1
                        accepted.append(entry)
                        result = EntryResult(
                            application_id=entry.application_id,
                            revision=entry.revision,
                            accepted=True,
                            seq=counter.value,
                        )
                else:
                    result = _reject(entry, reasons)
                results.append(result)
            # A re-report after a return may carry a revision delivered before: moved, not added.
            again = [e for e in accepted if e.revision in delivered.get(str(e.application_id), {})]
            seqs = {(str(r.application_id), r.revision): r.seq or 0 for r in results}
            rereport.redeliver(s, office.id, to.id, batch.batch_id, again, seqs)
            fresh = [e for e in accepted if not any(e is a for a in again)]
            self._insert_accepted(s, office.id, to.id, batch.batch_id, fresh, results)
            receipt = Receipt(
                batch_id=manifest.batch_id,
                manifest_hash=batch.manifest_hash,
                from_office=office_info(office),
                to_office=office_info(to),
                results=results,
                committed_at=utcnow(),
            )
            batch.state = "committed"
            batch.receipt = receipt.model_dump_json()
            batch.committed_at = receipt.committed_at
            s.add(batch)
            s.add(counter)
            hub_audit.append(
                s,
                office.credit_code,
                "batch.commit",
                batch.batch_id,
                {
                    "to": to.credit_code,
                    "accepted": [str(e.application_id) for e in accepted],
                    "rejected": sum(1 for r in results if not r.accepted),
                },
            )
            s.commit()
            _crash_point("committed")
            return receipt

    @staticmethod
    def _refuse_foreign(
        s: Session, office: HubOffice, to: HubOffice, checked: list[tuple[ManifestEntry, list[str]]]
    ) -> None:
        """Add a reason to each entry that would continue another office's chain."""
        entries = [e for e, reasons in checked if not reasons]
        if not entries:
            return
        travels = s.exec(
            select(
                HubDelivery.application_id, HubDelivery.from_office_id, HubDelivery.to_office_id
            ).where(col(HubDelivery.application_id).in_([str(e.application_id) for e in entries]))
        ).all()
        foreign = _foreign_reasons(office, to, entries, list(travels))
        for entry, reasons in checked:
            why = foreign.get(str(entry.application_id))
            if why is not None and not reasons:
                reasons.append(why)

    @staticmethod
    def _delivered(
        s: Session, to_id: int, entries: list[ManifestEntry]
    ) -> dict[str, dict[str, int]]:
        """For each application, the revisions already delivered to `to_id` and their seqs."""
        app_ids = [str(e.application_id) for e in entries]
        found: dict[str, dict[str, int]] = {}
        if not app_ids:
            return found
        rows = s.exec(
            select(HubDelivery.application_id, HubDelivery.revision, HubDelivery.seq).where(
                col(HubDelivery.application_id).in_(app_ids), HubDelivery.to_office_id == to_id
            )
        ).all()
        for app_id, revision, seq in rows:
            found.setdefault(app_id, {})[revision] = seq
        return found

    @staticmethod
    def _insert_accepted(
        s: Session,
        from_id: int,
        to_id: int,
        batch_id: str,
        accepted: list[ManifestEntry],
        results: list[EntryResult],
    ) -> None:
        """Revisions (once each), their blob references and the deliveries, in bulk."""
        if not accepted:
            return
        keys = [(str(e.application_id), e.revision) for e in accepted]
        held = set(
            s.exec(
                select(HubRevision.application_id, HubRevision.revision).where(
                    tuple_(col(HubRevision.application_id), col(HubRevision.revision)).in_(keys)
                )
            ).all()
        )
        fresh = [e for e in accepted if (str(e.application_id), e.revision) not in held]
        now = utcnow()
        if fresh:
            s.execute(
                insert(HubRevision),
                [
                    {
                        "application_id": str(e.application_id),
                        "revision": e.revision,
                        "body": e.application,
                        "created_at": now,
                    }
                    for e in fresh
                ],
            )
            refs = [
                {"application_id": str(e.application_id), "revision": e.revision, "sha256": sha}
                for e in fresh
                for sha in sorted({blob.sha256 for blob in e.blobs})
            ]
            if refs:
                s.execute(insert(HubBlobRef), refs)
        seqs = {(r.application_id, r.revision): r.seq for r in results if r.accepted}
        s.execute(
            insert(HubDelivery),
            [
                {
                    "seq": seqs[(e.application_id, e.revision)],
                    "application_id": str(e.application_id),
                    "revision": e.revision,
                    "supersedes": e.supersedes,
                    "from_office_id": from_id,
                    "to_office_id": to_id,
                    "batch_id": batch_id,
                    "series": e.series,
                    "level": e.level,
                    "year": e.year,
                    "blobs": json.dumps([blob.model_dump(mode="json") for blob in e.blobs]),
                    "created_at": now,
                }
                for e in accepted
            ],
        )

    # ------------------------------------------------------------ inbox and blobs

    def inbox(self, office: HubOffice, after: int, limit: int = 100) -> InboxPage:
        limit = max(1, min(limit, PAGE_MAX))
        with Session(self.engine) as s:
            rows = s.exec(
                select(HubDelivery, HubRevision, HubOffice)
                .join(
                    HubRevision,
                    (col(HubRevision.application_id) == col(HubDelivery.application_id))
                    & (col(HubRevision.revision) == col(HubDelivery.revision)),
                )
                .join(HubOffice, col(HubOffice.id) == col(HubDelivery.from_office_id))
                .where(HubDelivery.to_office_id == office.id, col(HubDelivery.seq) > after)
                .order_by(col(HubDelivery.seq))
                .limit(limit + 1)
            ).all()
        items = [
            InboxItem(
                seq=d.seq,
                batch_id=d.batch_id,
                application_id=d.application_id,
                revision=d.revision,
                supersedes=d.supersedes,
                from_office=office_info(frm),
                series=d.series,
                level=d.level,
                year=d.year,
                blobs=[BlobRef.model_validate(b) for b in json.loads(d.blobs)],
                application=rev.body,
            )
            for d, rev, frm in rows[:limit]
        ]
        cursor = items[-1].seq if items else after
        return InboxPage(items=items, cursor=cursor, more=len(rows) > limit)

    def open_blob(self, office: HubOffice, blob_id: str) -> BlobFile:
        """A stored blob this office may read: its own upload, or named by a revision it sent or
        received."""
        self._check_digest(blob_id)
        if not self._may_read(office, blob_id):
            raise self._not_found()  # whether it exists is none of this office's business
        path = self.blobs.path(blob_id)
        return BlobFile(path=path, size=path.stat().st_size)

    # ------------------------------------------------------------ returns

    def send_return(self, office: HubOffice, return_id: str, req: ReturnRequest) -> ReturnItem:
        """Record a return from `office` down to whoever reported that revision to it."""
        for attempt in range(RACE_RETRIES):
            try:
                return self._send_return(office, return_id, req)
            except IntegrityError:
                # The same return id arrived twice at once (a retry overtaking its original).
                if attempt + 1 == RACE_RETRIES:
                    raise
        raise AssertionError("unreachable")

    def _send_return(self, office: HubOffice, return_id: str, req: ReturnRequest) -> ReturnItem:
        digest = digest_of(req)
        app_id = str(req.application_id)
        with self._write(), Session(self.engine) as s:
            existing = s.get(HubReturn, return_id)
            if existing is not None:
                _check_replay(
                    existing.from_office_id, office, existing.request_hash == digest, "退回"
                )
                return self._return_item(s, existing)
            delivery = s.exec(
                select(HubDelivery)
                .where(
                    HubDelivery.application_id == app_id,
                    HubDelivery.revision == req.revision,
                    HubDelivery.to_office_id == office.id,
                )
                .order_by(col(HubDelivery.seq).desc())
            ).first()
            if delivery is None:
                raise HubError(
                    403,
                    "not_received",
                    "本单位没有收到这份申报的这个版本，不能退回",
                    "this revision was not reported to this office",
                )
            counter = s.get(HubCounter, SEQ, with_for_update=True)
            assert counter is not None and office.id is not None
            counter.value += 1
            row = HubReturn(
                return_id=return_id,
                seq=counter.value,
                application_id=app_id,
                revision=req.revision,
                from_office_id=office.id,
                to_office_id=delivery.from_office_id,
                request_hash=digest,
                body=req.model_dump_json(),
            )
            s.add(row)
            s.add(counter)
            hub_audit.append(
                s,
                office.credit_code,
                "return.send",
                return_id,
                {"application_id": app_id, "revision": req.revision},
            )
            s.commit()
            return self._return_item(s, row)

    def _return_item(self, s: Session, row: HubReturn) -> ReturnItem:
        req = ReturnRequest.model_validate_json(row.body)
        frm = s.get(HubOffice, row.from_office_id)
        to = s.get(HubOffice, row.to_office_id)
        assert frm is not None and to is not None
        return ReturnItem(
            return_id=row.return_id,
            seq=row.seq,
            application_id=req.application_id,
            revision=req.revision,
            corrections=req.corrections,
            deadline=req.deadline,
            message=req.message,
            from_office=office_info(frm),
            to_office=office_info(to),
            created_at=row.created_at,
        )

    def returns(self, office: HubOffice, after: int, limit: int = 100) -> ReturnsPage:
        limit = max(1, min(limit, PAGE_MAX))
        with Session(self.engine) as s:
            rows = s.exec(
                select(HubReturn)
                .where(HubReturn.to_office_id == office.id, col(HubReturn.seq) > after)
                .order_by(col(HubReturn.seq))
                .limit(limit + 1)
            ).all()
            items = [self._return_item(s, r) for r in rows[:limit]]
        cursor = items[-1].seq if items else after
        return ReturnsPage(items=items, cursor=cursor, more=len(rows) > limit)

    def ack(self, office: HubOffice, feed: str, cursor: int) -> int:
        """Record how far an office has applied a feed; only ever moves forward."""
        with self._write(), Session(self.engine) as s:
            row = s.get(HubOffice, office.id, with_for_update=True)
            assert row is not None
            if feed == "inbox":
                row.inbox_ack = max(row.inbox_ack, cursor)
                value = row.inbox_ack
            else:
                row.returns_ack = max(row.returns_ack, cursor)
                value = row.returns_ack
            s.add(row)
            s.commit()
            return value

    # ------------------------------------------------------------ paths

    def _path_info(self, s: Session, row: HubPath, *, reused: bool = False) -> PathInfo:
        lower = s.get(HubOffice, row.lower_id)
        upper = s.get(HubOffice, row.upper_id)
        assert lower is not None and upper is not None
        return PathInfo(
            path_id=row.path_id,
            lower_office=office_info(lower),
            upper_office=office_info(upper),
            series=row.series,
            level=row.level,
            year=row.year,
            state=row.state,
            reason=row.reason,
            requested_at=row.requested_at,
            decided_at=row.decided_at,
            reused=reused,
        )

    def put_path(self, office: HubOffice, path_id: str, req: PathRequest) -> PathInfo:
        """路径申请, idempotent by path id; an approved (or pending) path of the edge is reused."""
        try:
            return self._put_path(office, path_id, req)
        except IntegrityError:
            pass  # the same id was stored a moment ago (a retry overtaking its original)
        try:
            return self._put_path(office, path_id, req)
        except IntegrityError:
            raise HubError(409, "path_conflict", "路径编号冲突", "path id conflict") from None

    def _put_path(self, office: HubOffice, path_id: str, req: PathRequest) -> PathInfo:
        with self._write(), Session(self.engine) as s:
            upper = self._office_by_code(s, req.upper_office)
            if upper.id == office.id:
                raise HubError(422, "self_path", "不能向本单位申请路径", "path to self")
            self._check_path_rules(office, upper, req)
            existing = s.get(HubPath, path_id)
            if existing is not None:
                same = (existing.upper_id, existing.series, existing.level, existing.year) == (
                    upper.id,
                    req.series,
                    req.level,
                    req.year,
                )
                _check_replay(existing.lower_id, office, same, "路径")
                return self._path_info(s, existing)
            for state in ("approved", "pending"):
                earlier = s.exec(
                    select(HubPath)
                    .where(
                        HubPath.lower_id == office.id,
                        HubPath.upper_id == upper.id,
                        HubPath.series == req.series,
                        HubPath.level == req.level,
                        HubPath.state == state,
                    )
                    .order_by(col(HubPath.requested_at).desc())
                ).first()
                if earlier is not None:
                    return self._path_info(s, earlier, reused=True)
            assert office.id is not None and upper.id is not None
            row = HubPath(
                path_id=path_id,
                lower_id=office.id,
                upper_id=upper.id,
                series=req.series,
                level=req.level,
                year=req.year,
                state="pending",
            )
            s.add(row)
            hub_audit.append(
                s,
                office.credit_code,
                "path.request",
                path_id,
                {
                    "upper": upper.credit_code,
                    "series": req.series,
                    "level": req.level,
                    "year": req.year,
                },
            )
            s.commit()
            return self._path_info(s, row)

    def _check_path_rules(self, lower: HubOffice, upper: HubOffice, req: PathRequest) -> None:
        """Refuse a path the catalogue, the chain or the routing table does not allow."""
        from zcreview.configfiles import load_config
        from zcreview.domain.path_rules import PathEnd, path_problems

        def end(o: HubOffice) -> PathEnd:
            return PathEnd(o.name, o.office_type, o.office_level)

        problems = path_problems(
            end(lower), end(upper), req.series, req.level, req.year, load_config(), date.today()
        )
        if problems:
            raise HubError(422, "path_not_allowed", "；".join(problems), "path not allowed")

    def list_paths(self, office: HubOffice, role: Role) -> list[PathInfo]:
        column = HubPath.upper_id if role == "upper" else HubPath.lower_id
        with Session(self.engine) as s:
            rows = s.exec(
                select(HubPath).where(column == office.id).order_by(col(HubPath.requested_at))
            ).all()
            return [self._path_info(s, r) for r in rows]

    def decide_path(self, office: HubOffice, path_id: str, decision: PathDecision) -> PathInfo:
        """路径审核 by the upper office; a replay of the same decision answers the same."""
        with self._write(), Session(self.engine) as s:
            row = s.get(HubPath, path_id, with_for_update=True)
            if row is None:
                raise HubError(404, "unknown_path", "没有这个路径申请", "path not found")
            if row.upper_id != office.id:
                raise HubError(403, "forbidden", "只有上级单位能审核该路径", "not the upper office")
            wanted = "approved" if decision.approve else "rejected"
            if row.state == "pending":
                if not decision.approve and not decision.reason.strip():
                    raise HubError(
                        422, "reason_required", "审核不通过须写明原因", "a rejection needs a reason"
                    )
                row.state = wanted
                row.reason = decision.reason
                row.decided_at = utcnow()
                s.add(row)
                hub_audit.append(
                    s,
                    office.credit_code,
                    "path.approve" if decision.approve else "path.reject",
                    path_id,
                    {"reason": decision.reason} if decision.reason else None,
                )
                s.commit()
            elif row.state != wanted:
                raise HubError(
                    409, "path_decided", "该路径已审核，不能改变", "path already decided"
                )
            return self._path_info(s, row)
