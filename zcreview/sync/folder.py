"""The folder transport: this office's batches, returns and path requests as bundles in an
exchange folder (USB stick, scp, shared drive), encrypted to the receiving office.

Blobs are written chunk by chunk as sealed records (`sealing`), so an interrupted copy resumes
at the last whole record; the manifest and its signature come last. See `bundle_files` for the
layout, `bundle_import` for the receiving side.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from pydantic import ValidationError
from sqlmodel import col, select

from zcreview.hub.errors import HubError
from zcreview.hub.offices import fuzzy_score
from zcreview.hub.web.statuses import status_of
from zcreview.protocol import (
    BlobNeed,
    InboxPage,
    Manifest,
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
    Wire,
)
from zcreview.storage.blobs import valid_digest
from zcreview.storage.store import Store
from zcreview.storage.sync_tables import BundleKey, BundleSent, OutboxBatch, ReturnReceived
from zcreview.storage.tables import utcnow
from zcreview.sync.bundle_files import (
    BLOBS,
    DECISION_SIGNATURE,
    MANIFEST,
    PATH_DECISION,
    PATH_REQUEST,
    PATHS,
    RECEIPT,
    RECEIPTS,
    RETURN,
    RETURNS,
    SIGNATURE,
    BundleError,
    PathRequestFile,
    append_durably,
    blob_entry,
    disk_error,
    fsync_dir,
)
from zcreview.sync.bundle_hub import local_hub
from zcreview.sync.bundle_import import import_receipt_verified, return_item
from zcreview.sync.bundle_trust import (
    addressed_to,
    cipher_to,
    identity,
    read_own,
    read_signed,
    sign_and_write,
    signer_of,
)
from zcreview.sync.sealing import BundleCipher, SealError, parse_sealed, scan_records
from zcreview.sync.transport import (
    AwaitingReceipt,
    ChunkRejected,
    Feed,
    OffsetMismatch,
    Refused,
    SyncError,
    Transport,
    Via,
)


class FolderTransport(Transport):
    """Writes this office's batches, returns and path requests into an exchange folder.

    `commit` answers with the receipt once the receiver has imported the bundle and its receipt
    is in the folder; until then it raises AwaitingReceipt and the batch waits in 确认中.
    """

    VIA: ClassVar[Via] = "folder"

    def __init__(self, folder: Path, store: Store, *, own_store: bool = False) -> None:
        self.folder = folder
        self.store = store
        self.own_store = own_store
        self._manifest: Manifest | None = None
        self._cipher: BundleCipher | None = None
        self._sizes: dict[str, int] = {}

    def close(self) -> None:
        if self.own_store:
            self.store.dispose()

    def _ready(self) -> None:
        if self.folder.is_dir():
            return
        if not self.folder.parent.is_dir():
            raise SyncError(f"找不到交换文件夹 {self.folder}（U 盘未插入或路径有误）")
        try:
            self.folder.mkdir()
        except OSError as exc:
            raise disk_error(self.folder, exc) from None

    def _bundle(self, batch_id: str) -> Path:
        return self.folder / batch_id

    def _receiver_has(self, to_code: str) -> set[str]:
        """Blobs of earlier bundles the same receiver has imported (its receipt came back)."""
        with self.store.session() as s:
            manifests = s.exec(
                select(OutboxBatch.manifest)
                .join(BundleSent, col(BundleSent.batch_id) == col(OutboxBatch.batch_id))
                .where(BundleSent.to_code == to_code, col(OutboxBatch.receipt).is_not(None))
            ).all()
        return {b.sha256 for m in manifests for b in Manifest.model_validate_json(m).unique_blobs()}

    def offer(self, manifest: Manifest) -> OfferAnswer:
        self._ready()
        batch_id = str(manifest.batch_id)
        bundle = self._bundle(batch_id)
        digest = manifest.digest()
        # Before any byte is written: a receiver without an encryption key gets nothing.
        self._cipher = cipher_to(self.store, manifest.to_office, batch_id)
        written = bundle / MANIFEST
        self._reseal_clear(bundle, digest)
        if written.is_file():
            raw = read_own(self.store, bundle, MANIFEST, manifest.to_office)
            try:
                same = raw is not None and Manifest.model_validate_json(raw).digest() == digest
            except ValidationError:
                same = False
            if not same:
                raise Refused(409, "conflict", f"{written} 已是另一份清单（已封存的批次不能修改）")
        committed = self._receipt(str(manifest.batch_id), digest) is not None
        known = self._receiver_has(manifest.to_office)
        missing: list[BlobNeed] = []
        self._sizes = {}
        for blob in manifest.unique_blobs():
            final = bundle / BLOBS / blob.sha256
            if final.is_file() and final.stat().st_size == blob.size:
                final.unlink()  # in clear (an older program): a sealed file is always longer
            if blob.sha256 in known or final.is_file():  # renamed only once verified
                continue
            part = self._part(bundle, blob.sha256)
            have = scan_records(part)[0]
            if have > blob.size:
                part.unlink()
                have = 0
            self._sizes[blob.sha256] = blob.size
            missing.append(BlobNeed(sha256=blob.sha256, size=blob.size, have=have))
        self._manifest = manifest
        return OfferAnswer(
            batch_id=manifest.batch_id, manifest_hash=digest, missing=missing, committed=committed
        )

    def _reseal_clear(self, bundle: Path, digest: str) -> None:
        """A manifest an older program wrote in clear, not yet imported, goes (with its
        signature) and is written again sealed; one already imported stays as it is."""
        written = bundle / MANIFEST
        try:
            clear = written.is_file() and parse_sealed(written.read_bytes(), str(written)) is None
        except (OSError, SealError):
            clear = False
        if clear and self._receipt(bundle.name, digest) is None:
            for name in (SIGNATURE, MANIFEST):
                (bundle / name).unlink(missing_ok=True)

    @staticmethod
    def _part(bundle: Path, blob_id: str) -> Path:
        return bundle / BLOBS / f".{blob_id}.part"

    def _current(self) -> Path:
        if self._manifest is None:
            raise SyncError("尚未提交清单")
        return self._bundle(str(self._manifest.batch_id))

    def upload_chunk(self, blob_id: str, offset: int, data: bytes) -> int:
        if not valid_digest(blob_id) or blob_id not in self._sizes or self._cipher is None:
            raise Refused(404, "unknown_blob", "清单中没有这个附件")
        bundle = self._current()
        size = self._sizes[blob_id]
        final = bundle / BLOBS / blob_id
        if final.is_file():
            if offset != size:
                raise OffsetMismatch(size)
            return size
        part = self._part(bundle, blob_id)
        have, records, keep = scan_records(part)
        if offset != have:
            raise OffsetMismatch(have)
        if offset + len(data) > size:
            raise Refused(422, "too_long", "数据超出附件大小")
        new = have + len(data)
        entry = blob_entry(blob_id)
        append_durably(part, self._cipher.seal_record(entry, records, new == size, data), keep)
        if new == size:
            if not self._written_whole(part, entry, size, blob_id):
                part.unlink()
                raise ChunkRejected(f"{final} 写入后校验失败，已删除，将重写")
            os.replace(part, final)
            fsync_dir(final.parent)
        return new

    def _written_whole(self, part: Path, entry: str, size: int, blob_id: str) -> bool:
        """Read the sealed blob back: it decrypts and hashes to its name."""
        assert self._cipher is not None
        digest = hashlib.sha256()
        try:
            for chunk in self._cipher.open_records(part, entry, size):
                digest.update(chunk)
        except SealError:
            return False
        return digest.hexdigest() == blob_id

    def head_offset(self, blob_id: str) -> int:
        bundle = self._current()
        if (bundle / BLOBS / blob_id).is_file():
            return self._sizes.get(blob_id, 0)
        return scan_records(self._part(bundle, blob_id))[0]

    def _receipt(self, batch_id: str, manifest_hash: str) -> Receipt | None:
        folder = self.folder / RECEIPTS / batch_id
        if not (folder / RECEIPT).is_file():
            return None
        imported = import_receipt_verified(self.store, folder)
        if imported.manifest_hash != manifest_hash:
            raise BundleError(f"{folder}：回执对应的清单不是本批次的")
        return imported

    def commit(self, batch_id: str, held: Receipt | None = None) -> Receipt:
        manifest = self._manifest
        if manifest is None or str(manifest.batch_id) != batch_id:
            raise SyncError("提交前须先提交清单")
        receipt = self._receipt(batch_id, manifest.digest())
        if receipt is not None:
            return receipt
        bundle = self._bundle(batch_id)
        known = self._receiver_has(manifest.to_office)
        absent = [
            b.sha256
            for b in manifest.unique_blobs()
            if b.sha256 not in known and not (bundle / BLOBS / b.sha256).is_file()
        ]
        if absent:
            raise Refused(409, "blobs_missing", f"还有 {len(absent)} 个附件未写入文件夹")
        if not (bundle / SIGNATURE).is_file():
            with self.store.session() as s:
                if s.get(BundleSent, batch_id) is None:
                    s.add(
                        BundleSent(
                            batch_id=batch_id, to_code=manifest.to_office, folder=str(self.folder)
                        )
                    )
                    s.commit()
            data = manifest.model_dump_json().encode()
            sign_and_write(
                self.store, bundle, MANIFEST, SIGNATURE, "batch", data, seal_to=manifest.to_office
            )
        with self.store.session() as s:
            batch = s.get(OutboxBatch, batch_id)
            to = batch.to_name if batch is not None else manifest.to_office
        raise AwaitingReceipt(
            f"批次已写入 {bundle}，等待 {to} 导入（zcreview bundle import）并带回回执"
        )

    def inbox(self, after: int, limit: int = 100) -> InboxPage:
        # Bundles from below arrive through import_dir, which records them itself.
        return InboxPage(items=[], cursor=after, more=False)

    def fetch_blob(self, blob_id: str, start: int = 0) -> Iterator[bytes]:
        if self.store.blobs.has(blob_id):
            with self.store.blobs.path(blob_id).open("rb") as f:
                f.seek(start)
                yield from iter(lambda: f.read(1024 * 1024), b"")
            return
        raise Refused(404, "unknown_blob", "文件夹方式的附件随批次送达，本单位没有这个附件")

    def returns(self, after: int, limit: int = 100) -> ReturnsPage:
        """New returns in the folder for this office; `after` is not used (seqs of several
        offices' bundle hubs do not compare) and the cursor stays put: apply is by return id."""
        me = identity(self.store).credit_code
        items: list[ReturnItem] = []
        root = self.folder / RETURNS
        with self.store.session() as s:
            for sub in sorted(root.iterdir()) if root.is_dir() else []:
                if signer_of(sub, SIGNATURE) == me or addressed_to(
                    sub / RETURN, ("to_office", "credit_code")
                ) not in (me, None):
                    continue
                item = return_item(self.store, sub)
                if s.get(ReturnReceived, str(item.return_id)) is None:
                    items.append(item)
        items.sort(key=lambda i: (i.from_office.credit_code, i.seq))
        return ReturnsPage(items=items, cursor=after, more=False)

    def _publish(
        self,
        folder: Path,
        file: str,
        sig_file: str,
        kind: str,
        model: Wire,
        seal_to: str | None = None,
    ) -> None:
        """Write a signed answer (encrypted to `seal_to`) unless the same one is there already."""
        self._ready()
        data = model.model_dump_json().encode()
        to = seal_to or ""
        if read_own(self.store, folder, file, to, sealed_only=seal_to is not None) != data:
            sign_and_write(self.store, folder, file, sig_file, kind, data, seal_to=seal_to)

    def send_return(self, return_id: str, request: ReturnRequest) -> ReturnItem:
        hub, me = local_hub(self.store)
        try:
            item = hub.send_return(me, return_id, request)
        except HubError as exc:
            raise Refused(status_of(exc.code), exc.code, exc.message.split(" / ")[0]) from None
        to = item.to_office.credit_code
        self._publish(self.folder / RETURNS / return_id, RETURN, SIGNATURE, "return", item, to)
        return item

    def put_path(self, path_id: str, request: PathRequest) -> PathInfo:
        self._ready()
        me = identity(self.store)
        with self.store.session() as s:
            upper = s.get(BundleKey, request.upper_office)
        if upper is None:
            raise Refused(422, "unknown_office", f"单位 {request.upper_office} 的公钥尚未信任")
        folder = self.folder / PATHS / path_id
        if not (folder / PATH_REQUEST).is_file():
            body = PathRequestFile(
                path_id=path_id, lower_office=me, request=request, requested_at=utcnow()
            )
            data = body.model_dump_json().encode()
            sign_and_write(self.store, folder, PATH_REQUEST, SIGNATURE, "path-request", data)
        body = PathRequestFile.model_validate_json((folder / PATH_REQUEST).read_bytes())
        return self._path_info(
            folder, body, OfficeInfo(name=upper.name, credit_code=upper.credit_code)
        )

    def _path_info(self, folder: Path, body: PathRequestFile, upper: OfficeInfo) -> PathInfo:
        if (folder / PATH_DECISION).is_file():
            raw, _ = read_signed(
                self.store, folder, PATH_DECISION, DECISION_SIGNATURE, "path-decision"
            )
            return PathInfo.model_validate_json(raw)
        return PathInfo(
            path_id=body.path_id,
            lower_office=body.lower_office,
            upper_office=upper,
            series=body.request.series,
            level=body.request.level,
            year=body.request.year,
            state="pending",
            requested_at=body.requested_at,
        )

    def list_paths(self, role: Role) -> list[PathInfo]:
        if role == "upper":
            hub, me = local_hub(self.store)
            return hub.list_paths(me, "upper")
        me_code = identity(self.store).credit_code
        root = self.folder / PATHS
        infos: list[PathInfo] = []
        for sub in sorted(root.iterdir()) if root.is_dir() else []:
            if signer_of(sub, SIGNATURE) != me_code or not (sub / PATH_REQUEST).is_file():
                continue
            body = PathRequestFile.model_validate_json((sub / PATH_REQUEST).read_bytes())
            with self.store.session() as s:
                upper = s.get(BundleKey, body.request.upper_office)
            name = upper.name if upper is not None else body.request.upper_office
            infos.append(
                self._path_info(
                    sub, body, OfficeInfo(name=name, credit_code=body.request.upper_office)
                )
            )
        return infos

    def decide_path(self, path_id: str, decision: PathDecision) -> PathInfo:
        hub, me = local_hub(self.store)
        try:
            info = hub.decide_path(me, path_id, decision)
        except HubError as exc:
            raise Refused(status_of(exc.code), exc.code, exc.message.split(" / ")[0]) from None
        self.publish_decision(info)
        return info

    def publish_decision(self, info: PathInfo) -> None:
        """Write a path decision of this office into the folder (unless already there)."""
        folder = self.folder / PATHS / str(info.path_id)
        self._publish(folder, PATH_DECISION, DECISION_SIGNATURE, "path-decision", info)

    def find_offices(self, query: str) -> list[OfficeInfo]:
        with self.store.session() as s:
            rows = s.exec(select(BundleKey)).all()
        scored = [(fuzzy_score(query, r.name), r) for r in rows]
        ranked = sorted(((sc, r) for sc, r in scored if sc is not None), key=lambda t: t[0])
        exact = [r for r in rows if query == r.credit_code]
        return [
            OfficeInfo(name=r.name, credit_code=r.credit_code)
            for r in exact or [r for _, r in ranked]
        ]

    def ack(self, feed: Feed, cursor: int) -> int:
        return cursor
