"""Upload locks on SQLite: one writer per office upload across the processes of one host.

Several hub processes (`serve --workers N`) share one database and one blob folder. An office
that retries a chunk while its first request is still being served by another process must not
have both appended. SQLite, which only one host can share, gets an `flock` on a file beside the
upload (good across processes of that host); on PostgreSQL the upload's own row is locked
instead (`Uploads._upload_turn`), which holds across hosts.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def file_lock(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive `flock` on `lock_file` until the block ends (waits for a holder)."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (PostgreSQL advisory locks take a bigint)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
