"""50 offices committing batches at once against a hub on PostgreSQL; one JSON line.

Run from the repository root: `python tests/bench/bench_hub_load.py [offices] [batches] [processes]`.
With several processes, each is a `zcreview serve` on the same database and data folder (what
`serve --workers N` or hosts behind a load balancer do) and the offices are spread over them.
Needs PostgreSQL at 127.0.0.1:5432, database `test` (or ZCREVIEW_TEST_PG); the hub runs as a
`zcreview serve` process in a fresh schema, dropped afterwards. Each office is a thread with its
own token and HTTP connection: offer, upload the missing attachments, commit. Reports commits
per second over the concurrent phase, commit and whole-batch latency percentiles, and checks
that every application reached the department exactly once (hub rows and the inbox feed) and
that the hub's audit chain still verifies. The
offices' batches (applications, scans, hashes) are made before the timed phase; the CPU seconds
the client, the hub processes and the whole machine spent in it are reported with the load
average, since the client threads and the hub share this machine's cores.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlmodel import Session, func, select

from tests.conftest import drop_pg_schema, pg_url_for_new_schema
from tests.factories import credit_code, default_files, make_application
from tests.sync_helpers import LEVEL, SERIES, YEAR, start_hub
from zcreview.domain.model import iter_attachments
from zcreview.protocol import BlobRef, Manifest, ManifestEntry, PathDecision, PathRequest
from zcreview.storage import hub_audit
from zcreview.storage.sync_tables import HubDelivery
from zcreview.sync.http import HttpTransport
from zcreview.sync.transport import OffsetMismatch

APPS_PER_BATCH = 2
SCAN = 20_000


def entry(seed: int) -> tuple[ManifestEntry, dict[str, bytes]]:
    """An application with one scan of its own and the shared forms; its blobs by hash."""
    app = make_application(seed, application_id=str(uuid.uuid4()))
    files = default_files(app)
    blobs: dict[str, bytes] = {}
    refs: dict[str, BlobRef] = {}
    for i, (_, ref) in enumerate(iter_attachments(app)):
        data = os.urandom(SCAN) if i == 0 else files[ref.file]
        ref.sha256, ref.size, ref.mime = (
            hashlib.sha256(data).hexdigest(),
            len(data),
            "application/pdf",
        )
        blobs[ref.sha256] = data
        refs.setdefault(ref.sha256, BlobRef(sha256=ref.sha256, size=ref.size, name=ref.name[:300]))
    body = app.canonical_json().decode()
    return ManifestEntry(
        application_id=app.application_id,
        revision=hashlib.sha256(body.encode()).hexdigest(),
        series=SERIES,
        level=LEVEL,
        year=YEAR,
        blobs=list(refs.values()),
        application=body,
    ), blobs


def batch(to: str, seed: int) -> tuple[Manifest, dict[str, bytes]]:
    made = [entry(seed * APPS_PER_BATCH + k) for k in range(APPS_PER_BATCH)]
    blobs = {sha: data for _, b in made for sha, data in b.items()}
    manifest = Manifest(
        batch_id=uuid.uuid4(),
        to_office=to,
        series=SERIES,
        level=LEVEL,
        year=YEAR,
        sealed_by="王审核",
        entries=[e for e, _ in made],
    )
    return manifest, blobs


def send(t: HttpTransport, manifest: Manifest, blobs: dict[str, bytes]) -> tuple[float, float]:
    """Offer, upload, commit; (commit seconds, whole batch seconds)."""
    began = time.monotonic()
    answer = t.offer(manifest)
    for need in answer.missing:
        offset = need.have
        while offset < need.size:
            try:
                offset = t.upload_chunk(need.sha256, offset, blobs[need.sha256][offset:])
            except OffsetMismatch as exc:  # another office is sending the same shared form
                offset = exc.offset
    committing = time.monotonic()
    receipt = t.commit(str(manifest.batch_id))
    done = time.monotonic()
    assert all(r.accepted for r in receipt.results), receipt.rejected
    return done - committing, done - began


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds all cores have spent busy so far (everything, PostgreSQL included)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    offices = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    per_office = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    processes = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    url, schema = pg_url_for_new_schema()
    tmp = tempfile.TemporaryDirectory(prefix="zcreview-hubload-")
    hubs = [start_hub(Path(tmp.name) / "hub", url) for _ in range(processes)]
    hub = hubs[0]
    try:
        dept_code = credit_code(org="D0000001")
        _, dept_token = hub.admin.add_office("滨州市工业和信息化局", dept_code, "主管部门")
        dept = HttpTransport(hub.url, dept_token, give_up_after=60)
        units: list[HttpTransport] = []
        for i in range(offices):
            _, token = hub.admin.add_office(f"滨州某企业{i:02d}", credit_code(org=f"A{i:07d}"))
            served_by = hubs[i % processes].url
            t = HttpTransport(served_by, token, give_up_after=60, backoff_base=0.05)
            info = t.put_path(
                str(uuid.uuid4()),
                PathRequest(upper_office=dept_code, series=SERIES, level=LEVEL, year=YEAR),
            )
            dept.decide_path(str(info.path_id), PathDecision(approve=True))
            units.append(t)
        work = [
            [batch(dept_code, 1 + i * per_office + k) for k in range(per_office)]
            for i in range(offices)
        ]
        send(units[0], *batch(dept_code, 0))  # the shared forms reach the hub once
        commit_s: list[float] = []
        batch_s: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(offices + 1)

        def office(i: int) -> None:
            start.wait()
            for manifest, blobs in work[i]:
                try:
                    c, b = send(units[i], manifest, blobs)
                except Exception as exc:  # reported, and counted as a failure below
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                with lock:
                    commit_s.append(c)
                    batch_s.append(b)

        threads = [threading.Thread(target=office, args=(i,)) for i in range(offices)]
        for th in threads:
            th.start()
        start.wait()
        began, client_cpu = time.monotonic(), time.process_time()
        hub_cpu = [process_cpu(h.process.pid) for h in hubs]
        busy = machine_busy()
        for th in threads:
            th.join()
        wall = time.monotonic() - began
        # Hub and client share the machine's cores: what each used shows who was the bottleneck.
        client_cpu = time.process_time() - client_cpu
        hub_cpu = [process_cpu(h.process.pid) - c for h, c in zip(hubs, hub_cpu, strict=True)]
        busy = machine_busy() - busy
        load = os.getloadavg()[0]

        sent = {str(e.application_id) for w in work for m, _ in w for e in m.entries}
        with Session(hub.admin.engine) as s:
            rows = s.exec(
                select(HubDelivery.application_id, func.count()).group_by(
                    HubDelivery.application_id
                )
            ).all()
        stored = {a: n for a, n in rows}
        inbox: list[str] = []
        cursor, more = 0, True
        while more:
            page = dept.inbox(cursor, limit=500)
            inbox += [str(i.application_id) for i in page.items]
            cursor, more = page.cursor, page.more
        lost = len(sent - set(stored)) + len(sent - set(inbox))
        # Every commit appended to the hub's hash chain from whichever process served it.
        audit_ok = hub_audit.verify(hub.admin.engine).ok
        duplicated = sum(n - 1 for n in stored.values()) + len(inbox) - len(set(inbox))
        for t in [*units, dept]:
            t.close()
    finally:
        for h in hubs:
            h.stop()
        drop_pg_schema(schema)
        tmp.cleanup()
    print(
        json.dumps(
            {
                "bench": "hub_load",
                "database": "postgresql",
                "offices": offices,
                "processes": processes,
                "batches": len(batch_s),
                "applications": len(sent),
                "commits_per_s": round(len(batch_s) / wall, 1),
                "commit_p50_ms": round(pct(commit_s, 50) * 1000, 1),
                "commit_p99_ms": round(pct(commit_s, 99) * 1000, 1),
                "batch_p99_ms": round(pct(batch_s, 99) * 1000, 1),
                "seconds": round(wall, 2),
                "client_cpu_s": round(client_cpu, 2),
                "hub_cpu_s": round(sum(hub_cpu), 2),
                "machine_busy_s": round(busy, 2),
                "load_1m": round(load, 2),
                "lost": lost,
                "duplicated": duplicated,
                "audit_chain_ok": audit_ok,
                "errors": errors[:3],
            }
        )
    )


if __name__ == "__main__":
    main()
