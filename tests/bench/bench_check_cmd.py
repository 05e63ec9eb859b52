"""Benchmark `zcreview check` on a folder of demo packages; prints one JSON line.

Writes COUNT demo packages (real scans and PDFs) to a temporary folder, then runs the command
on the folder as a user would, output to a temporary file, and reports packages per second
(wall clock: reading and hashing the files is part of the job). Usage:
`python tests/bench/bench_check_cmd.py [COUNT] [SEED]` (defaults 1000, 1).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from zcreview.cli import main as cli_main
from zcreview.demo.attachments import AttachmentPool
from zcreview.demo.generate import Generator
from zcreview.demo.office import PackageWriter


def main(count: int = 1000, seed: int = 1) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="zcreview-bench-") as tmp:
        root = Path(tmp)
        gen = Generator(count, seed)
        writer = PackageWriter(root / "work", AttachmentPool(seed))
        for i in range(count):
            demo = gen.build(i)
            writer.write(f"{i + 1:05d}", demo.app, demo.files)
        packages = root / "work" / "packages"
        out, err = io.StringIO(), io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli_main(["check", str(packages), "--today", "2025-06-20"])
        seconds = time.perf_counter() - start
    return {
        "bench": "check_cmd",
        "packages": count,
        "attachment_mb": round(writer.bytes / 2**20, 1),
        "seconds": round(seconds, 2),
        "packages_per_second": round(count / seconds, 1),
        "exit_status": status,
        "summary": out.getvalue().splitlines()[-1],
        "reported": err.getvalue().strip(),
    }


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    print(json.dumps(main(*args), ensure_ascii=False))
