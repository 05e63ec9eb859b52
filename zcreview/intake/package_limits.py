"""Bounds on a package and the bounded, hashing copy that enforces them while reading."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import IO

from zcreview.intake.package_refusals import refuse
from zcreview.intake.problems import safe_text

CHUNK = 64 * 1024
SNIFF_BYTES = 1024  # PDF readers accept a header anywhere in the first kilobyte
MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds on what one package may hold; anything beyond is refused before it is stored."""

    max_entries: int = 1000
    """Files in one package (a full application has a few hundred at most)."""
    max_file_bytes: int = 64 * MiB
    """Any one file; attachments have their own, smaller limit (ATT-SIZE) checked later."""
    max_total_bytes: int = 512 * MiB
    """All files of one package together, uncompressed."""
    max_json_bytes: int = 4 * MiB
    """`application.json` itself."""
    max_ratio: int = 100
    """Uncompressed/compressed size of a zip entry, checked once it has inflated past ratio_floor."""
    ratio_floor: int = 2 * MiB


DEFAULT_LIMITS = Limits()


class Budget:
    """Counts entries and bytes across one package, refusing past the limits."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.entries = 0
        self.total = 0
        self.compressed = 0  # zip bytes of the entries finished so far

    def entry(self) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise refuse("", f"包内文件过多（上限 {self.limits.max_entries} 个）")

    def add(self, name: str, n: int, so_far: int, limit: int) -> None:
        self.total += n
        if so_far > limit:
            raise refuse(safe_text(name), f"文件过大（上限 {mb(limit)}）")
        if self.total > self.limits.max_total_bytes:
            raise refuse("", f"包内文件总大小超过 {mb(self.limits.max_total_bytes)}")


def mb(n: int) -> str:
    return f"{n / MiB:.0f} MB" if n >= MiB else f"{n} 字节"


def copy_hashed(
    src: IO[bytes],
    dst: IO[bytes] | None,
    name: str,
    budget: Budget,
    limit: int,
    compressed: int | None = None,
) -> tuple[int, str, bytes]:
    """Stream `src` (into `dst` if given), bounded by `limit` and the package budget.

    Returns (size, sha256, head). The sizes a zip header announces are not trusted: we count.
    """
    h = hashlib.sha256()
    head = b""
    size = 0
    while True:
        chunk = src.read(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        budget.add(name, len(chunk), size, limit)
        if compressed is not None and (
            _too_inflated(size, compressed, budget.limits)
            # Many entries each under the floor can still add up to a bomb.
            or _too_inflated(budget.total, budget.compressed + compressed, budget.limits)
        ):
            raise refuse(safe_text(name), "压缩比异常（疑似压缩炸弹）")
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
        h.update(chunk)
        if dst is not None:
            dst.write(chunk)
    if compressed is not None:
        budget.compressed += compressed
    return size, h.hexdigest(), head


def _too_inflated(out: int, packed: int, limits: Limits) -> bool:
    return out > limits.ratio_floor and out > limits.max_ratio * max(packed, 1)
