"""Benchmark encrypted folder bundles: write a batch with MB megabytes of scans onto a "stick"
and import it at the receiver; prints one JSON line (MB/s each way, and the bytes on the stick
against the scans' bytes). Usage: `python tests/bench/bench_bundle_seal.py [MB]` (default 40).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bundle_helpers import bundle_pair, seal
from tests.sync_helpers import first_file, passed_app
from zcreview.sync.bundle_import import import_batch
from zcreview.sync.delivery import drive
from zcreview.sync.transport import AwaitingReceipt


def main(mb: int = 40) -> dict[str, object]:
    with (
        tempfile.TemporaryDirectory(prefix="zcreview-bench-") as tmp,
        bundle_pair(Path(tmp)) as (unit, dept),
    ):
        probe = passed_app(unit.store, 1)
        name = first_file(probe, unit.store)
        per_app = 4 * 1024 * 1024
        apps = [
            passed_app(unit.store, 2 + i, big={name: os.urandom(per_app)})
            for i in range(max(1, mb // 4))
        ]
        payload = per_app * len(apps)
        batch = seal(unit, apps)
        start = time.perf_counter()
        with contextlib.suppress(AwaitingReceipt):  # the receipt comes back with the stick
            drive(batch, unit.transport, unit.store)
        wrote = time.perf_counter() - start
        on_stick = sum(p.stat().st_size for p in (unit.usb / batch).rglob("*") if p.is_file())
        start = time.perf_counter()
        imported = import_batch(dept.store, unit.usb / batch)
        read = time.perf_counter() - start
        assert imported.receipt is not None and len(imported.receipt.accepted) == len(apps)
    return {
        "bench": "bundle_seal",
        "scan_mb": round(payload / 2**20, 1),
        "write_mb_s": round(payload / 2**20 / wrote, 1),
        "import_mb_s": round(payload / 2**20 / read, 1),
        "stick_bytes_per_scan_byte": round(on_stick / payload, 4),
    }


if __name__ == "__main__":
    print(json.dumps(main(*(int(a) for a in sys.argv[1:2]))))
