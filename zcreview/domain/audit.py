"""The audit log's hash chain: canonical entry bytes, entry hashes, and checking a chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

GENESIS = "0" * 64
"""The `prev_hash` of the first entry."""


def iso_utc(moment: datetime) -> str:
    """A fixed text for a moment: UTC, microseconds, `Z` (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, non-ASCII kept: the same value always gives the same text."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class AuditEntry:
    """The hashed content of one entry. `seq` is inside the hash, so moving an entry shows."""

    seq: int
    at: datetime
    actor: str
    action: str
    application_id: str | None
    payload: Mapping[str, Any]

    def canonical(self) -> bytes:
        return canonical_json(
            {
                "seq": self.seq,
                "at": iso_utc(self.at),
                "actor": self.actor,
                "action": self.action,
                "application_id": self.application_id,
                "payload": dict(self.payload),
            }
        ).encode("utf-8")


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    """sha256 over the previous entry's hash and this entry's canonical JSON."""
    h = hashlib.sha256()
    h.update(prev_hash.encode("ascii"))
    h.update(entry.canonical())
    return h.hexdigest()


@dataclass(frozen=True)
class StoredEntry:
    """An entry as read back: its content and the two hashes stored with it."""

    entry: AuditEntry
    prev_hash: str
    hash: str


ProblemKind = Literal[
    "edited",
    "missing",
    "relinked",
    "truncated",
    "unreadable",
    "forged",
    "anchor",
    "state",
    "decision",
]


@dataclass(frozen=True)
class AuditProblem:
    seq: int
    kind: ProblemKind
    message: str


@dataclass(frozen=True)
class AuditReport:
    """The outcome of checking the chain: entries read, and every problem found."""

    count: int
    last_seq: int
    problems: tuple[AuditProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        if self.ok:
            return f"审计日志完整：共 {self.count} 条，哈希链校验通过"
        lines = [f"审计日志校验失败：共 {self.count} 条，发现 {len(self.problems)} 处问题"]
        lines += [f"  第 {p.seq} 条：{p.message}" for p in self.problems]
        return "\n".join(lines)


def verify_chain(
    entries: Iterable[StoredEntry], head: tuple[int, str] | None = None
) -> AuditReport:
    """Check entries in `seq` order.

    Finds an edited entry (its hash no longer matches its content), a deleted one (a gap in
    `seq`, or a `prev_hash` that is not the previous entry's hash) and a reordered one (seq is
    hashed, so a moved entry fails both tests). `head` is the (last seq, last hash) the log
    recorded when it last wrote; it catches entries deleted from the end, which a chain alone
    cannot show.
    """
    problems: list[AuditProblem] = []
    expected_seq = 1
    prev_hash = GENESIS
    count = 0
    last_seq = 0
    for stored in entries:
        count += 1
        seq = stored.entry.seq
        if seq != expected_seq:
            if seq > expected_seq:
                gap = (
                    f"第 {expected_seq} 条"
                    if seq == expected_seq + 1
                    else (f"第 {expected_seq}–{seq - 1} 条")
                )
                problems.append(AuditProblem(seq, "missing", f"之前的{gap}已被删除"))
            else:
                problems.append(AuditProblem(seq, "relinked", "序号重复或顺序被调整"))
        if stored.prev_hash != prev_hash:
            problems.append(
                AuditProblem(
                    seq, "relinked", "与前一条的哈希链接断开（前面的条目被删除、替换或调换）"
                )
            )
        if entry_hash(stored.prev_hash, stored.entry) != stored.hash:
            problems.append(AuditProblem(seq, "edited", "内容与哈希不符（条目被修改）"))
        prev_hash = stored.hash
        expected_seq = seq + 1
        last_seq = seq
    if head is not None:
        head_seq, head_hash = head
        if head_seq > last_seq:
            problems.append(
                AuditProblem(
                    head_seq, "truncated", f"日志末尾的第 {last_seq + 1}–{head_seq} 条已被删除"
                )
            )
        elif head_seq == last_seq and head_hash != prev_hash:
            problems.append(AuditProblem(last_seq, "edited", "最后一条与记录的链尾哈希不符"))
        elif head_seq < last_seq:
            problems.append(AuditProblem(last_seq, "relinked", "链尾之后出现了未登记的条目"))
    return AuditReport(count, last_seq, tuple(problems))
