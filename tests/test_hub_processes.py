"""Two hub processes on one PostgreSQL database and one data folder, behind a round-robin proxy.

What `serve --workers N` or several hosts behind a load balancer do: every request may land on
either process. The seeded fault rounds of the fault suite run through them and must lose and
duplicate nothing; the same chunk sent to both at once is appended once.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import drop_pg_schema, pg_url_for_new_schema
from tests.sync_helpers import LiveHub, start_hub
from tests.test_sync_faults import Lab, big_app, make_lab, randomised_rounds, seal
from zcreview.protocol import Manifest
from zcreview.storage.sync_tables import OutboxBatch
from zcreview.sync.http import HttpTransport
from zcreview.sync.transport import OffsetMismatch

pytestmark = pytest.mark.postgres


@pytest.fixture
def two_hubs(tmp_path: Path) -> Iterator[tuple[LiveHub, LiveHub]]:
    url, schema = pg_url_for_new_schema()
    first = start_hub(tmp_path / "hub", url)
    second = start_hub(tmp_path / "hub", url)
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()
        drop_pg_schema(schema)


@pytest.fixture
def lab2(two_hubs: tuple[LiveHub, LiveHub], tmp_path: Path) -> Iterator[Lab]:
    first, second = two_hubs
    lab = make_lab(first.admin, [first.url, second.url], tmp_path / "lab")  # type: ignore[arg-type]
    try:
        yield lab
    finally:
        lab.net.close()
        lab.proxy.close()


def test_fault_rounds_through_two_processes_lose_and_duplicate_nothing(lab2: Lab) -> None:
    randomised_rounds(lab2, seed=20261205, rounds=10)
    assert lab2.proxy.connections >= 2  # both processes served


def test_the_same_chunk_sent_to_both_processes_at_once_is_appended_once(
    two_hubs: tuple[LiveHub, LiveHub], lab2: Lab
) -> None:
    _, second = two_hubs
    app_id, data = big_app(lab2.unit, 1, size=600_000)
    batch_id = seal(lab2.unit, [app_id])
    with lab2.unit.store.session() as s:
        row = s.get(OutboxBatch, batch_id)
        assert row is not None
        manifest = Manifest.model_validate_json(row.manifest)
    digest = hashlib.sha256(data).hexdigest()
    assert digest in [need.sha256 for need in lab2.unit.transport.offer(manifest).missing]
    other = HttpTransport(second.url, lab2.unit.token, give_up_after=10)  # same office
    chunk = data[:300_000]
    answers: list[object] = []

    def send(transport: HttpTransport) -> None:
        try:
            answers.append(transport.upload_chunk(digest, 0, chunk))
        except OffsetMismatch as exc:
            answers.append(exc)

    threads = [threading.Thread(target=send, args=(t,)) for t in (lab2.unit.transport, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    other.close()
    assert sorted(type(a).__name__ for a in answers) == ["OffsetMismatch", "int"]
    assert lab2.unit.transport.head_offset(digest) == len(chunk)  # appended once, not twice
