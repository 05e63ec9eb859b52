"""Locks that hold across hub processes: one writer per office upload, whatever serves it.

Several hub processes (`serve --workers N`, or hosts behind a load balancer) share one database
and one blob folder. An office that retries a chunk while its first request is still being served
by another process must not have both appended. On PostgreSQL the lock is a session advisory lock
(good across hosts); on SQLite, which only one host can share, an `flock` on a file beside the
upload (good across processes of that host).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from zcreview.storage.engine import is_sqlite


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (PostgreSQL advisory locks take a bigint)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def upload_lock(engine: Engine, lock_file: Path, name: str) -> Iterator[None]:
    """Hold the lock called `name` until the block ends (waits for another holder)."""
    if is_sqlite(engine):
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock
        return
    key = advisory_key(name)
    with engine.connect() as conn:
        conn.execute(select(func.pg_advisory_lock(key)))
        conn.commit()
        try:
            yield
        finally:
            conn.execute(select(func.pg_advisory_unlock(key)))
            conn.commit()
