"""The files of an exchange folder: their names, errors, and writes that never leave half a file.

An exchange folder holds

    <batch_id>/blobs/<sha256>, <batch_id>/manifest.json, <batch_id>/signature.json
    receipts/<batch_id>/receipt.json + signature.json      (receiver → sender)
    returns/<return_id>/return.json + signature.json       (upper → lower)
    paths/<path_id>/request.json | decision.json + signature(-decision).json

Manifests, blobs, receipts and returns carry personal data and are encrypted to the receiving
office (`sealing`); path requests and decisions name offices and series only and stay readable.
Every file is written under a temporary name, fsynced and renamed; the manifest and its
signature come last, so a bundle without them is one still being copied.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Final

from zcreview.sync.protocol import OfficeInfo, PathRequest, Wire
from zcreview.sync.transport import SyncError

MANIFEST: Final = "manifest.json"
SIGNATURE: Final = "signature.json"
RECEIPT: Final = "receipt.json"
RETURN: Final = "return.json"
PATH_REQUEST: Final = "request.json"
PATH_DECISION: Final = "decision.json"
DECISION_SIGNATURE: Final = "signature-decision.json"
BLOBS: Final = "blobs"
RECEIPTS: Final = "receipts"
RETURNS: Final = "returns"
PATHS: Final = "paths"
NOT_BUNDLES: Final = (RECEIPTS, RETURNS, PATHS)
"""Sub-folders of an exchange folder that are not batch bundles."""

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


def blob_entry(sha256: str) -> str:
    """The entry name of a blob in a bundle (bound into its encryption)."""
    return f"{BLOBS}/{sha256}"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os_write(fd, view) :]


def disk_error(path: Path, exc: OSError) -> BundleError:
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
                write_all(fd, chunk)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise disk_error(path, exc) from None


def append_durably(path: Path, data: bytes, keep: int) -> None:
    """Append `data` and fsync; on failure cut the file back to its first `keep` bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            os.ftruncate(fd, keep)  # a record cut short by a crash is dropped
            os.lseek(fd, keep, os.SEEK_SET)
            try:
                write_all(fd, data)
                os.fsync(fd)
            except OSError:
                os.ftruncate(fd, keep)  # keep only acknowledged bytes
                raise
        finally:
            os.close(fd)
    except OSError as exc:
        raise disk_error(path, exc) from None
