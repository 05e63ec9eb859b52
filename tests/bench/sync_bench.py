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
from tests.sync_helpers import Net, Office, open_path, passed_app, start_hub
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
        timeout = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=30.0)
        net = Net(hub.admin, tmp, url=fault.url, timeout=timeout, give_up_after=120)
        try:
            unit = net.office("德州某机械制造有限公司")
            dept = net.office("德州市工业和信息化局", "主管部门")
            open_path(unit, dept, dept.name)
            yield Bench(net, fault, unit, dept, tmp)
        finally:
            net.close()
            fault.close()
            hub.stop()


def scanned_app(office: Office, seed: int, scan: bytes) -> str:
    """A 通过未上报 application whose first attachment is `scan` (the rest are shared files)."""
    first = next(ref.file for _, ref in iter_attachments(make_application(seed)))
    return passed_app(office.store, seed, big={first: scan})
