"""Peak memory of the office and the hub while one batch of big scans is sent; one JSON line.

Run from the repository root: `python tests/bench/bench_sync_memory.py [applications] [scan_mb]`
(default 50 applications × 4 scans × 5 MB, about 1 GB on disk in a temporary directory). The
goal (sync.md) is memory bounded while sending: attachments are streamed in chunks, never loaded
whole. Each size runs in a fresh office process against a fresh `zcreview serve` on loopback
(SQLite, no proxy): the full size and a quarter-size run (same batch, scans a quarter as big).
For both processes the peak resident set during the drive alone is read from /proc (VmHWM, reset
just before the drive through clear_refs); `flat` says whether the full run's peaks stay within
a margin of the quarter run's although it sends four times the bytes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.sync_bench import lab_offices
from tests.factories import default_files, make_application
from tests.sync_helpers import LEVEL, SERIES, YEAR, start_hub
from zcreview.domain.model import iter_attachments
from zcreview.domain.workflow import State
from zcreview.storage import applications
from zcreview.storage.store import Store
from zcreview.sync.delivery import drive
from zcreview.sync.outbox import seal_batch

SCANS_PER_APP = 4
PIECE = 1024 * 1024
FLAT_MARGIN_MB = 32.0
"""The full run may use this much more than the quarter run and still count as flat (about
one chunk in flight per side, plus allocator noise): far below the 4× bytes it sends."""


def _status_kb(pid: int | str, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak(pid: int | str) -> bool:
    """Make VmHWM start again from the current RSS (Linux: write 5 to clear_refs)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _mb(kb: int) -> float:
    return round(kb / 1024, 1)


def _random_file(path: Path, size: int) -> None:
    """`size` random bytes written a piece at a time (never held whole)."""
    with path.open("wb") as f:
        left = size
        while left > 0:
            n = min(PIECE, left)
            f.write(os.urandom(n))
            left -= n


def _fill(store: Store, apps: int, scan_bytes: int, scratch: Path) -> list[str]:
    """`apps` applications in 通过未上报, each with SCANS_PER_APP scans of its own, on disk."""
    scratch.mkdir()
    ids: list[str] = []
    for seed in range(apps):
        app = make_application(seed, application_id=str(uuid.uuid4()))
        small = default_files(app)
        for i, (_, ref) in enumerate(iter_attachments(app)):
            if i < SCANS_PER_APP:
                src = scratch / f"{seed}-{i}"
                _random_file(src, scan_bytes)
                ref.sha256, ref.size = store.blobs.put_file(src), scan_bytes
                src.unlink()
            else:
                ref.sha256 = store.blobs.put_bytes(small[ref.file])
                ref.size = len(small[ref.file])
            ref.mime = "application/pdf"
        with store.session() as s:
            result = applications.record_revision(app, session=s, initial_state=State.PASSED)
            s.commit()
        ids.append(result.application_id)
    return ids


def run(apps: int, scan_bytes: int) -> dict[str, Any]:
    """One office process: fill a store, seal, drive to a fresh hub; peaks during the drive."""
    with tempfile.TemporaryDirectory(prefix="zcreview-mem-") as d:
        tmp = Path(d)
        hub = start_hub(tmp / "hub")
        try:
            with lab_offices(hub, tmp, hub.url, read_timeout=120, give_up_after=300) as offices:
                store = offices[1].store
                made = time.monotonic()
                ids = _fill(store, apps, scan_bytes, tmp / "scratch")
                with store.session() as s:
                    batch_id = seal_batch(s, ids, YEAR, LEVEL, SERIES, "王审核", blobs=store.blobs)
                    s.commit()
                prepared = time.monotonic() - made
                pid = hub.process.pid
                office_before = _status_kb("self", "VmRSS")
                hub_before = _status_kb(pid, "VmRSS")
                reset = _reset_peak("self") and _reset_peak(pid)
                began = time.monotonic()
                receipt = drive(batch_id, offices[1].transport, store)
                took = time.monotonic() - began
                office_peak = _status_kb("self", "VmHWM")
                hub_peak = _status_kb(pid, "VmHWM")
        finally:
            hub.stop()
    sent = apps * SCANS_PER_APP * scan_bytes
    return {
        "applications": apps,
        "scans": apps * SCANS_PER_APP,
        "scan_bytes": scan_bytes,
        "scan_total_mb": round(sent / 2**20, 1),
        "accepted": sum(r.accepted for r in receipt.results),
        "prepare_seconds": round(prepared, 1),
        "drive_seconds": round(took, 1),
        "mb_per_s": round(sent / 2**20 / took, 1),
        "peak_reset": reset,
        "office_rss_before_mb": _mb(office_before),
        "office_peak_mb": _mb(office_peak),
        "office_growth_mb": _mb(office_peak - office_before),
        "hub_rss_before_mb": _mb(hub_before),
        "hub_peak_mb": _mb(hub_peak),
        "hub_growth_mb": _mb(hub_peak - hub_before),
    }


def _child(apps: int, scan_bytes: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--run", str(apps), str(scan_bytes)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    if sys.argv[1:2] == ["--run"]:
        print(json.dumps(run(int(sys.argv[2]), int(sys.argv[3]))))
        return
    apps = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    scan_mb = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    scan = int(scan_mb * 1_000_000)
    need = apps * SCANS_PER_APP * scan * 2.2  # the source file and the store's copy, and slack
    free = shutil.disk_usage(tempfile.gettempdir()).free
    if free < need:
        scan = max(1_000_000, int(scan * free / need))
    quarter = _child(apps, scan // 4)
    full = _child(apps, scan)
    office_flat = full["office_growth_mb"] <= quarter["office_growth_mb"] + FLAT_MARGIN_MB
    hub_flat = full["hub_growth_mb"] <= quarter["hub_growth_mb"] + FLAT_MARGIN_MB
    print(
        json.dumps(
            {
                "bench": "sync_memory",
                "goal": "memory bounded while sending 50 applications × 4 scans × 5 MB",
                "scan_bytes": scan,
                "reduced_for_disk": scan != int(scan_mb * 1_000_000),
                "full": full,
                "quarter": quarter,
                "office_flat": office_flat,
                "hub_flat": hub_flat,
                "flat_margin_mb": FLAT_MARGIN_MB,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
