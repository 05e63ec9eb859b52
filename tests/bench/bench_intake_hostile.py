"""Benchmark hostile intake: packages of thousands of work-history rows, refused quickly and small.

Imports a package with 4,000 and one with 10,000 identical work-history rows (1.8 MB of JSON) and
times each; then runs every pre-check on an application of 4,000 rows built directly (as an old
record might hold), which WORK-GAP must handle in linear time. Prints one JSON line with the
seconds, the outcomes and the process's peak RSS in MB. Goal: each import under 1 s and the
whole run under 200 MB. Usage: `PYTHONPATH=. python tests/bench/bench_intake_hostile.py`.
"""

from __future__ import annotations

import json
import os
import resource
import tempfile
import time
from pathlib import Path

from tests.factories import application_dict, make_application, write_zip_package
from zcreview.configfiles import default_config
from zcreview.domain.checks import run_all
from zcreview.intake.importer import import_paths
from zcreview.storage.store import open_store


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> dict[str, object]:
    os.environ["ZCREVIEW_CONFIG_DIR"] = tempfile.mkdtemp(prefix="zcreview-bench-config-")
    config = default_config()
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="zcreview-bench-") as tmp:
        root = Path(tmp)
        store = open_store(root / "office")
        row = application_dict(0)["work_history"][0]
        # One-time costs (the first session, lazy imports) are timed apart from the packages.
        warm = write_zip_package(root / "warm.zip", application_dict(0, basic__year="x"))
        t0 = time.perf_counter()
        import_paths([warm], store, config=config)
        out["warm_up_s"] = round(time.perf_counter() - t0, 3)
        for rows in (4000, 10_000):
            data = application_dict(0, work_history=[row] * rows)
            package = write_zip_package(root / f"rows-{rows}.zip", data)
            t0 = time.perf_counter()
            report = import_paths([package], store, config=config)
            out[f"import_{rows}_rows_s"] = round(time.perf_counter() - t0, 3)
            out[f"import_{rows}_rows_outcome"] = report.results[0].outcome
        store.dispose()
    app = make_application(0)
    app.work_history = [app.work_history[0]] * 4000
    t0 = time.perf_counter()
    results = run_all(app, config)
    out["checks_4000_rows_s"] = round(time.perf_counter() - t0, 3)
    out["checks_4000_rows_results"] = len(results)
    out["peak_rss_mb"] = round(_peak_mb(), 1)
    return out


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False))
