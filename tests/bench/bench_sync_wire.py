"""Bytes on the wire for a 200-application batch, after a cut, and for a re-offer; one JSON line.

Run from the repository root: `python tests/bench/bench_sync_wire.py`. A `zcreview serve`
process sits behind the counting fault proxy. Goals (sync.md): wire bytes (both ways) / new
unique payload ≤ 1.02; bytes re-sent after one cut ≤ one chunk + 4 KiB; re-offering an
acknowledged batch sends 0 attachment bytes and ≤ the compressed manifest + 4 KiB.

The payload counts the new scans and the compressed manifest: the applications' own data is new
payload too. `ratio_scans_only` divides by the scans alone.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.sync_bench import Bench, bench_lab, scanned_app
from tests.sync_helpers import LEVEL, SERIES, YEAR, passed_app
from zcreview.storage.sync_tables import OutboxBatch
from zcreview.sync.delivery import drive
from zcreview.sync.outbox import seal_batch

APPS = 200
UNIQUE_SCANS = 40
SCAN = 150_000
CUT_SCAN = 2_000_000


class Counting:
    """Wraps a transport; counts attachment bytes handed to it and the largest chunk."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.up = 0
        self.largest = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def upload_chunk(self, blob_id: str, offset: int, data: bytes) -> int:
        self.up += len(data)
        self.largest = max(self.largest, len(data))
        return int(self.inner.upload_chunk(blob_id, offset, data))


def seal(b: Bench, ids: list[str]) -> str:
    with b.unit.store.session() as s:
        batch_id = seal_batch(s, ids, YEAR, LEVEL, SERIES, "王审核", blobs=b.unit.store.blobs)
        s.commit()
    return batch_id


def wire(b: Bench) -> int:
    return b.proxy.bytes["up"] + b.proxy.bytes["down"]


def main() -> None:
    rng = random.Random(7)
    scans = [rng.randbytes(SCAN) for _ in range(UNIQUE_SCANS)]
    with bench_lab() as b:
        # 200 applications: every one carries the shared forms; one in five a scan of its own,
        # the others a scan another applicant also has (the same 推荐情况登记表, say).
        ids = [
            scanned_app(b.unit, i, scans[i % UNIQUE_SCANS]) if i % 5 == 0
            or i < UNIQUE_SCANS else passed_app(b.unit.store, i)
            for i in range(APPS)
        ]  # fmt: skip
        batch_id = seal(b, ids)
        b.proxy.reset_counts()
        began = time.monotonic()
        counting = Counting(b.unit.transport)
        receipt = drive(batch_id, counting, b.unit.store)  # type: ignore[arg-type]
        took = time.monotonic() - began
        assert all(r.accepted for r in receipt.results)
        with b.unit.store.session() as s:
            row = s.get(OutboxBatch, batch_id)
            assert row is not None
            scans_new, manifest = row.bytes_total, row.manifest
        manifest_gz = len(gzip.compress(manifest.encode(), compresslevel=6))
        batch_wire = wire(b)

        # Re-offer the acknowledged batch: no attachment bytes, about the manifest. The office
        # still holds the receipt, so the commit replay is answered 304 instead of repeating it.
        with b.unit.store.session() as s:
            row = s.get(OutboxBatch, batch_id)
            assert row is not None
            row.state = "sealed"
            s.add(row)
            s.commit()
        b.proxy.reset_counts()
        again = Counting(b.unit.transport)
        drive(batch_id, again, b.unit.store)  # type: ignore[arg-type]
        reoffer_wire = wire(b)

        # One cut: the same batch shape twice, one of them cut mid-chunk.
        clean_id = seal(b, [scanned_app(b.unit, 10_001, os.urandom(CUT_SCAN))])
        b.proxy.reset_counts()
        drive(clean_id, b.unit.transport, b.unit.store)
        clean = wire(b)
        cut_id = seal(b, [scanned_app(b.unit, 10_002, os.urandom(CUT_SCAN))])
        b.proxy.reset_counts()
        b.proxy.cut("up", after=CUT_SCAN // 2, mode="rst")
        cut = Counting(b.unit.transport)
        drive(cut_id, cut, b.unit.store)  # type: ignore[arg-type]
        resent = wire(b) - clean

    payload = scans_new + manifest_gz
    print(
        json.dumps(
            {
                "bench": "sync_wire",
                "applications": APPS,
                "new_scan_bytes": scans_new,
                "manifest_gzip_bytes": manifest_gz,
                "wire_bytes": batch_wire,
                "ratio": round(batch_wire / payload, 4),
                "ratio_scans_only": round(batch_wire / scans_new, 4),
                "ratio_goal": 1.02,
                "seconds": round(took, 2),
                "resent_after_cut_bytes": resent,
                "resent_goal_bytes": cut.largest + 4096,
                "reoffer_attachment_bytes": again.up,
                "reoffer_wire_bytes": reoffer_wire,
                "reoffer_goal_bytes": manifest_gz + 4096,
                "reoffer_within_goal": again.up == 0 and reoffer_wire <= manifest_gz + 4096,
            }
        )
    )


if __name__ == "__main__":
    main()
