"""Goodput of an upload through a 256 kbit/s link with 300 ms latency each way; one JSON line.

Run from the repository root: `python tests/bench/bench_sync_slow.py [kilobytes]` (default 800,
about half a minute). The fault proxy serialises both directions at 32,000 bytes/s and delays
them by 300 ms. Goal (sync.md): goodput ≥ 85 % of the link rate. `upload_goodput` is the new
attachment bytes over the time from the first chunk to the last chunk's answer (the steady
state the goal is about); `drive_goodput` also carries the offer and commit round trips.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.sync_bench import bench_lab, scanned_app
from tests.sync_helpers import LEVEL, SERIES, YEAR
from zcreview.storage.sync_tables import OutboxBatch
from zcreview.sync.delivery import drive
from zcreview.sync.outbox import seal_batch

RATE = 256_000 / 8
LATENCY = 0.3


class Timed:
    """Wraps a transport; times the chunk uploads and records the chunk sizes."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.first: float | None = None
        self.last = 0.0
        self.sizes: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def upload_chunk(self, blob_id: str, offset: int, data: bytes) -> int:
        if self.first is None:
            self.first = time.monotonic()
        new = int(self.inner.upload_chunk(blob_id, offset, data))
        self.last = time.monotonic()
        self.sizes.append(len(data))
        return new


def main() -> None:
    size = int(sys.argv[1]) * 1000 if len(sys.argv) > 1 else 800_000
    with bench_lab(rate=RATE, latency=LATENCY) as b:
        # The shared forms reach the hub first, over the same link, so the measured batch
        # carries one new scan only.
        warm = scanned_app(b.unit, 1, os.urandom(1000))
        app_id = scanned_app(b.unit, 2, os.urandom(size))
        with b.unit.store.session() as s:
            first = seal_batch(s, [warm], YEAR, LEVEL, SERIES, "王审核")
            s.commit()
        drive(first, b.unit.transport, b.unit.store)
        with b.unit.store.session() as s:
            batch_id = seal_batch(s, [app_id], YEAR, LEVEL, SERIES, "王审核")
            s.commit()
        timed = Timed(b.unit.transport)
        began = time.monotonic()
        drive(batch_id, timed, b.unit.store)  # type: ignore[arg-type]
        took = time.monotonic() - began
        with b.unit.store.session() as s:
            row = s.get(OutboxBatch, batch_id)
            assert row is not None
            payload = row.bytes_total
        wire = b.proxy.bytes
    assert timed.first is not None
    upload = payload / (timed.last - timed.first)
    print(
        json.dumps(
            {
                "bench": "sync_slow",
                "link_bytes_per_s": RATE,
                "latency_s_each_way": LATENCY,
                "payload_bytes": payload,
                "chunks": timed.sizes,
                "upload_goodput_fraction": round(upload / RATE, 3),
                "drive_goodput_fraction": round(payload / took / RATE, 3),
                "drive_seconds": round(took, 1),
                "goal_fraction": 0.85,
                "wire_up_bytes": wire["up"],
                "wire_down_bytes": wire["down"],
            }
        )
    )


if __name__ == "__main__":
    main()
