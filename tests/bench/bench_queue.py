"""Queue benchmark on 50,000 applications; prints one JSON line.

Measures, on an office built straight through storage in a temporary directory:

- `start_s` / `empty_start_s` / `start_ratio`: process start until the queue's status line
  (`第 1 / N 条`, written only once the count and the first page are on screen) appears in a
  120×40 pseudo-terminal, against an empty Textual app in the same pty until its one line
  appears; medians of `--runs` alternating runs (goal: ratio ≤ 1.5). Both include interpreter
  start-up and importing Textual, so the ratio is what the queue adds. `import_floor_s` is a
  bare `python -c "import zcreview.cli, zcreview.context, zcreview.screens.app"`: the part of the start
  that is imports (SQLAlchemy/SQLModel, pydantic, Textual), not the queue's queries.
- `answering_terminal`: the same start against the same empty app when the pty answers the
  workstation's terminal-graphics question (DA1) as real terminals do. The question is asked
  once Textual has the terminal and nothing waits for its answer, so a silent pty (above) and
  an answering one should start alike.
- `filter_ms`: median time from assigning a new filter (alternately a 年度/级别/系列 selection,
  a state, a search) until the list holds the new count and first rows (worker: COUNT + one
  page, message back) and its visible lines are rendered to strips, in-process with
  `run_test` (goal ≤ 50 ms). `filter_ms_incl_pilot_pause` adds `pilot.pause()`, which also
  waits for Textual's idle/refresh cycle and so over-states the cost.
- `maxrss_mb`: peak resident memory of the in-process run (ru_maxrss).

Before timing, the package's bytecode is compiled (`compileall`), as `pip install` and the first
start of an editable install leave it: Textual's is, and a process that compiles ~40 modules from
source at every start (`PYTHONDONTWRITEBYTECODE` set) measures the compiler, not the start-up.
The first start also validates `settings.toml` and keeps the checked values; later starts reuse
them (see README "Settings"), which the median reflects.

Usage: python tests/bench/bench_queue.py [--count 50000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.pty_run import EMPTY_APP, PtyProgram, python


def compile_bytecode() -> None:
    """Compile the installed package's modules (the linked `screens`, `storage` and `config`
    folders too), as installing it does."""
    import compileall

    import zcreview

    package = Path(zcreview.__file__).parent
    compileall.compile_dir(str(package), quiet=1)
    for child in package.iterdir():
        if child.is_symlink() and child.is_dir():
            compileall.compile_dir(str(child), quiet=1)


def build_office(home: Path, count: int) -> float:
    from tests import tui_data
    from zcreview.storage.store import open_store

    t0 = time.perf_counter()
    store = open_store(home)
    tui_data.fill(store, count)
    tui_data.add_reviewers(store, "张审核")
    store.dispose()
    return time.perf_counter() - t0


def time_start(home: Path, count: int, *, answer_da1: bool = False) -> float:
    prog = PtyProgram(
        [python(), "-m", "zcreview", "--home", str(home)],
        env={"TERM": "xterm-256color"},
        answer_da1=answer_da1,
    )
    try:
        seconds, _ = prog.read_until(f"第 1 / {count} 条".encode())
    finally:
        prog.close()
    return seconds


def time_imports() -> float:
    """Interpreter start plus the imports `zcreview` needs before the first paint."""
    import subprocess

    t0 = time.perf_counter()
    subprocess.run(
        [python(), "-c", "import zcreview.cli, zcreview.context, zcreview.screens.app"], check=True
    )
    return time.perf_counter() - t0


def time_empty() -> float:
    prog = PtyProgram([python(), "-c", EMPTY_APP], env={"TERM": "xterm-256color"})
    try:
        seconds, _ = prog.read_until(b"EMPTY-READY")
    finally:
        prog.close()
    return seconds


async def time_filters(home: Path, rounds: int = 30) -> tuple[list[float], list[float]]:
    from tests.pilot_helpers import settle, workstation_app
    from tests.tui_data import SERIES
    from zcreview.screens.queue import QueueScreen
    from zcreview.screens.widgets.queue_list import QueueList
    from zcreview.settings import Settings
    from zcreview.storage.queue import QueueFilter
    from zcreview.storage.store import open_store

    store = open_store(home)
    app = workstation_app(Settings(home=home), store)
    filters: list[QueueFilter] = []
    for year in (2025, 2024):
        for level in ("中级", "副高级"):
            for series, _ in SERIES:
                filters.append(QueueFilter(year=year, level=level, series=series))
    filters += [QueueFilter(states=frozenset({"待审核"})), QueueFilter(search="郭")]
    times: list[float] = []
    with_pause: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        ql = screen.query_one(QueueList)
        for i in range(rounds):
            flt = filters[i % len(filters)]
            if flt == screen.queue_filter:
                flt = replace(flt, descending=not flt.descending)
            t0 = time.perf_counter()
            screen.queue_filter = flt
            while not ql.loaded or ql.current is None:
                await asyncio.sleep(0.0005)
            # The list's paint: every visible line rendered to strips (what the compositor asks).
            for y in range(ql.size.height):
                ql.render_line(y)
            times.append((time.perf_counter() - t0) * 1000)
            t1 = time.perf_counter()
            await pilot.pause()
            with_pause.append((time.perf_counter() - t1) * 1000 + times[-1])
    store.dispose()
    return times, with_pause


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "office"
        build_s = build_office(home, args.count)
        compile_bytecode()
        starts, empties, imports, answered = [], [], [], []
        for _ in range(args.runs):
            empties.append(time_empty())
            starts.append(time_start(home, args.count))
            answered.append(time_start(home, args.count, answer_da1=True))
            imports.append(time_imports())
        filter_ms, filter_pilot = asyncio.run(time_filters(home))
    start, empty = statistics.median(starts), statistics.median(empties)
    start_answered = statistics.median(answered)
    print(
        json.dumps(
            {
                "bench": "queue",
                "count": args.count,
                "build_s": round(build_s, 2),
                "start_s": round(start, 3),
                "empty_start_s": round(empty, 3),
                "start_ratio": round(start / empty, 2),
                "import_floor_s": round(statistics.median(imports), 3),
                "answering_terminal": {
                    "start_s": round(start_answered, 3),
                    "start_ratio": round(start_answered / empty, 2),
                },
                "filter_ms": round(statistics.median(filter_ms), 1),
                "filter_ms_p90": round(sorted(filter_ms)[int(len(filter_ms) * 0.9)], 1),
                "filter_ms_incl_pilot_pause": round(statistics.median(filter_pilot), 1),
                "maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "load_avg_1m": round(os.getloadavg()[0], 2),
                "goals": {"start_ratio": 1.5, "filter_ms": 50},
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
