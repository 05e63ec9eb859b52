"""Helper for benchmarks: a populated office store in seconds (demo bulk path, tiny blobs)."""

from __future__ import annotations

from pathlib import Path

from zcreview.demo.office import build_demo_office
from zcreview.storage.store import Store, open_store


def build_bench_office(
    home: Path, count: int, *, seed: int = 1, db_url: str | None = None
) -> Store:
    """Open (creating) the store under `home` and fill it with `count` demo applications.

    Uses the bulk path: same records, states and queue columns as the full demo, but rows go
    straight into storage and every attachment is one of three tiny shared blobs. The caller
    disposes of the returned store.
    """
    store = open_store(home, db_url)
    build_demo_office(store, count, seed, with_attachments=False)
    return store


if __name__ == "__main__":
    import json
    import sys
    import tempfile
    import time

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        build_bench_office(Path(tmp), n).dispose()
    print(json.dumps({"applications": n, "seconds": round(time.perf_counter() - started, 2)}))
