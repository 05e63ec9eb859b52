"""The hub's rules over storage: offers, resumable uploads, atomic commits, inboxes, returns, paths.

The ASGI app (hub.py) is a thin skin over `Hub`; bundle import runs the same methods.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from storage.blobs import BlobStore, sha256_file, valid_digest
from storage.engine import make_engine
from storage.migrations import migrate
from storage.sync_tables import (
    HubBatch,
    HubBlobRef,
    HubCounter,
    HubDelivery,
    HubOffice,
    HubPath,
    HubReturn,
    HubRevision,
    HubUpload,
)
from storage.tables import utcnow
from zcreview.domain.model import Application, iter_attachments
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


@dataclass(frozen=True)
class BlobFile:
    path: Path
    size: int


class Hub:
    """Hub state: a database (offices, paths, batches …) and a content-addressed blob directory."""

    def __init__(self, engine: Engine, data_dir: Path) -> None:
        self.engine = engine
        self.data_dir = data_dir
        self.blobs = BlobStore(data_dir / "blobs")
        self.partial_dir = data_dir / "partial"
        self.partial_dir.mkdir(parents=True, exist_ok=True)
        # One writer at a time in this process: SQLite needs it, and on PostgreSQL the counter
        # row lock serialises writers across processes as well.
        self._write_lock = threading.Lock()
        self._blob_locks: dict[str, threading.Lock] = {}
        self._blob_locks_guard = threading.Lock()
        with self._write(), Session(engine) as s:
            if s.get(HubCounter, SEQ) is None:
                s.add(HubCounter(name=SEQ, value=0))
                s.commit()

    @classmethod
    def open(cls, data_dir: Path, db_url: str | None = None) -> Hub:
        """Open (creating and migrating) a hub whose data lives in `data_dir`."""
        data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(db_url or f"sqlite:///{(data_dir / 'hub.db').resolve()}")
        migrate(engine)
        return cls(engine, data_dir)

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[None]:
        with self._write_lock:
            yield

    def _blob_lock(self, blob_id: str) -> threading.Lock:
        with self._blob_locks_guard:
            return self._blob_locks.setdefault(blob_id, threading.Lock())

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
            s.commit()
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
        try:
            committed = self._record_offer(office, batch_id, manifest, digest)
        except IntegrityError:
            # Another hub process recorded the same batch or blob a moment ago; look again.
            committed = self._record_offer(office, batch_id, manifest, digest)
        missing = []
        for blob in manifest.unique_blobs():
            if not self.blobs.has(blob.sha256):
                have = self.upload_state(blob.sha256).offset
                missing.append(BlobNeed(sha256=blob.sha256, size=blob.size, have=have))
        return OfferAnswer(
            batch_id=manifest.batch_id, manifest_hash=digest, missing=missing, committed=committed
        )

    def _record_offer(
        self, office: HubOffice, batch_id: str, manifest: Manifest, digest: str
    ) -> bool:
        """Store the batch and its blob declarations; True when it was committed already."""
        with self._write(), Session(self.engine) as s:
            existing = s.get(HubBatch, batch_id)
            if existing is not None:
                _check_replay(existing.office_id, office, existing.manifest_hash == digest, "批次")
                return existing.state == "committed"
            else:
                to = self._office_by_code(s, manifest.to_office)
                if to.id == office.id:
                    raise HubError(422, "self_report", "不能向本单位上报", "cannot report to self")
                for blob in manifest.unique_blobs():
                    up = s.get(HubUpload, blob.sha256)
                    if up is None:
                        s.add(HubUpload(blob_id=blob.sha256, size=blob.size, mime=blob.mime))
                    elif up.size != blob.size or (
                        self.blobs.has(blob.sha256)
                        and self.blobs.path(blob.sha256).stat().st_size != blob.size
                    ):
                        raise HubError(
                            422,
                            "blob_size_conflict",
                            f"附件 {blob.sha256[:12]} 的大小与先前声明不符",
                            "blob size differs from an earlier declaration",
                        )
                assert office.id is not None and to.id is not None
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

    def _partial(self, blob_id: str) -> Path:
        return self.partial_dir / blob_id

    def upload_state(self, blob_id: str) -> UploadState:
        """Where an upload stands (HEAD). Reconciles the file with the recorded offset."""
        self._check_digest(blob_id)
        if self.blobs.has(blob_id):
            size = self.blobs.path(blob_id).stat().st_size
            return UploadState(blob_id=blob_id, offset=size, size=size, complete=True)
        with self._blob_lock(blob_id):
            up = self._load_upload(blob_id)
            offset = self._reconcile(up)
        return UploadState(blob_id=blob_id, offset=offset, size=up.size, complete=False)

    def _load_upload(self, blob_id: str) -> HubUpload:
        # A short read of its own: a long-lived SQLite read snapshot could not be upgraded to a
        # write once another thread has committed (SQLITE_BUSY_SNAPSHOT).
        with Session(self.engine) as s:
            up = s.get(HubUpload, blob_id)
        if up is None:
            raise HubError(404, "unknown_blob", "没有声明这个附件", "blob not declared")
        return up

    def _record_offset(self, blob_id: str, offset: int, complete: bool) -> None:
        with self._write(), Session(self.engine) as s:
            up = s.get(HubUpload, blob_id)
            if up is not None:
                up.offset, up.complete, up.updated_at = offset, complete, utcnow()
                s.add(up)
                s.commit()

    def _reconcile(self, up: HubUpload) -> int:
        """The durable offset: the smaller of the recorded offset and the file's length.

        A crash between writing a chunk and recording its offset leaves extra bytes, which are
        cut off (the client never saw them acknowledged and sends them again).
        """
        path = self._partial(up.blob_id)
        on_disk = path.stat().st_size if path.exists() else 0
        if on_disk > up.offset:
            with path.open("r+b") as f:
                f.truncate(up.offset)
                os.fsync(f.fileno())
        elif on_disk < up.offset:
            self._record_offset(up.blob_id, on_disk, False)
            up.offset = on_disk
        return up.offset

    @staticmethod
    def _check_digest(blob_id: str) -> None:
        if not valid_digest(blob_id):
            raise HubError(
                422, "bad_blob_id", "附件编号应为 64 位小写十六进制 SHA-256", "bad blob id"
            )

    def append_chunk(self, blob_id: str, offset: int, data: bytes, checksum: str) -> UploadState:
        """Append one verified chunk at `offset`, durably, then record the new offset."""
        self._check_digest(blob_id)
        if self.blobs.has(blob_id):
            size = self.blobs.path(blob_id).stat().st_size
            if offset != size:
                raise HubError(409, "offset_mismatch", "附件已完整", "blob complete", offset=size)
            return UploadState(blob_id=blob_id, offset=size, size=size, complete=True)
        with self._blob_lock(blob_id):
            up = self._load_upload(blob_id)
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
            path = self._partial(blob_id)
            with path.open("ab") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            _crash_point("chunk_written")
            new_offset = offset + len(data)
            complete = new_offset == up.size
            if complete:
                self._finish(blob_id, path)
            self._record_offset(blob_id, new_offset, complete)
            return UploadState(blob_id=blob_id, offset=new_offset, size=up.size, complete=complete)

    def _finish(self, blob_id: str, path: Path) -> None:
        """Verify the whole file, then move it into the blob store atomically."""
        if sha256_file(path) != blob_id:
            path.unlink(missing_ok=True)
            self._record_offset(blob_id, 0, False)
            raise HubError(
                422,
                "blob_hash_mismatch",
                "附件整体校验失败，已丢弃，请从头上传",
                "whole-file hash mismatch, start again",
                offset=0,
            )
        target = self.blobs.path(blob_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    # ------------------------------------------------------------ commit

    def commit(self, office: HubOffice, batch_id: str) -> Receipt:
        """Accept or reject each application of an offered batch in one transaction."""
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
            missing = [b.sha256 for b in manifest.unique_blobs() if not self.blobs.has(b.sha256)]
            if missing:
                raise HubError(
                    409,
                    "blobs_missing",
                    f"还有 {len(missing)} 个附件未上传完",
                    "blobs missing",
                    missing=missing,
                )
            counter = s.get(HubCounter, SEQ, with_for_update=True)
            to = s.get(HubOffice, batch.to_office_id)
            assert counter is not None and to is not None
            seen: set[str] = set()
            results = [
                self._commit_entry(s, office, to, batch, e, counter, seen) for e in manifest.entries
            ]
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
            s.commit()
            _crash_point("committed")
            return receipt

    def _commit_entry(
        self,
        s: Session,
        office: HubOffice,
        to: HubOffice,
        batch: HubBatch,
        entry: ManifestEntry,
        counter: HubCounter,
        seen: set[str],
    ) -> EntryResult:
        app_id = str(entry.application_id)

        def reject(*reasons: str) -> EntryResult:
            return EntryResult(
                application_id=entry.application_id,
                revision=entry.revision,
                accepted=False,
                reasons=list(reasons),
            )

        if app_id in seen:
            return reject("同一批次中重复出现")
        seen.add(app_id)
        if hashlib.sha256(entry.application.encode()).hexdigest() != entry.revision:
            return reject("版本号与申报内容不符")
        try:
            app = Application.model_validate_json(entry.application)
        except ValidationError:
            return reject("申报内容无法解析")
        if str(app.application_id) != app_id:
            return reject("申报编号与内容不符")
        b = app.basic
        if (b.series, b.level, b.year) != (entry.series, entry.level, entry.year):
            return reject("清单中的系列、级别或年度与申报内容不符")
        manifest = Manifest.model_validate_json(batch.manifest)
        if (entry.series, entry.level) != (manifest.series, manifest.level):
            return reject(f"不属于本批次的系列和级别（{manifest.series}·{manifest.level}）")
        listed = {blob.sha256 for blob in entry.blobs}
        unlisted = [ref.name for _, ref in iter_attachments(app) if ref.sha256 not in listed]
        if unlisted:
            return reject("附件未列入清单：" + "、".join(unlisted[:5]))
        path = s.exec(
            select(HubPath).where(
                HubPath.lower_id == office.id,
                HubPath.upper_id == to.id,
                HubPath.series == entry.series,
                HubPath.level == entry.level,
                HubPath.state == "approved",
            )
        ).first()
        if path is None:
            return reject(
                f"没有审核通过的路径：{office.name} → {to.name}（{entry.series}·{entry.level}），"
                "请先申请路径"
            )
        same = s.exec(
            select(HubDelivery).where(
                HubDelivery.application_id == app_id,
                HubDelivery.revision == entry.revision,
                HubDelivery.to_office_id == to.id,
            )
        ).first()
        if same is not None:
            return EntryResult(
                application_id=entry.application_id,
                revision=entry.revision,
                accepted=True,
                seq=same.seq,
                duplicate=True,
            )
        head = s.exec(
            select(HubDelivery)
            .where(HubDelivery.application_id == app_id, HubDelivery.to_office_id == to.id)
            .order_by(col(HubDelivery.seq).desc())
        ).first()
        if head is not None and entry.supersedes != head.revision:
            return reject(
                f"{to.name} 已有该申报的版本 {head.revision[:12]}，"
                "新版本必须注明替代的是当前版本（supersedes）"
            )
        if head is None and entry.supersedes is not None:
            return reject(f"替代的版本 {entry.supersedes[:12]} 不是 {to.name} 的当前版本")
        if (
            s.exec(
                select(HubRevision).where(
                    HubRevision.application_id == app_id, HubRevision.revision == entry.revision
                )
            ).first()
            is None
        ):
            s.add(
                HubRevision(application_id=app_id, revision=entry.revision, body=entry.application)
            )
            for sha in sorted(listed):
                s.add(HubBlobRef(application_id=app_id, revision=entry.revision, sha256=sha))
        counter.value += 1
        assert office.id is not None and to.id is not None
        s.add(
            HubDelivery(
                seq=counter.value,
                application_id=app_id,
                revision=entry.revision,
                supersedes=entry.supersedes,
                from_office_id=office.id,
                to_office_id=to.id,
                batch_id=batch.batch_id,
                series=entry.series,
                level=entry.level,
                year=entry.year,
                blobs=json.dumps([blob.model_dump(mode="json") for blob in entry.blobs]),
            )
        )
        s.flush()
        return EntryResult(
            application_id=entry.application_id,
            revision=entry.revision,
            accepted=True,
            seq=counter.value,
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
        """A stored blob this office may read: one named by a revision it sent or received."""
        self._check_digest(blob_id)
        if not self.blobs.has(blob_id):
            raise HubError(404, "unknown_blob", "服务器上没有这个附件", "blob not found")
        with Session(self.engine) as s:
            allowed = s.exec(
                select(HubDelivery.seq)
                .join(
                    HubBlobRef,
                    (col(HubBlobRef.application_id) == col(HubDelivery.application_id))
                    & (col(HubBlobRef.revision) == col(HubDelivery.revision)),
                )
                .where(
                    HubBlobRef.sha256 == blob_id,
                    or_(
                        col(HubDelivery.to_office_id) == office.id,
                        col(HubDelivery.from_office_id) == office.id,
                    ),
                )
                .limit(1)
            ).first()
        if allowed is None:
            raise HubError(403, "forbidden", "无权读取该附件", "blob of another office")
        path = self.blobs.path(blob_id)
        return BlobFile(path=path, size=path.stat().st_size)

    # ------------------------------------------------------------ returns

    def send_return(self, office: HubOffice, return_id: str, req: ReturnRequest) -> ReturnItem:
        """Record a return from `office` down to whoever reported that revision to it."""
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
            row = s.get(HubOffice, office.id)
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
        with self._write(), Session(self.engine) as s:
            upper = self._office_by_code(s, req.upper_office)
            if upper.id == office.id:
                raise HubError(422, "self_path", "不能向本单位申请路径", "path to self")
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
            try:
                s.commit()
            except IntegrityError:
                raise HubError(409, "path_conflict", "路径编号冲突", "path id conflict") from None
            return self._path_info(s, row)

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
            row = s.get(HubPath, path_id)
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
                s.commit()
            elif row.state != wanted:
                raise HubError(
                    409, "path_decided", "该路径已审核，不能改变", "path already decided"
                )
            return self._path_info(s, row)
