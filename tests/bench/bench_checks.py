"""Benchmark of `run_all` on 50,000 varied applications; prints one JSON line.

Run from the repository root: `python tests/bench/bench_checks.py [count]`. Goal: ≥ 5,000
applications per second on one core. The rate is taken from CPU time (the process is single
threaded), so a busy machine does not distort it; `calibration_loop_seconds` times a fixed
pure-Python loop (about 0.4 s on a current desktop core) so figures from different machines
can be compared.
"""

from __future__ import annotations

import copy
import json
import random
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.factories import application_dict
from zcreview.configfiles import default_config
from zcreview.domain.checks import PeerInfo, counts, run_all
from zcreview.domain.model import Application

MIMES = ["application/pdf", "image/jpeg", "image/png", "image/gif", None, "application/msword"]


def _vary(rng: random.Random, data: dict[str, Any]) -> dict[str, Any]:
    b = data["basic"]
    b["year"] = rng.choice([2023, 2024, 2025])
    b["unit_nature"] = rng.choice(["企业", "企业", "事业单位", "机关"])
    b["professional_years"] = rng.randint(3, 16)
    b["entrusted"] = rng.random() < 0.1
    b["is_work_unit"] = rng.random() < 0.9
    b["unit_rank"] = rng.choice(["1/3", "2/5", "3／5", "6/5"])
    if rng.random() < 0.2:
        b.update(
            series="药品技术",
            title="主管药师",
            specialty_category=None,
            current_specialty="药品检验",
        )
        data["education"]["basis"]["education"] = rng.choice(["大学专科", "大学本科"])
    if rng.random() < 0.1:
        b["method"] = "改系列"
    years = range(b["year"] - rng.randint(2, 6), b["year"])
    data["assessments"] = [
        {**data["assessments"][0], "year": y, "grade": rng.choice(["合格", "优秀", "基本合格"])}
        for y in years
    ]
    data["continuing_education"] = [
        {
            **data["continuing_education"][0],
            "start": f"{y}-01",
            "end": f"{y}-12",
            "public_hours": rng.choice([20, 30, 40]),
            "professional_hours": rng.choice([50, 60, 70]),
        }
        for y in years
    ]
    achievements = data["achievements"]
    data["achievements"] = [
        {
            **copy.deepcopy(achievements[i % 2]),
            "name": f"{achievements[i % 2]['name']}{i}",
            "on": f"{rng.randint(2018, 2024)}-{rng.randint(1, 12):02d}",
        }
        for i in range(rng.randint(0, 17))
    ]
    rows = data["work_history"]
    if rng.random() < 0.3:
        rows[0]["end"] = "2015-12"
    data["work_summary"] = "字" * rng.choice([0, 300, 1100, 1300])
    return data


def build(count: int, seed: int = 20250601) -> list[Application]:
    """`count` applications, varied deterministically by `seed`."""
    rng = random.Random(seed)
    apps = []
    for i in range(count):
        app = Application.model_validate(_vary(rng, application_dict(i % 997)))
        for _path, ref in app.all_attachments():
            ref.mime = rng.choice(MIMES)
            ref.size = rng.choice([120_000, 900_000, 6_000_000, None])
        apps.append(app)
    return apps


def calibration() -> float:
    """CPU seconds of a fixed pure-Python loop (10 million additions), to compare machines."""
    start = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - start


def main(count: int = 50_000) -> None:
    config = default_config()
    apps = build(count)
    peers = [PeerInfo("考核认定", 2025)]
    today = date(2025, 6, 20)
    run_all(apps[0], config, today=today)  # warm caches (prepared config, regexes)
    ok = warn = fail = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    for i, app in enumerate(apps):
        results = run_all(app, config, today=today, peers=peers if i % 50 == 0 else ())
        o, w, f = counts(results)
        ok, warn, fail = ok + o, warn + w, fail + f
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    print(
        json.dumps(
            {
                "benchmark": "checks.run_all",
                "applications": count,
                "cpu_seconds": round(cpu, 3),
                "applications_per_second": round(count / cpu),
                "wall_seconds": round(seconds, 3),
                "wall_applications_per_second": round(count / seconds),
                "calibration_loop_seconds": round(calibration(), 3),
                "results": {"ok": ok, "warn": warn, "fail": fail},
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
