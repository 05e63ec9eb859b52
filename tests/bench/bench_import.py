"""Benchmark intake: import 2,000 demo packages, then import them again (nothing may be rewritten).

Prints one JSON line: packages per second for the first import, for the re-import, the speed-up,
and what the re-import wrote (database rows changed, blob files created). Usage:
`python tests/bench/bench_import.py [COUNT] [SEED]`.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from zcreview.demo.attachments import AttachmentPool
from zcreview.demo.generate import Generator
from zcreview.demo.office import PackageWriter
from zcreview.intake.importer import import_paths
from zcreview.storage.store import open_store
from zcreview.storage.tables import ApplicationRow, AttachmentRow, BlobRow, RevisionRow


def _db_state(engine: Engine) -> dict[str, object]:
    """Row counts and the latest update stamp: any write by a re-import changes one of them."""
    with engine.connect() as conn:
        out: dict[str, object] = {}
        for table in (ApplicationRow, RevisionRow, AttachmentRow, BlobRow):
            t = table.__table__  # type: ignore[attr-defined]
            out[t.name] = conn.execute(select(func.count()).select_from(t)).scalar_one()
        out["max_updated_at"] = str(
            conn.execute(select(func.max(ApplicationRow.__table__.c.updated_at))).scalar_one()  # type: ignore[attr-defined]
        )
    return out


def _blob_files(root: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def main(count: int = 2000, seed: int = 1) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="zcreview-bench-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        gen = Generator(count, seed)
        writer = PackageWriter(root / "work", AttachmentPool(seed))
        for i in range(count):
            demo = gen.build(i)
            writer.write(f"{i + 1:05d}", demo.app, demo.files)
        generated = time.perf_counter() - t0

        store = open_store(root / "office")
        packages = root / "work" / "packages"
        t1 = time.perf_counter()
        first = import_paths([packages], store)
        first_s = time.perf_counter() - t1

        before_db = _db_state(store.engine)
        before_blobs = _blob_files(store.blobs.root)
        t2 = time.perf_counter()
        again = import_paths([packages], store)
        again_s = time.perf_counter() - t2
        after_db = _db_state(store.engine)
        after_blobs = _blob_files(store.blobs.root)
        store.dispose()

    rewritten_blobs = sum(1 for k, v in after_blobs.items() if before_blobs.get(k) != v)
    return {
        "bench": "import",
        "packages": count,
        "attachment_files": writer.files,
        "attachment_mb": round(writer.bytes / 2**20, 1),
        "generate_s": round(generated, 2),
        "import_s": round(first_s, 2),
        "import_pkg_per_s": round(count / first_s, 1),
        "outcomes": first.counts,
        "reimport_s": round(again_s, 2),
        "reimport_pkg_per_s": round(count / again_s, 1),
        "reimport_outcomes": again.counts,
        "speedup": round(first_s / again_s, 1),
        "reimport_db_changed": before_db != after_db,
        "reimport_blobs_written": rewritten_blobs,
        "goal_met": before_db == after_db and rewritten_blobs == 0 and first_s / again_s >= 5,
    }


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    print(json.dumps(main(*args), ensure_ascii=False))
