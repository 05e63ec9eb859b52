"""Content-addressed blob store on disk: each file once, named by its SHA-256."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

CHUNK = 1 << 20
_HEX = set("0123456789abcdef")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def valid_digest(digest: str) -> bool:
    return len(digest) == 64 and set(digest) <= _HEX


class BlobStore:
    """Files under `root/ab/cd/<sha256>`, written to a temporary name, fsynced, then renamed."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        if not valid_digest(digest):
            raise ValueError(f"不是有效的 SHA-256: {digest!r}")
        return self.root / digest[:2] / digest[2:4] / digest

    def has(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def put_bytes(self, data: bytes) -> str:
        digest = sha256_bytes(data)
        if not self.has(digest):
            self._write(digest, iter([data]))
        return digest

    def put_file(self, src: Path, digest: str | None = None) -> str:
        digest = digest or sha256_file(src)
        if not self.has(digest):

            def chunks() -> Iterator[bytes]:
                with src.open("rb") as f:
                    yield from iter(lambda: f.read(CHUNK), b"")

            self._write(digest, chunks(), verify=True)
        return digest

    def read(self, digest: str) -> bytes:
        return self.path(digest).read_bytes()

    def _write(self, digest: str, chunks: Iterator[bytes], verify: bool = False) -> None:
        target = self.path(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        h = hashlib.sha256()
        try:
            with os.fdopen(fd, "wb") as f:
                for chunk in chunks:
                    h.update(chunk)
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
            if verify and h.hexdigest() != digest:
                raise OSError(f"写入时内容变化: {digest}")
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
