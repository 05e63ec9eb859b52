"""Shared set-up of the sync benchmarks: a served hub behind the fault proxy, a unit, a dept."""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx

from tests.factories import make_application
from tests.faultproxy import FaultProxy
from tests.sync_helpers import LiveHub, Net, Office, open_path, passed_app, start_hub
from zcreview.domain.model import iter_attachments


@dataclass
class Bench:
    net: Net
    proxy: FaultProxy
    unit: Office
    dept: Office
    tmp: Path


@contextlib.contextmanager
def bench_lab(**proxy: Any) -> Iterator[Bench]:
    """A `zcreview serve` on SQLite, a FaultProxy(**proxy) in front, a unit with a path up."""
    with tempfile.TemporaryDirectory(prefix="zcreview-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        hub = start_hub(tmp / "hub")
        fault = FaultProxy(hub.url, lifetime=900, **proxy)
        try:
            with lab_offices(hub, tmp, fault.url) as (net, unit, dept):
                yield Bench(net, fault, unit, dept, tmp)
        finally:
            fault.close()
            hub.stop()


@contextlib.contextmanager
def lab_offices(
    hub: LiveHub, tmp: Path, url: str, read_timeout: float = 60.0, give_up_after: float = 120
) -> Iterator[tuple[Net, Office, Office]]:
    """A unit and its department talking to `hub` at `url`, with an approved path between."""
    timeout = httpx.Timeout(connect=10.0, read=read_timeout, write=read_timeout, pool=30.0)
    net = Net(hub.admin, tmp, url=url, timeout=timeout, give_up_after=give_up_after)
    try:
        unit = net.office("德州某机械制造有限公司")
        dept = net.office("德州市工业和信息化局", "主管部门")
        open_path(unit, dept, dept.name)
        yield net, unit, dept
    finally:
        net.close()


def scanned_app(office: Office, seed: int, scan: bytes) -> str:
    """A 通过未上报 application whose first attachment is `scan` (the rest are shared files)."""
    first = next(ref.file for _, ref in iter_attachments(make_application(seed)))
    return passed_app(office.store, seed, big={first: scan})
