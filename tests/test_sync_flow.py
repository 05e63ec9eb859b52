"""Reporting up two levels and a return coming back down, over a real hub.

Runs on a `zcreview serve` process on loopback (hub on SQLite) and in-process with the hub on
PostgreSQL (and the committee-side office database on PostgreSQL too).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from tests.conftest import drop_pg_schema, pg_url_for_new_schema
from tests.sync_helpers import (
    LEVEL,
    SERIES,
    SOON,
    YEAR,
    LiveHub,
    Net,
    backend_net,
    first_file,
    open_path,
    pass_here,
    passed_app,
    report,
    return_here,
    state_of,
)
from zcreview.domain.checks import counts, run_all
from zcreview.domain.workflow import State
from zcreview.protocol import Correction
from zcreview.storage import applications, notices
from zcreview.storage.sync_tables import OutboxBatch, OutboxItem, ReturnReceived
from zcreview.sync.delivery import BatchProgress, drive
from zcreview.sync.inbox import (
    corrections_of,
    fetch_blob,
    office_config,
    pull_inbox,
    pull_returns,
    push_returns,
)
from zcreview.sync.outbox import SealError, seal_batch


@pytest.fixture(
    params=["uvicorn-sqlite", pytest.param("asgi-postgresql", marks=pytest.mark.postgres)]
)
def net(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Net]:
    if request.param == "uvicorn-sqlite":
        live: LiveHub = request.getfixturevalue("live_hub")
        n = Net(live.admin, tmp_path, url=live.url)
        try:
            yield n
        finally:
            n.close()
        return
    yield from backend_net("postgresql", tmp_path)


def test_two_levels_up_and_a_return_down(net: Net, request: pytest.FixtureRequest) -> None:
    pg_office = None
    if "postgresql" in request.node.callspec.id:
        pg_office, schema = pg_url_for_new_schema()
        request.addfinalizer(lambda: drop_pg_schema(schema))
    unit = net.office("济南华源机械制造有限公司")
    dept = net.office("济南市工业和信息化局", "主管部门")
    bureau = net.office("济南市人力资源和社会保障局", "人社局", store_url=pg_office)

    # Report without an approved path is explained before sealing.
    big = os.urandom(1_300_000)
    a1 = passed_app(unit.store, 1)
    a2 = passed_app(unit.store, 2, big={first_file(a1, unit.store): big})
    a3 = passed_app(unit.store, 3)
    with unit.store.session() as s, pytest.raises(SealError, match="路径"):
        seal_batch(s, [a1, a2, a3], YEAR, LEVEL, SERIES, "王审核")

    open_path(unit, dept, "工业和信息化")  # fuzzy: part of the name
    open_path(dept, bureau, "人力资源社会保障")  # fuzzy: characters in order, with gaps

    progress: list[BatchProgress] = []
    batch_id = report(unit, [a1, a2, a3], progress)
    assert {state_of(unit.store, a) for a in (a1, a2, a3)} == {State.REPORTED.value}
    with unit.store.session() as s:
        batch = s.get(OutboxBatch, batch_id)
        assert batch is not None and batch.state == "acknowledged"
        assert batch.bytes_sent == batch.bytes_total >= len(big)
    assert progress[-1].state == "acknowledged"
    assert any(p.state == "uploading" for p in progress)

    # The department receives metadata first; attachments on demand.
    received = pull_inbox(dept.transport, dept.store)
    assert sorted(r.application_id for r in received) == sorted([a1, a2, a3])
    assert {state_of(dept.store, a) for a in (a1, a2, a3)} == {State.PENDING.value}
    # Arrivals get the queue's ✓/⚠/✗ from the same recording step as intake.
    config = office_config()
    assert config is not None
    with dept.store.session() as s:
        for a in (a1, a2, a3):
            row = applications.get_row(a, session=s)
            app = applications.load_revision(a, session=s)
            assert row is not None and row.n_ok > 0
            assert (row.n_ok, row.n_warn, row.n_fail) == counts(run_all(app, config))
    assert pull_inbox(dept.transport, dept.store) == []  # cursor stored
    with dept.store.session() as s:
        app2 = applications.load_revision(a2, session=s)
    big_sha = next(ref.sha256 for _, ref in app2.all_attachments() if ref.size == len(big))
    assert big_sha is not None and not dept.store.blobs.has(big_sha)
    assert fetch_blob(dept.store, dept.transport, big_sha).read_bytes() == big

    # The department passes them and reports on to the bureau.
    for a in (a1, a2, a3):
        pass_here(dept.store, a)
    report(dept, [a1, a2, a3])
    assert {state_of(dept.store, a) for a in (a1, a2, a3)} == {State.REPORTED.value}
    assert len(pull_inbox(bureau.transport, bureau.store)) == 3

    # The bureau returns a1 to the department, which returns it on to the unit.
    corrections = [Correction(item="education.basis.chsi_code", reason="缺少学信网验证码")]
    return_here(bureau.store, a1, corrections, SOON, reviewer="李")
    assert len(push_returns(bureau.transport, bureau.store)) == 1
    assert push_returns(bureau.transport, bureau.store) == []
    applied = pull_returns(dept.transport, dept.store)
    assert [(a.application_id, a.applied) for a in applied] == [(a1, True)]
    assert state_of(dept.store, a1) == State.RETURNED_FROM_ABOVE.value
    assert pull_returns(dept.transport, dept.store) == []  # idempotent, cursor stored
    with dept.store.session() as s:
        [(row, items)] = corrections_of(s, a1)
        assert items == corrections and row.deadline == SOON
        notice = notices.last_return(a1, session=s)  # the notice is stored here too
        assert notice is not None
    return_here(dept.store, a1, corrections, SOON - timedelta(days=5), reviewer="赵")
    push_returns(dept.transport, dept.store)
    assert [a.application_id for a in pull_returns(unit.transport, unit.store)] == [a1]
    assert state_of(unit.store, a1) == State.RETURNED_FROM_ABOVE.value

    # The applicant corrects; the resubmission goes up with supersedes and no scan bytes.
    with unit.store.session() as s:
        old = applications.get_row(a1, session=s)
        assert old is not None
        old_rev = old.head_revision
        app = applications.load_revision(a1, session=s).model_copy(deep=True)
        assert app.education.basis is not None
        app.education.basis.chsi_code = "A2012063799999999"
        applications.record_revision(app, session=s)
        s.commit()
    assert state_of(unit.store, a1) == State.RESUBMITTED.value
    pass_here(unit.store, a1)
    batch2 = report(unit, [a1])
    with unit.store.session() as s:
        b2 = s.get(OutboxBatch, batch2)
        item = s.exec(select(OutboxItem).where(OutboxItem.batch_id == batch2)).one()
        assert b2 is not None and b2.state == "acknowledged"
        assert b2.bytes_total == 0  # unchanged scans: nothing to send
        assert item.supersedes == old_rev and item.outcome == "accepted"
    [got] = pull_inbox(dept.transport, dept.store)
    assert got.outcome == "revision"
    assert state_of(dept.store, a1) == State.RESUBMITTED.value


def test_report_without_hub_path_is_rejected_per_application(net: Net) -> None:
    """The office believes a path is approved; the hub does not: each application is refused."""
    unit = net.office("青岛某设计院")
    dept = net.office("青岛市住房和城乡建设局", "主管部门")
    open_path(unit, dept, dept.name)
    with unit.store.session() as s:
        from zcreview.storage.sync_tables import SyncPath

        fake = s.exec(select(SyncPath)).one()
        s.add(SyncPath(**{**fake.model_dump(), "path_id": "f" * 8, "level": "副高级"}))
        s.commit()
    ok = passed_app(unit.store, 4)
    bad = passed_app(unit.store, 5, basic__level="副高级", basic__title="高级工程师")
    with unit.store.session() as s:
        batch_id = seal_batch(s, [bad], YEAR, "副高级", SERIES, "王审核")
        s.commit()
    receipt = drive(batch_id, unit.transport, unit.store)
    [result] = receipt.results
    assert not result.accepted and "路径" in result.reasons[0]
    assert state_of(unit.store, bad) == State.PASSED.value  # back in the queue
    with unit.store.session() as s:
        batch = s.get(OutboxBatch, batch_id)
        item = s.exec(select(OutboxItem).where(OutboxItem.batch_id == batch_id)).one()
        assert batch is not None and batch.state == "partly_rejected"
        assert "路径" in json.loads(item.reasons)[0]
    # The refused application can go again in a new batch once fixed; the good one is unaffected.
    report(unit, [ok])
    assert state_of(unit.store, ok) == State.REPORTED.value
    with unit.store.session() as s:
        assert s.exec(select(ReturnReceived)).all() == []
