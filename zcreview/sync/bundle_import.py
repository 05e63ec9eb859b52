"""Importing folder bundles: batches from below, receipts, returns from above, paths.

Import verifies every signature, decrypts and checks every entry before anything changes, then
runs the hub's own rules (the bundle hub over this office's database), so a bundle changes
nothing or all it should. It works whatever transport the office reports upward with.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from pydantic import ValidationError
from sqlmodel import select

from zcreview.hub.core import Hub
from zcreview.hub.errors import HubError
from zcreview.protocol import Manifest, OfficeInfo, PathInfo, Receipt, ReturnItem
from zcreview.storage.blobs import sha256_file
from zcreview.storage.store import Store
from zcreview.storage.sync_tables import (
    HubBatch,
    HubPath,
    HubRevision,
    OutboxBatch,
    ReturnReceived,
    SyncCursor,
    SyncPath,
)
from zcreview.sync.bundle_files import (
    BLOBS,
    DECISION_SIGNATURE,
    MANIFEST,
    NOT_BUNDLES,
    PATH_DECISION,
    PATH_REQUEST,
    PATHS,
    RECEIPT,
    RECEIPTS,
    RETURN,
    RETURNS,
    SIGNATURE,
    BundleError,
    NotYet,
    PathRequestFile,
    blob_entry,
)
from zcreview.sync.bundle_hub import (
    BUNDLE_SEQ_BASE,
    INBOX_CURSOR,
    hub_row,
    local_hub,
    record_origin,
    refusal,
)
from zcreview.sync.bundle_trust import (
    addressed_to,
    identity,
    read_own,
    read_sealed,
    read_signed,
    sign_and_write,
    signer_of,
)
from zcreview.sync.delivery import apply_receipt
from zcreview.sync.inbox import Received, apply_return, receive
from zcreview.sync.paths import mirror
from zcreview.sync.sealing import BundleCipher, SealError
from zcreview.sync.transport import SyncError


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


# ---------------------------------------------------------------- batches


@contextmanager
def _checked_blobs(
    store: Store, bundle: Path, manifest: Manifest, cipher: BundleCipher | None
) -> Iterator[list[tuple[Path, str]]]:
    """Every blob present and whole (in the bundle, or here already): the plain files to copy
    into the blob store, decrypted into a scratch folder in the office home meanwhile."""
    copy: list[tuple[Path, str]] = []
    with tempfile.TemporaryDirectory(dir=store.home, prefix=".bundle-") as scratch:
        for blob in manifest.unique_blobs():
            path = bundle / BLOBS / blob.sha256
            if not path.is_file():
                if not store.blobs.has(blob.sha256):
                    raise BundleError(f"{path} 缺失，本单位也没有这个附件（{blob.name}），未导入")
                continue
            plain = path
            if cipher is not None:
                plain = Path(scratch) / blob.sha256
                try:
                    with plain.open("wb") as out:
                        for chunk in cipher.open_records(path, blob_entry(blob.sha256), blob.size):
                            out.write(chunk)
                except SealError as exc:
                    raise BundleError(str(exc)) from None
            size = plain.stat().st_size
            if size != blob.size:
                raise BundleError(
                    f"{path} 不完整：应为 {blob.size} 字节，实有 {size} 字节（复制中断？），未导入"
                )
            if sha256_file(plain) != blob.sha256:
                raise BundleError(
                    f"{path} 校验失败：内容与 SHA-256 不符（文件损坏或被改动），未导入"
                )
            copy.append((plain, blob.sha256))
        yield copy


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


def receive_from_bundle_hub(store: Store, hub: Hub | None = None) -> list[Received]:
    """Record what the bundle hub delivered to this office, like pull_inbox (own cursor)."""
    bundle_hub, me = local_hub(store)
    hub = hub or bundle_hub
    got: list[Received] = []
    while True:
        with store.session() as s:
            cursor_row = s.get(SyncCursor, INBOX_CURSOR) or SyncCursor(
                name=INBOX_CURSOR, value=BUNDLE_SEQ_BASE
            )
            page = hub.inbox(me, cursor_row.value)
            got += [receive(s, item) for item in page.items]
            cursor_row.value = max(cursor_row.value, page.cursor)
            s.add(cursor_row)
            s.commit()
        if not page.more:
            return got


def import_batch(store: Store, bundle: Path, receipts_to: Path | None = None) -> Imported:
    """Verify a batch bundle, commit it with the hub's rules, record it, write the receipt."""
    raw, signer, cipher = read_sealed(store, bundle, MANIFEST, SIGNATURE, "batch")
    try:
        manifest = Manifest.model_validate_json(raw)
    except ValidationError as exc:
        raise BundleError(f"{bundle / MANIFEST} 无法解析：{exc.errors()[0]['msg']}") from None
    me = identity(store)
    if manifest.to_office != me.credit_code:
        raise BundleError(f"{bundle} 是报送给 {manifest.to_office} 的批次，不是本单位")
    batch_id = str(manifest.batch_id)
    if batch_id != bundle.name:
        raise BundleError(f"{bundle / MANIFEST} 是批次 {batch_id} 的清单，不属于这个文件夹")
    with store.session() as s:
        earlier = s.get(HubBatch, batch_id)
    again = earlier is not None and earlier.state == "committed"
    if not again:
        _check_order(store, manifest)
    # A batch committed before needs no blob (the hub answers its stored receipt once the
    # manifest is the same): importing a folder again does not decrypt every attachment again.
    blobs_of = manifest.model_copy(update={"entries": []}) if again else manifest
    with _checked_blobs(store, bundle, blobs_of, cipher) as copy:
        hub, _ = local_hub(store)
        sender = hub_row(store, signer)
        try:
            answer = hub.offer(sender, batch_id, manifest)
            for path, sha in copy:
                store.blobs.put_file(path, sha)
            receipt = hub.commit(sender, batch_id)
        except HubError as exc:
            raise refusal(exc) from None
    record_origin(store, OfficeInfo(name=sender.name, credit_code=signer), bundle.parent)
    received = receive_from_bundle_hub(store, hub)
    out = (receipts_to or bundle.parent / RECEIPTS) / batch_id
    _write_receipt(store, out, receipt, signer)
    return Imported(
        "batch",
        batch_id,
        changed=not answer.committed,
        note=f"接收 {len(receipt.accepted)} 份，拒收 {len(receipt.rejected)} 份",
        receipt=receipt,
        received=tuple(received),
    )


def _write_receipt(store: Store, out: Path, receipt: Receipt, to: str) -> None:
    """The receipt, encrypted to the sender, unless the same one is there already."""
    data = receipt.model_dump_json().encode()
    if read_own(store, out, RECEIPT, to, sealed_only=True) != data:
        sign_and_write(store, out, RECEIPT, SIGNATURE, "receipt", data, seal_to=to)


# ---------------------------------------------------------------- receipts and returns


def import_receipt_verified(store: Store, folder: Path) -> Receipt:
    """A receipt bundle's verified receipt (signed by the batch's receiver), not yet applied."""
    raw, signer, _ = read_sealed(store, folder, RECEIPT, SIGNATURE, "receipt")
    receipt = Receipt.model_validate_json(raw)
    with store.session() as s:
        batch = s.get(OutboxBatch, str(receipt.batch_id))
    if batch is None:
        raise BundleError(f"{folder}：本单位没有批次 {receipt.batch_id}")
    if signer != batch.to_code:
        raise BundleError(f"{folder}：回执不是本批次的接收单位 {batch.to_name} 签发的")
    return receipt


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


def return_item(store: Store, folder: Path) -> ReturnItem:
    """A return bundle's verified, decrypted return (signed by the office it comes from)."""
    raw, signer, _ = read_sealed(store, folder, RETURN, SIGNATURE, "return")
    item = ReturnItem.model_validate_json(raw)
    if signer != item.from_office.credit_code:
        raise BundleError(f"{folder}：退回由 {signer} 签名，却写着来自 {item.from_office.name}")
    return item


def import_return(store: Store, folder: Path) -> Imported:
    """Apply a return from above, once by return id."""
    item = return_item(store, folder)
    if item.to_office.credit_code != identity(store).credit_code:
        raise BundleError(f"{folder}：退回给 {item.to_office.name}，不是本单位")
    with store.session() as s:
        if s.get(ReturnReceived, str(item.return_id)) is not None:
            return Imported("return", str(item.return_id), changed=False, note="已处理过")
        applied = apply_return(s, item)
        s.commit()
    return Imported("return", applied.return_id, changed=True, note=applied.note)


# ---------------------------------------------------------------- paths


def import_path(store: Store, folder: Path) -> list[Imported]:
    """A path request from below (recorded as pending) or a decision from above (mirrored)."""
    me = identity(store)
    done: list[Imported] = []
    if (folder / PATH_REQUEST).is_file() and signer_of(folder, SIGNATURE) != me.credit_code:
        raw, signer = read_signed(store, folder, PATH_REQUEST, SIGNATURE, "path-request")
        req = PathRequestFile.model_validate_json(raw)
        code = signer.credit_code
        if code != req.lower_office.credit_code or req.request.upper_office != me.credit_code:
            raise BundleError(f"{folder}：路径申请不是向本单位提出的")
        hub, _ = local_hub(store)
        with store.session() as s:
            known = s.get(HubPath, req.path_id) is not None
        try:
            info = hub.put_path(hub_row(store, code), req.path_id, req.request)
        except HubError as exc:
            raise refusal(exc) from None
        record_origin(store, req.lower_office, folder.parent.parent)
        with store.session() as s:
            mirror(s, info, "upper", via="folder")
            s.commit()
        done.append(Imported("path-request", req.path_id, changed=not known, note=info.state))
    if (folder / PATH_DECISION).is_file() and signer_of(
        folder, DECISION_SIGNATURE
    ) != me.credit_code:
        raw, signer = read_signed(store, folder, PATH_DECISION, DECISION_SIGNATURE, "path-decision")
        info = PathInfo.model_validate_json(raw)
        if (
            signer.credit_code != info.upper_office.credit_code
            or info.lower_office.credit_code != me.credit_code
        ):
            raise BundleError(f"{folder}：路径审核结果不是给本单位的")
        with store.session() as s:
            before = s.get(SyncPath, str(info.path_id))
            changed = before is None or before.state != info.state
            mirror(s, info, "lower", via="folder")
            s.commit()
        done.append(Imported("path-decision", str(info.path_id), changed=changed, note=info.state))
    return done


# ---------------------------------------------------------------- a whole exchange folder


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
    if names & {MANIFEST, SIGNATURE, BLOBS}:
        return [import_batch(store, path, receipts_to)]
    me = identity(store).credit_code
    results: list[Imported] = []
    for sub in _subs(path / PATHS):
        results += _attempt(partial(import_path, store, sub), "path", sub.name)
    batches = [
        p
        for p in sorted(path.iterdir())
        if p.is_dir() and p.name not in NOT_BUNDLES and _batch_for(p, me)
    ]
    results += _import_batches(store, batches, receipts_to)
    for sub in _subs(path / RECEIPTS):
        if _mine(store, sub.name):
            results += _attempt(partial(_one, import_receipt, store, sub), "receipt", sub.name)
    for sub in _subs(path / RETURNS):
        if signer_of(sub, SIGNATURE) != me and addressed_to(
            sub / RETURN, ("to_office", "credit_code")
        ) in (me, None):
            results += _attempt(partial(_one, import_return, store, sub), "return", sub.name)
    return results


def _import_batches(store: Store, batches: list[Path], receipts_to: Path | None) -> list[Imported]:
    """Each batch; those waiting for an earlier one again after the others, until no progress."""
    results: list[Imported] = []
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
    return results


def _subs(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _one(fn: Callable[[Store, Path], Imported], store: Store, folder: Path) -> list[Imported]:
    return [fn(store, folder)]


def _attempt(fn: Callable[[], Iterable[Imported]], kind: str, ident: str) -> list[Imported]:
    try:
        return list(fn())
    except (SyncError, ValidationError) as exc:
        return [Imported(kind, ident, changed=False, error=str(exc))]


def _batch_for(bundle: Path, me: str) -> bool:
    """A batch bundle in an exchange folder that may be for this office (not one it wrote)."""
    if signer_of(bundle, SIGNATURE) == me:
        return False
    to = addressed_to(bundle / MANIFEST, ("to_office",))
    if to is None:
        # Incomplete or unreadable: import reports why, naming the file.
        return (bundle / BLOBS).is_dir() or (bundle / SIGNATURE).exists()
    return to == me


def _mine(store: Store, batch_id: str) -> bool:
    with store.session() as s:
        return s.get(OutboxBatch, batch_id) is not None
