"""Scratch folders inside the office home: applicant files never sit elsewhere, even after a kill.

Each scratch folder holds an exclusive lock on a file inside it for as long as it is in use. A
process killed mid-import leaves its folder behind unlocked; the next command that opens the
office (`clean_stale_scratch`, run by `open_store`) removes it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; folders are judged by age alone
    fcntl = None  # type: ignore[assignment]

SCRATCH = "tmp"
LOCK = ".lock"
GRACE_SECONDS = 60.0
"""A folder without its lock file is only removed once this old (it may be being created)."""
UNLOCKED_MAX_AGE = 24 * 3600.0
"""Where locks are not available, a folder is taken as abandoned once this old."""


class ScratchDir:
    """A locked folder under HOME/tmp; `close` (or the `with` block's end) removes it."""

    def __init__(self, home: Path, prefix: str) -> None:
        root = home / SCRATCH
        root.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
        self._lock: int | None = os.open(self.path / LOCK, os.O_CREAT | os.O_RDWR, 0o600)
        if fcntl is not None:
            fcntl.flock(self._lock, fcntl.LOCK_EX)

    @property
    def name(self) -> str:
        return str(self.path)

    def cleanup(self) -> None:
        if self._lock is None:
            return
        shutil.rmtree(self.path, ignore_errors=True)
        os.close(self._lock)
        self._lock = None

    def __enter__(self) -> ScratchDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


def clean_stale_scratch(home: Path) -> int:
    """Remove scratch folders no live process holds; returns how many were removed."""
    root = home / SCRATCH
    if not root.is_dir():
        return 0
    removed = 0
    for folder in root.iterdir():
        if not folder.is_dir() or folder.is_symlink():
            continue
        if _stale(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _age(folder: Path) -> float:
    try:
        return time.time() - folder.stat().st_mtime
    except OSError:
        return 0.0


def _stale(folder: Path) -> bool:
    if fcntl is None:
        return _age(folder) > UNLOCKED_MAX_AGE
    try:
        fd = os.open(folder / LOCK, os.O_RDWR)
    except FileNotFoundError:
        return _age(folder) > GRACE_SECONDS
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # held by the process using it
    finally:
        os.close(fd)
    return True
