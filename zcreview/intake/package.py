"""An opened application package: its files, hashed once, and the digest over all of them.

Reading one safely (bounded, no escapes, no links) is `package_reader`'s job.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Protocol

DIGEST_PREFIX = b"zcreview-package-v1\0"

# Files that archivers and file managers add on their own; never part of what was submitted.
_JUNK_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
JUNK_DIRS = frozenset({"__MACOSX"})


class Scratch(Protocol):
    """Where a zip's entries are extracted while its package is open."""

    @property
    def name(self) -> str: ...
    def cleanup(self) -> None: ...


@dataclass(frozen=True)
class PackageFile:
    """One file of a package, hashed once while it was read."""

    name: str
    """POSIX path inside the package, NFC-normalised."""
    path: Path
    """Where its bytes can be read now (the folder itself, or a temporary copy out of a zip)."""
    size: int
    sha256: str
    head: bytes
    """The first bytes, enough to sniff the type."""


@dataclass
class Package:
    """An opened package: `application.json` bytes and every other file, with the digest of all.

    Use it as a context manager: a zip package lives in a temporary folder until closed.
    """

    source: Path
    json_bytes: bytes
    files: dict[str, PackageFile]
    digest: str = ""
    _tmp: Scratch | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.digest:
            self.digest = package_digest(self.json_bytes, self.files.values())

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Package:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def package_digest(json_bytes: bytes, files: Iterable[PackageFile]) -> str:
    """SHA-256 over `application.json` and the sorted (name, sha256) of every other file.

    Each part is framed, so no two different packages can hash the same byte stream.
    """
    h = hashlib.sha256(DIGEST_PREFIX)
    h.update(len(json_bytes).to_bytes(8, "big"))
    h.update(json_bytes)
    for name, digest in sorted((f.name, f.sha256) for f in files):
        encoded = name.encode("utf-8", "surrogateescape")
        h.update(len(encoded).to_bytes(4, "big"))
        h.update(encoded)
        h.update(digest.encode("ascii"))
    return h.hexdigest()


def is_junk(parts: tuple[str, ...]) -> bool:
    """Whether the path (split at `/`) is a file an archiver or file manager added."""
    name = parts[-1]
    return name in _JUNK_NAMES or name.startswith("._") or any(p in JUNK_DIRS for p in parts[:-1])


def nfc(name: str) -> str:
    # macOS writes decomposed names; application.json is typed in composed form.
    return unicodedata.normalize("NFC", name)
