"""Folder bundles (USB stick, scp, shared drive): signed batches, receipts, returns and paths.

An exchange folder holds

    <batch_id>/blobs/<sha256>, <batch_id>/manifest.json, <batch_id>/signature.json
    receipts/<batch_id>/receipt.json + signature.json      (receiver → sender)
    returns/<return_id>/return.json + signature.json       (upper → lower)
    paths/<path_id>/request.json | decision.json + signature(-decision).json

Every file is written under a temporary name, fsynced and renamed; the manifest and its signature
come last, so a bundle without them is one still being copied. Import verifies every hash and the
signature before anything changes, then runs the hub's own rules (`hubcore.Hub`) against this
office's database, so paths, UNIQUE(application_id, revision), supersedes and receipts are the
same as over HTTP.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Final

from pydantic import ValidationError
from sqlmodel import Session, col, select

from zcreview.storage.blobs import sha256_file, valid_digest
from zcreview.storage.office import get_self
from zcreview.storage.store import Store
from zcreview.storage.sync_tables import (
    BundleKey,
    BundleSent,
    HubBatch,
    HubCounter,
    HubOffice,
    HubRevision,
    OutboxBatch,
    ReturnReceived,
    SyncCursor,
)
from zcreview.storage.tables import utcnow
from zcreview.sync.hubcore import SEQ, Hub, HubError, fuzzy_score, token_hash
from zcreview.sync.inbox import Received, _apply_return, _receive
from zcreview.sync.outbox import apply_receipt
from zcreview.sync.paths import _mirror
from zcreview.sync.protocol import (
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
from zcreview.sync.signing import OfficeKey, PublicKeyFile, SignatureError, read_signature, verify
from zcreview.sync.transport import (
    AwaitingReceipt,
    ChunkRejected,
    Feed,
    OffsetMismatch,
    Refused,
    SyncError,
    Transport,
)

MANIFEST: Final = "manifest.json"
SIGNATURE: Final = "signature.json"
RECEIPT: Final = "receipt.json"
RETURN: Final = "return.json"
PATH_REQUEST: Final = "request.json"
PATH_DECISION: Final = "decision.json"
DECISION_SIGNATURE: Final = "signature-decision.json"
RECEIPTS: Final = "receipts"
RETURNS: Final = "returns"
PATHS: Final = "paths"
BUNDLE_SEQ_BASE: Final = 10**12
"""The bundle hub in an office database numbers from here, so its deliveries never share a
sequence number (the primary key of sync_inbox) with deliveries from an HTTP hub."""
INBOX_CURSOR: Final = "bundle-inbox"

os_write = os.write
"""The one place bundle files are written; tests replace it to simulate a full disk."""


class BundleError(SyncError):
    """A bundle that cannot be imported or written; the message names the file."""


class NotYet(BundleError):
    """A bundle that needs an earlier one first (a resubmission before its original)."""


class PathRequestFile(Wire):
    """A 路径申请 carried in a folder."""

    path_id: str
    lower_office: OfficeInfo
    request: PathRequest
    requested_at: datetime


# ---------------------------------------------------------------- files


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os_write(fd, view) :]


def _disk_error(path: Path, exc: OSError) -> BundleError:
    if exc.errno == errno.ENOSPC:
        return BundleError(f"磁盘空间不足，未能写入 {path}（未写完的部分已删除，腾出空间后重试）")
    return BundleError(f"写入 {path} 失败：{exc.strerror or exc}")


def write_atomic(path: Path, chunks: bytes | Iterable[bytes]) -> None:
    """Write to a temporary name, fsync, rename, fsync the directory; no half file on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            for chunk in [chunks] if isinstance(chunks, bytes) else chunks:
                _write_all(fd, chunk)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _disk_error(path, exc) from None


def _read_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        yield from iter(lambda: f.read(1024 * 1024), b"")


def _sign_and_write(
    store: Store, folder: Path, file: str, sig_file: str, kind: str, data: bytes
) -> None:
    """The content first, then its signature: a bundle without the signature is incomplete."""
    me = identity(store)
    key = OfficeKey.load_or_create(store.home)
    write_atomic(folder / file, data)
    write_atomic(folder / sig_file, key.sign(kind, me.credit_code, me.name, file, data))


# ---------------------------------------------------------------- identity, trust, local hub


def identity(store: Store) -> OfficeInfo:
    with store.session() as s:
        row = get_self(session=s)
    if row is None:
        raise BundleError("本单位尚未初始化（zcreview init），无法签名或导入")
    return OfficeInfo(
        name=row.name,
        credit_code=row.credit_code,
        office_type=row.office_type,
        office_level=row.office_level,
    )


def export_key(store: Store) -> PublicKeyFile:
    """This office's public key file (the private key is generated on first use)."""
    me = identity(store)
    return PublicKeyFile(me.name, me.credit_code, OfficeKey.load_or_create(store.home).public_key)


def _hub_office(s: Session, info: OfficeInfo) -> HubOffice:
    row = s.exec(select(HubOffice).where(HubOffice.credit_code == info.credit_code)).first()
    if row is None:
        # Nobody logs in to the bundle hub; the token is random and never shown.
        row = HubOffice(
            name=info.name,
            credit_code=info.credit_code,
            office_type=info.office_type,
            office_level=info.office_level,
            token_hash=token_hash(secrets.token_urlsafe(32)),
        )
    row.name = info.name
    s.add(row)
    return row


def trust(store: Store, name: str, key: PublicKeyFile) -> BundleKey:
    """Record another office's public key; `name` must be its name or credit code as a check."""
    if name not in (key.name, key.credit_code):
        raise BundleError(f"公钥文件属于“{key.name}”（{key.credit_code}），不是“{name}”")
    if key.credit_code == identity(store).credit_code:
        raise BundleError("这是本单位自己的公钥")
    with store.session() as s:
        row = s.get(BundleKey, key.credit_code) or BundleKey(
            credit_code=key.credit_code, name=key.name, public_key=key.public_key
        )
        row.name, row.public_key, row.trusted_at = key.name, key.public_key, utcnow()
        s.add(row)
        _hub_office(s, OfficeInfo(name=key.name, credit_code=key.credit_code))
        s.commit()
        s.refresh(row)
        return row


def _trusted(store: Store, code: str, who: str, where: Path) -> BundleKey:
    with store.session() as s:
        row = s.get(BundleKey, code)
    if row is None:
        raise BundleError(
            f"{where}：由未信任的单位 {who}（{code}）签名。请核对对方的公钥后运行 "
            f"zcreview bundle trust {who} 公钥文件"
        )
    return row


def local_hub(store: Store) -> tuple[Hub, HubOffice]:
    """The hub rules over this office's own database, and this office's row in it."""
    me = identity(store)
    with store.session() as s:
        if s.get(HubCounter, SEQ) is None:
            s.add(HubCounter(name=SEQ, value=BUNDLE_SEQ_BASE))
        row = _hub_office(s, me)
        s.commit()
        s.refresh(row)
    hub = Hub(store.engine, store.home / "bundle-hub", isolate_offices=False)
    hub.blobs = store.blobs  # imported attachments land in the office's own blob store
    return hub, row


def _hub_row(store: Store, code: str) -> HubOffice:
    with store.session() as s:
        row = s.exec(select(HubOffice).where(HubOffice.credit_code == code)).first()
    assert row is not None
    return row


def _refusal(exc: HubError) -> BundleError:
    return BundleError(exc.message.split(" / ")[0])


# ---------------------------------------------------------------- reading signed files


def _read_signed(
    store: Store, folder: Path, file: str, sig_file: str, kind: str
) -> tuple[bytes, str]:
    """The verified bytes of `folder/file` and the signer's credit code."""
    for name in (file, sig_file):
        if not (folder / name).is_file():
            raise BundleError(f"{folder / name} 缺失：文件夹不完整（可能尚未复制完），未导入")
    data = (folder / file).read_bytes()
    try:
        signed = read_signature((folder / sig_file).read_bytes(), str(folder / sig_file))
        key = _trusted(store, signed.signer, signed.name, folder / sig_file)
        verify(signed, key.public_key, kind, data, str(folder / file))
    except SignatureError as exc:
        raise BundleError(str(exc)) from None
    return data, signed.signer


def _signer(folder: Path, sig_file: str) -> str | None:
    try:
        raw = (folder / sig_file).read_bytes()
        return read_signature(raw, str(folder / sig_file)).signer
    except (OSError, SignatureError):
        return None


# ---------------------------------------------------------------- import


@dataclass(frozen=True)
class Imported:
    """What importing one bundle did."""

    kind: str  # batch / receipt / return / path-request / path-decision
    ident: str
    changed: bool
    note: str = ""
    error: str = ""
    receipt: Receipt | None = None
    received: tuple[Received, ...] = ()


def _check_blobs(store: Store, bundle: Path, manifest: Manifest) -> list[tuple[Path, str]]:
    """Every blob present and whole (in the bundle, or here already); the files to copy."""
    copy: list[tuple[Path, str]] = []
    for blob in manifest.unique_blobs():
        path = bundle / "blobs" / blob.sha256
        if path.is_file():
            size = path.stat().st_size
            if size != blob.size:
                raise BundleError(
                    f"{path} 不完整：应为 {blob.size} 字节，实有 {size} 字节（复制中断？），未导入"
                )
            if sha256_file(path) != blob.sha256:
                raise BundleError(
                    f"{path} 校验失败：内容与 SHA-256 不符（文件损坏或被改动），未导入"
                )
            copy.append((path, blob.sha256))
        elif not store.blobs.has(blob.sha256):
            raise BundleError(f"{path} 缺失，本单位也没有这个附件（{blob.name}），未导入")
    return copy


def _check_order(store: Store, manifest: Manifest) -> None:
    """A resubmission whose original has not been imported yet waits for it."""
    with store.session() as s:
        for entry in manifest.entries:
            if entry.supersedes is None:
                continue
            known = s.exec(
                select(HubRevision.id).where(
                    HubRevision.application_id == str(entry.application_id),
                    HubRevision.revision == entry.supersedes,
                )
            ).first()
            if known is None:
                raise NotYet(
                    f"批次 {manifest.batch_id} 中申报 {entry.application_id} 替代的版本 "
                    f"{entry.supersedes[:12]} 尚未收到：请先导入更早的批次，本批次暂未导入"
                )


def _receive_local(store: Store, hub: Hub, me: HubOffice) -> list[Received]:
    """Record what the bundle hub delivered to this office, like pull_inbox (own cursor)."""
    got: list[Received] = []
    while True:
        with store.session() as s:
            cursor_row = s.get(SyncCursor, INBOX_CURSOR) or SyncCursor(
                name=INBOX_CURSOR, value=BUNDLE_SEQ_BASE
            )
            page = hub.inbox(me, cursor_row.value)
            got += [_receive(s, item) for item in page.items]
            cursor_row.value = max(cursor_row.value, page.cursor)
            s.add(cursor_row)
            s.commit()
        if not page.more:
            return got


def import_batch(store: Store, bundle: Path, receipts_to: Path | None = None) -> Imported:
    """Verify a batch bundle, commit it with the hub's rules, record it, write the receipt."""
    raw, signer = _read_signed(store, bundle, MANIFEST, SIGNATURE, "batch")
    try:
        manifest = Manifest.model_validate_json(raw)
    except ValidationError as exc:
        raise BundleError(f"{bundle / MANIFEST} 无法解析：{exc.errors()[0]['msg']}") from None
    me = identity(store)
    if manifest.to_office != me.credit_code:
        raise BundleError(f"{bundle} 是报送给 {manifest.to_office} 的批次，不是本单位")
    batch_id = str(manifest.batch_id)
    with store.session() as s:
        earlier = s.get(HubBatch, batch_id)
    if earlier is None or earlier.state != "committed":
        _check_order(store, manifest)
    copy = _check_blobs(store, bundle, manifest)
    hub, me_row = local_hub(store)
    sender = _hub_row(store, signer)
    try:
        answer = hub.offer(sender, batch_id, manifest)
        for path, sha in copy:
            store.blobs.put_file(path, sha)
        receipt = hub.commit(sender, batch_id)
    except HubError as exc:
        raise _refusal(exc) from None
    received = _receive_local(store, hub, me_row)
    out = (receipts_to or bundle.parent / RECEIPTS) / batch_id
    data = receipt.model_dump_json().encode()
    if not ((out / RECEIPT).is_file() and (out / RECEIPT).read_bytes() == data):
        _sign_and_write(store, out, RECEIPT, SIGNATURE, "receipt", data)
    return Imported(
        "batch",
        batch_id,
        changed=not answer.committed,
        note=f"接收 {len(receipt.accepted)} 份，拒收 {len(receipt.rejected)} 份",
        receipt=receipt,
        received=tuple(received),
    )


def import_receipt(store: Store, folder: Path) -> Imported:
    """Apply a receipt the receiver sent back for one of this office's batches."""
    receipt = import_receipt_verified(store, folder)
    batch_id = str(receipt.batch_id)
    with store.session() as s:
        batch = s.get(OutboxBatch, batch_id)
        assert batch is not None
        done = batch.receipt is not None
        if receipt.manifest_hash != batch.manifest_hash:
            raise BundleError(f"{folder}：回执不是 {batch.to_name} 对本批次清单出具的")
    apply_receipt(store, batch_id, receipt)
    note = f"接收 {len(receipt.accepted)} 份，拒收 {len(receipt.rejected)} 份"
    return Imported("receipt", batch_id, changed=not done, note=note, receipt=receipt)


def _return_item(store: Store, folder: Path) -> ReturnItem:
    raw, signer = _read_signed(store, folder, RETURN, SIGNATURE, "return")
    item = ReturnItem.model_validate_json(raw)
    if signer != item.from_office.credit_code:
        raise BundleError(f"{folder}：退回由 {signer} 签名，却写着来自 {item.from_office.name}")
    return item


def import_return(store: Store, folder: Path) -> Imported:
    """Apply a return from above, once by return id."""
    item = _return_item(store, folder)
    if item.to_office.credit_code != identity(store).credit_code:
        raise BundleError(f"{folder}：退回给 {item.to_office.name}，不是本单位")
    with store.session() as s:
        if s.get(ReturnReceived, str(item.return_id)) is not None:
            return Imported("return", str(item.return_id), changed=False, note="已处理过")
        applied = _apply_return(s, item)
        s.commit()
    return Imported("return", applied.return_id, changed=True, note=applied.note)


def import_path(store: Store, folder: Path) -> list[Imported]:
    """A path request from below (recorded as pending) or a decision from above (mirrored)."""
    me = identity(store)
    done: list[Imported] = []
    if (folder / PATH_REQUEST).is_file() and _signer(folder, SIGNATURE) != me.credit_code:
        raw, signer = _read_signed(store, folder, PATH_REQUEST, SIGNATURE, "path-request")
        req = PathRequestFile.model_validate_json(raw)
        if signer != req.lower_office.credit_code or req.request.upper_office != me.credit_code:
            raise BundleError(f"{folder}：路径申请不是向本单位提出的")
        hub, _ = local_hub(store)
        try:
            info = hub.put_path(_hub_row(store, signer), req.path_id, req.request)
        except HubError as exc:
            raise _refusal(exc) from None
        done.append(Imported("path-request", req.path_id, changed=True, note=info.state))
    if (folder / PATH_DECISION).is_file() and _signer(folder, DECISION_SIGNATURE) != me.credit_code:
        raw, signer = _read_signed(
            store, folder, PATH_DECISION, DECISION_SIGNATURE, "path-decision"
        )
        info = PathInfo.model_validate_json(raw)
        if (
            signer != info.upper_office.credit_code
            or info.lower_office.credit_code != me.credit_code
        ):
            raise BundleError(f"{folder}：路径审核结果不是给本单位的")
        with store.session() as s:
            _mirror(s, info, "lower")
            s.commit()
        done.append(Imported("path-decision", str(info.path_id), changed=True, note=info.state))
    return done


def import_dir(store: Store, path: Path, receipts_to: Path | None = None) -> list[Imported]:
    """Import one bundle, or every bundle in an exchange folder meant for this office.

    A single bundle that cannot be imported raises BundleError. In an exchange folder each
    bundle is tried on its own (errors are reported in its `Imported`), other offices' bundles
    and this office's own are skipped, and bundles that wait for an earlier one are retried
    after the others, so a folder imports in any order it was filled.
    """
    if not path.is_dir():
        raise BundleError(f"{path} 不是文件夹")
    names = {p.name for p in path.iterdir()}
    if RECEIPT in names:
        return [import_receipt(store, path)]
    if RETURN in names:
        return [import_return(store, path)]
    if names & {PATH_REQUEST, PATH_DECISION}:
        return import_path(store, path)
    if names & {MANIFEST, SIGNATURE, "blobs"}:
        return [import_batch(store, path, receipts_to)]
    me = identity(store).credit_code
    results: list[Imported] = []
    for sub in sorted((path / PATHS).iterdir()) if (path / PATHS).is_dir() else []:
        results += _attempt(partial(import_path, store, sub), "path", sub.name)
    batches = [
        p
        for p in sorted(path.iterdir())
        if p.is_dir() and p.name not in (RECEIPTS, RETURNS, PATHS) and _batch_for(p, me)
    ]
    while batches:
        waiting: list[Path] = []
        for bundle in batches:
            try:
                results.append(import_batch(store, bundle, receipts_to))
            except NotYet:
                waiting.append(bundle)
            except SyncError as exc:
                results.append(Imported("batch", bundle.name, changed=False, error=str(exc)))
        if len(waiting) == len(batches):
            for bundle in waiting:
                try:
                    import_batch(store, bundle, receipts_to)
                except SyncError as exc:
                    results.append(Imported("batch", bundle.name, changed=False, error=str(exc)))
            break
        batches = waiting
    for sub in sorted((path / RECEIPTS).iterdir()) if (path / RECEIPTS).is_dir() else []:
        if _mine(store, sub.name):
            results += _attempt(partial(_one, import_receipt, store, sub), "receipt", sub.name)
    for sub in sorted((path / RETURNS).iterdir()) if (path / RETURNS).is_dir() else []:
        if _signer(sub, SIGNATURE) != me and _return_for(sub, me):
            results += _attempt(partial(_one, import_return, store, sub), "return", sub.name)
    return results


def _one(fn: Callable[[Store, Path], Imported], store: Store, folder: Path) -> list[Imported]:
    return [fn(store, folder)]


def _attempt(fn: Callable[[], Iterable[Imported]], kind: str, ident: str) -> list[Imported]:
    try:
        return list(fn())
    except (SyncError, ValidationError) as exc:
        return [Imported(kind, ident, changed=False, error=str(exc))]


def _batch_for(bundle: Path, me: str) -> bool:
    """A batch bundle in an exchange folder that may be for this office (not one it wrote)."""
    if _signer(bundle, SIGNATURE) == me:
        return False
    try:
        to = json.loads((bundle / MANIFEST).read_bytes()).get("to_office")
    except (OSError, ValueError, AttributeError):
        # Incomplete or unreadable: import reports why, naming the file.
        return (bundle / "blobs").is_dir() or (bundle / SIGNATURE).exists()
    return bool(to == me)


def _return_for(folder: Path, me: str) -> bool:
    try:
        return bool(json.loads((folder / RETURN).read_bytes())["to_office"]["credit_code"] == me)
    except (OSError, ValueError, KeyError, TypeError):
        return True


def _mine(store: Store, batch_id: str) -> bool:
    with store.session() as s:
        return s.get(OutboxBatch, batch_id) is not None


# ---------------------------------------------------------------- the transport


class FolderTransport(Transport):
    """Writes this office's batches, returns and path requests into an exchange folder.

    `commit` answers with the receipt once the receiver has imported the bundle and its receipt
    is in the folder; until then it raises AwaitingReceipt and the batch waits in 确认中.
    """

    def __init__(self, folder: Path, store: Store, *, own_store: bool = False) -> None:
        self.folder = folder
        self.store = store
        self.own_store = own_store
        self._manifest: Manifest | None = None
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
            raise _disk_error(self.folder, exc) from None

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
        bundle = self._bundle(str(manifest.batch_id))
        digest = manifest.digest()
        written = bundle / MANIFEST
        if written.is_file():
            try:
                same = Manifest.model_validate_json(written.read_bytes()).digest() == digest
            except ValidationError:
                same = False
            if not same:
                raise Refused(409, "conflict", f"{written} 已是另一份清单（已封存的批次不能修改）")
        committed = self._receipt(str(manifest.batch_id), digest) is not None
        known = self._receiver_has(manifest.to_office)
        missing: list[BlobNeed] = []
        self._sizes = {}
        for blob in manifest.unique_blobs():
            final = bundle / "blobs" / blob.sha256
            if blob.sha256 in known or (final.is_file() and final.stat().st_size == blob.size):
                continue
            part = self._part(bundle, blob.sha256)
            have = part.stat().st_size if part.is_file() else 0
            if have > blob.size:
                part.unlink()
                have = 0
            self._sizes[blob.sha256] = blob.size
            missing.append(BlobNeed(sha256=blob.sha256, size=blob.size, have=have))
        self._manifest = manifest
        return OfferAnswer(
            batch_id=manifest.batch_id, manifest_hash=digest, missing=missing, committed=committed
        )

    @staticmethod
    def _part(bundle: Path, blob_id: str) -> Path:
        return bundle / "blobs" / f".{blob_id}.part"

    def _current(self) -> Path:
        if self._manifest is None:
            raise SyncError("尚未提交清单")
        return self._bundle(str(self._manifest.batch_id))

    def upload_chunk(self, blob_id: str, offset: int, data: bytes) -> int:
        if not valid_digest(blob_id) or blob_id not in self._sizes:
            raise Refused(404, "unknown_blob", "清单中没有这个附件")
        bundle = self._current()
        size = self._sizes[blob_id]
        final = bundle / "blobs" / blob_id
        if final.is_file():
            if offset != size:
                raise OffsetMismatch(size)
            return size
        part = self._part(bundle, blob_id)
        part.parent.mkdir(parents=True, exist_ok=True)
        have = part.stat().st_size if part.is_file() else 0
        if offset != have:
            raise OffsetMismatch(have)
        if offset + len(data) > size:
            raise Refused(422, "too_long", "数据超出附件大小")
        try:
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                try:
                    _write_all(fd, data)
                    os.fsync(fd)
                except OSError:
                    os.ftruncate(fd, have)  # keep only acknowledged bytes
                    raise
            finally:
                os.close(fd)
        except OSError as exc:
            raise _disk_error(part, exc) from None
        new = have + len(data)
        if new == size:
            if sha256_file(part) != blob_id:
                part.unlink()
                raise ChunkRejected(f"{final} 写入后校验失败，已删除，将重写")
            os.replace(part, final)
            _fsync_dir(final.parent)
        return new

    def head_offset(self, blob_id: str) -> int:
        bundle = self._current()
        if (bundle / "blobs" / blob_id).is_file():
            return self._sizes.get(blob_id, (bundle / "blobs" / blob_id).stat().st_size)
        part = self._part(bundle, blob_id)
        return part.stat().st_size if part.is_file() else 0

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
            if b.sha256 not in known and not (bundle / "blobs" / b.sha256).is_file()
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
            _sign_and_write(self.store, bundle, MANIFEST, SIGNATURE, "batch", data)
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
                if _signer(sub, SIGNATURE) == me or not _return_for(sub, me):
                    continue
                item = _return_item(self.store, sub)
                if s.get(ReturnReceived, str(item.return_id)) is None:
                    items.append(item)
        items.sort(key=lambda i: (i.from_office.credit_code, i.seq))
        return ReturnsPage(items=items, cursor=after, more=False)

    def _publish(self, folder: Path, file: str, sig_file: str, kind: str, model: Wire) -> None:
        """Write a signed answer into the folder unless the same one is there already."""
        self._ready()
        data = model.model_dump_json().encode()
        if not ((folder / file).is_file() and (folder / file).read_bytes() == data):
            _sign_and_write(self.store, folder, file, sig_file, kind, data)

    def send_return(self, return_id: str, request: ReturnRequest) -> ReturnItem:
        hub, me = local_hub(self.store)
        try:
            item = hub.send_return(me, return_id, request)
        except HubError as exc:
            raise Refused(exc.status, exc.code, exc.message.split(" / ")[0]) from None
        self._publish(self.folder / RETURNS / return_id, RETURN, SIGNATURE, "return", item)
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
            _sign_and_write(self.store, folder, PATH_REQUEST, SIGNATURE, "path-request", data)
        body = PathRequestFile.model_validate_json((folder / PATH_REQUEST).read_bytes())
        return self._path_info(
            folder, body, OfficeInfo(name=upper.name, credit_code=upper.credit_code)
        )

    def _path_info(self, folder: Path, body: PathRequestFile, upper: OfficeInfo) -> PathInfo:
        if (folder / PATH_DECISION).is_file():
            raw, _ = _read_signed(
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
            if _signer(sub, SIGNATURE) != me_code or not (sub / PATH_REQUEST).is_file():
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
            raise Refused(exc.status, exc.code, exc.message.split(" / ")[0]) from None
        folder = self.folder / PATHS / path_id
        self._publish(folder, PATH_DECISION, DECISION_SIGNATURE, "path-decision", info)
        return info

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


def import_receipt_verified(store: Store, folder: Path) -> Receipt:
    """A receipt bundle's verified receipt (signed by the batch's receiver), not yet applied."""
    raw, signer = _read_signed(store, folder, RECEIPT, SIGNATURE, "receipt")
    receipt = Receipt.model_validate_json(raw)
    with store.session() as s:
        batch = s.get(OutboxBatch, str(receipt.batch_id))
    if batch is None:
        raise BundleError(f"{folder}：本单位没有批次 {receipt.batch_id}")
    if signer != batch.to_code:
        raise BundleError(f"{folder}：回执不是本批次的接收单位 {batch.to_name} 签发的")
    return receipt
