"""Bytes the queue writes to the terminal over SSH-like conditions; prints one JSON line.

The workstation runs as `python -m zcreview` in a 120×40 pseudo-terminal with
TERM=xterm-256color (the default settings: 256 colours, no mouse, no animation, capped frame
rate). Every byte the program writes is counted:

- `startup`: from process start until the output has been quiet for a moment after the status
  line (`第 1 / N 条`) appeared;
- `down` / `pgdn`: per ↓ and per PgDn (medians over several presses, each drained until quiet);
- `repaint`: per full repaint (Ctrl+L);
- `mouse_motion`: bytes written after xterm SGR mouse-motion reports are sent (the app asks for
  no mouse tracking, and has no hover effects, so this must be 0).

Targets (terminal.md): ↓ ≤ 1 KB, PgDn ≤ 10 KB, repaint ≤ 15 KB, start-up ≤ 3 × repaint,
mouse motion 0.

Usage: python tests/bench/bench_queue_bytes.py [--count 5000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.pty_run import PtyProgram, python

DOWN = b"\x1b[B"
PGDN = b"\x1b[6~"
CTRL_L = b"\x0c"
QUIET = 0.35


def build_office(home: Path, count: int) -> None:
    from tests import tui_data
    from zcreview.storage.store import open_store

    store = open_store(home)
    tui_data.fill(store, count)
    tui_data.add_reviewers(store, "张审核")
    store.dispose()


def per_key(prog: PtyProgram, key: bytes, times: int) -> list[int]:
    sizes = []
    for _ in range(times):
        prog.send(key)
        sizes.append(len(prog.read_quiet(QUIET)))
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "office"
        build_office(home, args.count)
        prog = PtyProgram(
            [python(), "-m", "zcreview", "--home", str(home)],
            env={"TERM": "xterm-256color", "COLORTERM": ""},
        )
        try:
            _, first = prog.read_until(f"第 1 / {args.count} 条".encode())
            startup = len(first) + len(prog.read_quiet(1.0))
            down = per_key(prog, DOWN, 15)
            pgdn = per_key(prog, PGDN, 8)
            repaint = per_key(prog, CTRL_L, 3)
            # SGR any-event motion reports at a few positions over the list.
            motion = b"".join(f"\x1b[<35;{x};{y}M".encode() for x, y in [(60, 10), (61, 11)])
            prog.send(motion * 10)
            mouse = len(prog.read_quiet(0.6))
        finally:
            prog.close()
    full = statistics.median(repaint)
    result = {
        "bench": "queue_bytes",
        "size": "120x40",
        "term": "xterm-256color",
        "count": args.count,
        "startup": startup,
        "down": statistics.median(down),
        "down_max": max(down),
        "pgdn": statistics.median(pgdn),
        "pgdn_max": max(pgdn),
        "repaint": full,
        "startup_over_repaint": round(startup / full, 2) if full else None,
        "mouse_motion": mouse,
        "targets": {
            "down": 1024,
            "pgdn": 10240,
            "repaint": 15360,
            "startup_over_repaint": 3,
            "mouse_motion": 0,
        },
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
