"""Bytes on the wire through a counting relay to a `zcreview serve` process (sync.md targets)."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync_helpers import (
    CountingProxy,
    LiveHub,
    Net,
    first_file,
    open_path,
    passed_app,
    report,
    start_hub,
)
from zcreview.storage.sync_tables import OutboxBatch
from zcreview.sync.delivery import drive


@pytest.fixture
def wired(tmp_path: Path) -> Iterator[tuple[Net, CountingProxy]]:
    hub: LiveHub = start_hub(tmp_path / "hub")
    proxy = CountingProxy(hub.url)
    net = Net(hub.admin, tmp_path, url=proxy.url)
    try:
        yield net, proxy
    finally:
        net.close()
        proxy.close()
        hub.stop()


def test_wire_bytes_per_payload_byte_and_replays(
    wired: tuple[Net, CountingProxy], record_property: pytest.RecordProperty
) -> None:
    net, proxy = wired
    unit = net.office("聊城某纺织有限公司")
    dept = net.office("聊城市工业和信息化局", "主管部门")
    open_path(unit, dept, dept.name)
    probe = passed_app(unit.store, 90)
    scans = {first_file(probe, unit.store): os.urandom(1_500_000)}
    apps = [passed_app(unit.store, 1, big=scans)] + [passed_app(unit.store, i) for i in (2, 3)]

    proxy.reset()
    batch_id = report(unit, apps)
    with unit.store.session() as s:
        batch = s.get(OutboxBatch, batch_id)
        assert batch is not None
        payload = batch.bytes_total
        manifest = batch.manifest
    wire = proxy.up + proxy.down
    ratio = wire / payload
    record_property("wire_ratio", round(ratio, 4))
    assert payload >= 1_500_000 and ratio <= 1.02, (wire, payload)

    # Re-offering a batch the hub already holds: no scan bytes, about the manifest.
    proxy.reset()
    with unit.store.session() as s:
        b = s.get(OutboxBatch, batch_id)
        assert b is not None
        b.state = "sealed"
        s.add(b)
        s.commit()
    drive(batch_id, unit.transport, unit.store)
    compressed = len(gzip.compress(manifest.encode(), compresslevel=6))
    record_property("reoffer_bytes", proxy.up + proxy.down)
    assert proxy.up + proxy.down <= compressed + 4096
