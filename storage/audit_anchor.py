"""The audit chain's anchors outside the database: a keyed MAC per entry and a head file.

Both live in the office home, beside the database and not in it: `audit.key` (32 random bytes,
mode 0600) keys an HMAC stored with each entry, and `audit-head.json` records, after each commit
that appended, the newest entry's seq and hash. Someone who can only change the database can
then neither re-hash the chain (the MACs would not match) nor roll its end back or empty it (the
head file still names an entry that is gone or different).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

KEY_FILE = "audit.key"
HEAD_FILE = "audit-head.json"
PENDING = "audit_head_pending"


@dataclass(frozen=True)
class Head:
    """What the head file says: the newest entry this home saw committed, and since when the
    entries carry MACs of this home's key."""

    seq: int
    hash: str
    keyed_since: int


class Anchor:
    """The key and the head file of one office home."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self._key: bytes | None = None
        self._lock = threading.Lock()

    @property
    def key_path(self) -> Path:
        return self.home / KEY_FILE

    @property
    def head_path(self) -> Path:
        return self.home / HEAD_FILE

    def key(self) -> bytes:
        """The MAC key, created (0600) on first use."""
        if self._key is None:
            if not self.key_path.exists():
                _write_atomic(self.key_path, secrets.token_hex(32).encode(), mode=0o600)
            self._key = bytes.fromhex(self.key_path.read_text(encoding="ascii").strip())
        return self._key

    def has_key(self) -> bool:
        return self._key is not None or self.key_path.exists()

    def mac(self, entry_hash: str) -> str:
        return hmac.new(self.key(), entry_hash.encode("ascii"), hashlib.sha256).hexdigest()

    def mac_ok(self, entry_hash: str, mac: str) -> bool:
        return hmac.compare_digest(self.mac(entry_hash), mac)

    def _head_mac(self, seq: int, digest: str, keyed_since: int) -> str:
        return self.mac(f"{seq}:{digest}:{keyed_since}")

    def read_head(self) -> Head | str | None:
        """The recorded head; None when there is no file yet; a message when it is damaged."""
        try:
            raw = json.loads(self.head_path.read_text(encoding="utf-8"))
            head = Head(int(raw["seq"]), str(raw["hash"]), int(raw["keyed_since"]))
            mac = str(raw["mac"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            return f"{self.head_path} 无法读取或格式不对"
        if not hmac.compare_digest(self._head_mac(head.seq, head.hash, head.keyed_since), mac):
            return f"{self.head_path} 的校验码不符（文件被改动）"
        return head

    def advance(self, seq: int, digest: str) -> None:
        """Record a committed head, never moving the file backwards."""
        with self._lock:
            current = self.read_head()
            if isinstance(current, Head) and current.seq >= seq:
                return
            keyed_since = current.keyed_since if isinstance(current, Head) else seq
            body = {
                "seq": seq,
                "hash": digest,
                "keyed_since": keyed_since,
                "mac": self._head_mac(seq, digest, keyed_since),
            }
            _write_atomic(self.head_path, json.dumps(body).encode())


def _write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_ANCHORS: dict[str, Anchor] = {}
_ANCHORS_LOCK = threading.Lock()


def _url_key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def register(engine: Engine, home: Path) -> Anchor:
    """Anchor the audit chain of this database in `home` (every engine on the same URL)."""
    with _ANCHORS_LOCK:
        anchor = _ANCHORS.get(_url_key(engine))
        if anchor is None or anchor.home != home:
            anchor = _ANCHORS[_url_key(engine)] = Anchor(home)
        return anchor


def anchor_of(session: Session) -> Anchor | None:
    """The anchor of the session's database, or None when no office home opened it."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return _ANCHORS.get(_url_key(engine))


def note_append(session: Session, anchor: Anchor, seq: int, digest: str) -> None:
    """Remember the head of this transaction, for the file once it is committed."""
    session.info[PENDING] = (anchor, seq, digest)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending: Any = session.info.pop(PENDING, None)
    if pending is not None:
        anchor, seq, digest = pending
        # The commit is done; a file that cannot be written only weakens the anchor.
        with contextlib.suppress(OSError):
            anchor.advance(seq, digest)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)
