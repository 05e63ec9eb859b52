"""The failure classes of sync.md, through a fault proxy in front of a real `zcreview serve`.

Every test ends by counting: each application reaches the upper office exactly once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, func, select

from tests.conftest import REPO
from tests.faultproxy import FaultProxy
from tests.sync_helpers import (
    LEVEL,
    SERIES,
    SOON,
    YEAR,
    LiveHub,
    Net,
    Office,
    app_with_scan,
    first_file,
    open_path,
    pass_here,
    passed_app,
    return_here,
    seal,
    start_hub,
    state_of,
)
from zcreview.domain.workflow import State
from zcreview.protocol import DEFAULT_CHUNK, Correction, Manifest
from zcreview.storage import applications, audit
from zcreview.storage.sync_tables import HubDelivery, HubReturn, OutboxBatch
from zcreview.sync import delivery as delivery_mod
from zcreview.sync import inbox as inbox_mod
from zcreview.sync.delivery import drive
from zcreview.sync.inbox import pull_inbox, pull_returns, push_returns
from zcreview.sync.paths import decide_path, refresh_paths, request_path
from zcreview.sync.transport import SyncError

TIMEOUT = httpx.Timeout(connect=2.0, read=1.5, write=2.0, pool=2.0)
BIG = 1_300_000


@dataclass
class Lab:
    net: Net
    proxy: FaultProxy
    unit: Office
    dept: Office


def make_lab(hub: Any, url: str, tmp: Path, give_up_after: float = 30) -> Lab:
    proxy = FaultProxy(url, lifetime=300)
    net = Net(hub, tmp, url=proxy.url, timeout=TIMEOUT, give_up_after=give_up_after)
    unit = net.office("淄博某化工有限公司")
    # One hub serves the module: the department's name must find it alone.
    dept = net.office(f"淄博市工业和信息化局（{uuid.uuid4().hex[:6]}）", "主管部门")
    open_path(unit, dept, dept.name)
    return Lab(net, proxy, unit, dept)


@pytest.fixture
def lab(live_hub: LiveHub, tmp_path: Path) -> Iterator[Lab]:
    lab = make_lab(live_hub.admin, live_hub.url, tmp_path)
    try:
        yield lab
    finally:
        lab.net.close()
        lab.proxy.close()


def big_app(office: Office, seed: int, size: int = BIG) -> tuple[str, bytes]:
    return app_with_scan(office, seed, size, probe_seed=200 + seed)


def reported_and_returned(lab: Lab, app_id: str) -> None:
    """The unit reports the application; the department queues a return of it."""
    drive(seal(lab.unit, [app_id]), lab.unit.transport, lab.unit.store)
    pull_inbox(lab.dept.transport, lab.dept.store)
    return_here(lab.dept.store, app_id, [Correction(item="basic.phone", reason="手机号有误")], SOON)


def second_unit(lab: Lab, name: str) -> Office:
    """Another unit reporting to the same department, its path approved."""
    unit = lab.net.office(name)
    info = request_path(unit.store, unit.transport, SERIES, LEVEL, lab.dept.name, YEAR)
    decide_path(lab.dept.store, lab.dept.transport, str(info.path_id), approve=True)
    refresh_paths(unit.store, unit.transport)
    return unit


def deliveries(lab: Lab, app_ids: list[str]) -> dict[str, int]:
    """How many times the hub delivered each application to the department."""
    with Session(lab.net.hub.engine) as s:
        rows = s.exec(
            select(HubDelivery.application_id, func.count())
            .where(col(HubDelivery.application_id).in_(app_ids))
            .group_by(col(HubDelivery.application_id))
        ).all()
    return {a: n for a, n in rows}


def exactly_once(lab: Lab, app_ids: list[str]) -> None:
    assert deliveries(lab, app_ids) == dict.fromkeys(app_ids, 1)
    got = [r.application_id for r in pull_inbox(lab.dept.transport, lab.dept.store)]
    assert sorted(got) == sorted(app_ids)
    assert {state_of(lab.unit.store, a) for a in app_ids} == {State.REPORTED.value}


class Chunks:
    """Wraps a transport; records the length of every chunk handed to it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.sizes: list[int] = []
        self.blobs: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def upload_chunk(self, blob_id: str, offset: int, data: bytes) -> int:
        self.sizes.append(len(data))
        self.blobs.append(blob_id)
        return int(self.inner.upload_chunk(blob_id, offset, data))


# ---------------------------------------------------------------- cuts


@pytest.mark.parametrize("mode", ["fin", "rst"])
def test_cut_mid_chunk_resumes_resending_at_most_one_chunk(lab: Lab, mode: str) -> None:
    clean_id, _ = big_app(lab.unit, 1)
    cut_id, _ = big_app(lab.unit, 2)
    lab.proxy.reset_counts()
    drive(seal(lab.unit, [clean_id]), lab.unit.transport, lab.unit.store)
    clean = lab.proxy.bytes["up"] + lab.proxy.bytes["down"]

    batch_id = seal(lab.unit, [cut_id])
    lab.proxy.reset_counts()
    lab.proxy.cut("up", after=600_000, mode=mode)  # type: ignore[arg-type]
    chunks = Chunks(lab.unit.transport)
    drive(batch_id, chunks, lab.unit.store)  # type: ignore[arg-type]
    assert lab.proxy.fired == [f"cut-{mode}"]
    resent = lab.proxy.bytes["up"] + lab.proxy.bytes["down"] - clean
    assert resent <= max(chunks.sizes) + 4096, (resent, chunks.sizes)
    exactly_once(lab, [clean_id, cut_id])


# ---------------------------------------------------------------- lost answers


@pytest.mark.parametrize(
    "pattern",
    [b"PUT /v1/batches/", b"PATCH /v1/blobs/", b"/commit HTTP"],
    ids=["offer", "chunk", "commit"],
)
def test_response_lost_after_the_side_effect(lab: Lab, pattern: bytes) -> None:
    app_id, _ = big_app(lab.unit, 3, size=400_000)
    batch_id = seal(lab.unit, [app_id])
    lab.proxy.drop_response(pattern)
    receipt = drive(batch_id, lab.unit.transport, lab.unit.store)
    assert "dropped" in lab.proxy.fired
    [result] = receipt.results
    assert result.accepted and not result.duplicate  # the replay answered the stored receipt
    exactly_once(lab, [app_id])


@pytest.mark.parametrize(
    "pattern", [b"POST /v1/returns/", b"PUT /v1/cursors/returns"], ids=["return", "ack"]
)
def test_return_and_its_acknowledgement_lost(lab: Lab, pattern: bytes) -> None:
    app_id = passed_app(lab.unit.store, 4)
    reported_and_returned(lab, app_id)
    if pattern.startswith(b"POST"):
        lab.proxy.drop_response(pattern)
    assert len(push_returns(lab.dept.transport, lab.dept.store)) == 1
    if pattern.startswith(b"PUT"):
        lab.proxy.drop_response(pattern)
    [applied] = pull_returns(lab.unit.transport, lab.unit.store)
    assert "dropped" in lab.proxy.fired
    assert applied.applied and state_of(lab.unit.store, app_id) == State.RETURNED_FROM_ABOVE.value
    assert pull_returns(lab.unit.transport, lab.unit.store) == []
    with Session(lab.net.hub.engine) as s:
        assert len(s.exec(select(HubReturn).where(HubReturn.application_id == app_id)).all()) == 1


# ---------------------------------------------------------------- re-reports after a return


PHONE = [Correction(item="basic.phone", reason="手机号有误")]


def returned_to_unit(lab: Lab, app_id: str, **kwargs: Any) -> None:
    """The department returns the application it holds; the unit receives 上级退回."""
    return_here(lab.dept.store, app_id, PHONE, kwargs.pop("deadline", SOON), **kwargs)
    push_returns(lab.dept.transport, lab.dept.store)
    [applied] = pull_returns(lab.unit.transport, lab.unit.store)
    assert applied.applied and state_of(lab.unit.store, app_id) == State.RETURNED_FROM_ABOVE.value


def test_re_report_after_a_return_is_delivered_unchanged_and_changed(lab: Lab) -> None:
    app_id = passed_app(lab.unit.store, 31)
    drive(seal(lab.unit, [app_id]), lab.unit.transport, lab.unit.store)
    [first] = pull_inbox(lab.dept.transport, lab.dept.store)
    returned_to_unit(lab, app_id)
    assert state_of(lab.dept.store, app_id) == State.RETURNED.value

    # Passed again unchanged and reported; the receipt is lost once on the way back.
    pass_here(lab.unit.store, app_id)
    lab.proxy.drop_response(b"/commit HTTP")
    receipt = drive(seal(lab.unit, [app_id]), lab.unit.transport, lab.unit.store)
    assert "dropped" in lab.proxy.fired
    [result] = receipt.results
    assert result.accepted and not result.duplicate and result.revision == first.revision
    assert state_of(lab.unit.store, app_id) == State.REPORTED.value
    [again] = pull_inbox(lab.dept.transport, lab.dept.store)
    assert again.outcome == "redelivered" and again.revision == first.revision
    # 接收 means the department holds it again, in its queue.
    assert state_of(lab.dept.store, app_id) == State.RESUBMITTED.value
    assert pull_inbox(lab.dept.transport, lab.dept.store) == []
    assert deliveries(lab, [app_id]) == {app_id: 1}  # the delivery moved forward, not copied

    # Returned again; this time the applicant corrects before the unit passes it.
    returned_to_unit(lab, app_id)
    with lab.unit.store.session() as s:
        app = applications.load_revision(app_id, session=s).model_copy(deep=True)
        app.basic.phone = "13905310002"
        changed = applications.record_revision(app, session=s).revision
        s.commit()
    pass_here(lab.unit.store, app_id)
    receipt = drive(seal(lab.unit, [app_id]), lab.unit.transport, lab.unit.store)
    [result] = receipt.results
    assert result.accepted and not result.duplicate and result.revision == changed
    [third] = pull_inbox(lab.dept.transport, lab.dept.store)
    assert third.outcome == "revision" and third.revision == changed
    assert state_of(lab.dept.store, app_id) == State.RESUBMITTED.value
    with lab.dept.store.session() as s:
        row = applications.get_row(app_id, session=s)
        assert row is not None and row.head_revision == changed
        assert audit.verify_audit(s).ok


def test_re_report_after_the_correction_deadline_is_refused(lab: Lab) -> None:
    app_id = passed_app(lab.unit.store, 32)
    drive(seal(lab.unit, [app_id]), lab.unit.transport, lab.unit.store)
    pull_inbox(lab.dept.transport, lab.dept.store)
    # Returned a month ago with a deadline a week later: it has passed.
    month_ago = datetime.now(UTC) - timedelta(days=30)
    deadline = (month_ago + timedelta(days=7)).date()
    returned_to_unit(lab, app_id, deadline=deadline, clock=lambda: month_ago)
    pass_here(lab.unit.store, app_id)
    receipt = drive(seal(lab.unit, [app_id]), lab.unit.transport, lab.unit.store)
    [result] = receipt.results
    assert not result.accepted and "补正期限" in result.reasons[0]
    assert state_of(lab.unit.store, app_id) == State.PASSED.value  # back in the unit's queue
    assert pull_inbox(lab.dept.transport, lab.dept.store) == []
    assert state_of(lab.dept.store, app_id) == State.RETURNED.value


# ---------------------------------------------------------------- the hub killed


@pytest.mark.parametrize("point", ["chunk_written", "committed"])
def test_hub_killed_then_restarted_on_the_same_data(tmp_path: Path, point: str) -> None:
    hub = start_hub(tmp_path / "hub", env={"ZCREVIEW_HUB_CRASH_AT": point})
    port = int(hub.url.rsplit(":", 1)[1])
    lab = make_lab(hub.admin, hub.url, tmp_path, give_up_after=1.5)
    try:
        app_id, _ = big_app(lab.unit, 5, size=600_000)
        batch_id = seal(lab.unit, [app_id])
        with pytest.raises(SyncError):
            drive(batch_id, lab.unit.transport, lab.unit.store)
        assert hub.process.wait(timeout=10) == -signal.SIGKILL
        hub.admin.dispose()
        hub = start_hub(tmp_path / "hub", port=port)  # no crash point this time
        lab.net.hub = hub.admin
        assert drive(batch_id, lab.unit.transport, lab.unit.store).results[0].accepted
        exactly_once(lab, [app_id])
    finally:
        lab.net.close()
        lab.proxy.close()
        hub.stop()


# ---------------------------------------------------------------- the office killed

KILLER = """
import os, signal, sys
from pathlib import Path
from zcreview.storage.store import open_store
from zcreview.sync import delivery, inbox
from zcreview.sync.http import HttpTransport

home, url, token, what, point = sys.argv[1:6]
store = open_store(Path(home))
transport = HttpTransport(url, token, give_up_after=20, backoff_base=0.05)

def die(*args):
    os.kill(os.getpid(), signal.SIGKILL)

if what == "returns":
    real = inbox.apply_return
    def apply(session, item):
        real(session, item)
        die()
    inbox.apply_return = apply
    inbox.pull_returns(transport, store)
else:
    if point == "receipt":
        delivery.apply_receipt = die
    delivery.drive(what, transport, store, lambda p: die() if p.state == point else None)
sys.exit(3)
"""


def kill_office_at(office: Office, url: str, what: str, point: str) -> None:
    """Run the office side in its own process and SIGKILL it at `point`."""
    done = subprocess.run(
        [sys.executable, "-c", KILLER, str(office.store.home), url, office.token, what, point],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]


@pytest.mark.parametrize("point", ["offered", "uploading", "committing", "receipt"])
def test_office_process_killed_at_each_outbox_transition(lab: Lab, point: str) -> None:
    app_id, _ = big_app(lab.unit, 6, size=300_000)
    batch_id = seal(lab.unit, [app_id])
    kill_office_at(lab.unit, lab.proxy.url, batch_id, point)
    with lab.unit.store.session() as s:
        batch = s.get(OutboxBatch, batch_id)
        assert batch is not None and batch.receipt is None
    assert drive(batch_id, lab.unit.transport, lab.unit.store).results[0].accepted
    exactly_once(lab, [app_id])


def test_returns_fetched_but_not_applied_before_the_office_died(lab: Lab) -> None:
    app_id = passed_app(lab.unit.store, 7)
    reported_and_returned(lab, app_id)
    push_returns(lab.dept.transport, lab.dept.store)
    kill_office_at(lab.unit, lab.proxy.url, "returns", "")
    assert state_of(lab.unit.store, app_id) == State.REPORTED.value  # rolled back
    [applied] = pull_returns(lab.unit.transport, lab.unit.store)
    assert applied.applied and state_of(lab.unit.store, app_id) == State.RETURNED_FROM_ABOVE.value
    assert pull_returns(lab.unit.transport, lab.unit.store) == []


# ---------------------------------------------------------------- damaged and stalled links


def test_corrupted_chunk_is_discarded_and_resent(lab: Lab) -> None:
    app_id, data = big_app(lab.unit, 8, size=500_000)
    batch_id = seal(lab.unit, [app_id])
    lab.proxy.flip_in(b"PATCH /v1/blobs/", offset=3000)  # inside the chunk, past the headers
    chunks = Chunks(lab.unit.transport)
    drive(batch_id, chunks, lab.unit.store)  # type: ignore[arg-type]
    assert lab.proxy.fired == ["flip"]
    assert sum(chunks.sizes) > len(data)  # the damaged chunk went twice
    sha = hashlib.sha256(data).hexdigest()
    assert hashlib.sha256(lab.net.hub.blobs.read(sha)).hexdigest() == sha
    exactly_once(lab, [app_id])


def test_stalled_link_times_out_and_retries_after_the_stall(lab: Lab) -> None:
    app_id, _ = big_app(lab.unit, 9, size=600_000)
    batch_id = seal(lab.unit, [app_id])
    lab.proxy.stall(seconds=3.0, after=200_000)
    began = time.monotonic()
    drive(batch_id, lab.unit.transport, lab.unit.store)
    assert lab.proxy.fired == ["stall"] and time.monotonic() - began >= 3.0
    assert lab.proxy.connections >= 2  # the stalled connection was given up, not waited on
    exactly_once(lab, [app_id])


def test_offset_disagreement_continues_from_the_hub_offset(lab: Lab) -> None:
    app_id, data = big_app(lab.unit, 10, size=700_000)
    batch_id = seal(lab.unit, [app_id])
    sha = hashlib.sha256(data).hexdigest()
    other = lab.net.transport(lab.unit.token)

    class Stale(Chunks):
        """Another sender (or a lost answer) moves the hub ahead right after the offer."""

        def offer(self, manifest: Manifest) -> Any:
            answer = self.inner.offer(manifest)
            if not self.sizes:
                other.upload_chunk(sha, 0, data[:DEFAULT_CHUNK])
            return answer

    stale = Stale(lab.unit.transport)
    drive(batch_id, stale, lab.unit.store)  # type: ignore[arg-type]
    mine = [n for n, b in zip(stale.sizes, stale.blobs, strict=True) if b == sha]
    # The first chunk is refused with the hub's offset (409); from there each byte goes once.
    assert mine[0] == DEFAULT_CHUNK and sum(mine[1:]) == len(data) - DEFAULT_CHUNK, mine
    other.close()
    exactly_once(lab, [app_id])


# ---------------------------------------------------------------- the same thing twice


def test_two_offices_same_scan_and_same_revision_twice(lab: Lab) -> None:
    unit2 = second_unit(lab, "淄博某陶瓷有限公司")
    scan = os.urandom(400_000)
    a1 = passed_app(
        lab.unit.store, 11, big={first_file(passed_app(lab.unit.store, 211), lab.unit.store): scan}
    )
    a2 = passed_app(
        unit2.store, 12, big={first_file(passed_app(unit2.store, 212), unit2.store): scan}
    )
    b1 = seal(lab.unit, [a1])
    drive(b1, lab.unit.transport, lab.unit.store)
    b2 = seal(unit2, [a2])
    drive(b2, unit2.transport, unit2.store)
    with unit2.store.session() as s:
        batch = s.get(OutboxBatch, b2)
        # The shared scan is sent once more: holding the bytes is what makes it unit2's own
        # (naming its hash is not enough); the hub still keeps one copy.
        assert batch is not None and batch.bytes_total >= len(scan)
    sha = hashlib.sha256(scan).hexdigest()
    assert lab.net.hub.blobs.has(sha)
    assert [p.name for p in lab.net.hub.blobs.root.rglob(sha)] == [sha]

    # The same revision sent again in another batch with no return in between (a database
    # restored from backup): accepted as a duplicate, delivered once.
    with lab.unit.store.session() as s:
        first = s.get(OutboxBatch, b1)
        assert first is not None
        again = Manifest.model_validate_json(first.manifest).model_copy(
            update={"batch_id": uuid.uuid4()}
        )
    lab.unit.transport.offer(again)
    receipt = lab.unit.transport.commit(str(again.batch_id))
    assert receipt.results[0].accepted and receipt.results[0].duplicate
    assert deliveries(lab, [a1, a2]) == {a1: 1, a2: 1}


def test_other_revision_without_supersedes_rejected_in_a_partly_rejected_batch(lab: Lab) -> None:
    unit2 = second_unit(lab, "淄博某制药有限公司")
    shared = passed_app(lab.unit.store, 13)
    drive(seal(lab.unit, [shared]), lab.unit.transport, lab.unit.store)
    # unit2 holds a different revision of the same application and no history with the hub.
    clash = passed_app(unit2.store, 14, application_id=shared)
    fresh = passed_app(unit2.store, 15)
    batch_id = seal(unit2, [clash, fresh])
    receipt = drive(batch_id, unit2.transport, unit2.store)
    by_id = {str(r.application_id): r for r in receipt.results}
    assert by_id[fresh].accepted
    # Another office's application: not unit2's to replace, whatever it names as superseded.
    assert not by_id[clash].accepted and "其他单位" in by_id[clash].reasons[0]
    with unit2.store.session() as s:
        batch = s.get(OutboxBatch, batch_id)
        assert batch is not None and batch.state == "partly_rejected"
    assert state_of(unit2.store, clash) == State.PASSED.value
    assert deliveries(lab, [shared, fresh]) == {shared: 1, fresh: 1}


def test_office_clocks_years_off_do_not_decide_order(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    unit2 = second_unit(lab, "淄博某纺织有限公司")
    ahead, behind = datetime(2031, 1, 1, tzinfo=UTC), datetime(1999, 1, 1, tzinfo=UTC)
    monkeypatch.setattr(delivery_mod, "utcnow", lambda: ahead)
    first = passed_app(lab.unit.store, 16)
    drive(seal(lab.unit, [first]), lab.unit.transport, lab.unit.store)
    monkeypatch.setattr(delivery_mod, "utcnow", lambda: behind)
    second = passed_app(unit2.store, 17)
    drive(seal(unit2, [second]), unit2.transport, unit2.store)
    monkeypatch.setattr(inbox_mod, "utcnow", lambda: behind)
    got = pull_inbox(lab.dept.transport, lab.dept.store)
    assert [r.application_id for r in got] == [first, second]  # hub order, not office clocks
    third = passed_app(lab.unit.store, 18)
    drive(seal(lab.unit, [third]), lab.unit.transport, lab.unit.store)
    assert [r.application_id for r in pull_inbox(lab.dept.transport, lab.dept.store)] == [third]


# ---------------------------------------------------------------- randomised


class Crash(BaseException):
    """The office process stopping mid-drive: not an error drive() handles."""


def test_randomised_faults_lose_and_duplicate_nothing(lab: Lab) -> None:
    randomised_rounds(lab, seed=20250401, rounds=20)


def randomised_rounds(lab: Lab, seed: int, rounds: int) -> None:
    """Seeded rounds of batches, each driven through one random fault; then count deliveries."""
    rng = random.Random(seed)
    sent: list[str] = []
    for i in range(rounds):
        apps = [
            passed_app(lab.unit.store, 300 + i * 3 + k) if rng.random() < 0.5
            else big_app(lab.unit, 300 + i * 3 + k, size=rng.randrange(100_000, 400_000))[0]
            for k in range(rng.randrange(1, 3))
        ]  # fmt: skip
        batch_id = seal(lab.unit, apps)
        fault = rng.choice(["cut-fin", "cut-rst", "drop", "flip", "stall", "crash", "none"])
        if fault.startswith("cut"):
            lab.proxy.cut(rng.choice(["up", "down"]), rng.randrange(100, 300_000), fault[4:])  # type: ignore[arg-type]
        elif fault == "drop":
            lab.proxy.drop_response(rng.choice([b"PUT /v1/batches/", b"PATCH ", b"/commit"]))
        elif fault == "flip":
            lab.proxy.flip_in(b"PATCH /v1/blobs/", offset=rng.randrange(1000, 60_000))
        elif fault == "stall":
            lab.proxy.stall(seconds=2.0, after=rng.randrange(0, 100_000))
        crash_at = rng.choice(["offered", "uploading", "committing"]) if fault == "crash" else ""

        def die(p: Any, at: str = crash_at) -> None:
            if p.state == at:
                raise Crash

        with contextlib.suppress(Crash):
            drive(batch_id, lab.unit.transport, lab.unit.store, die if crash_at else None)
        receipt = drive(batch_id, lab.unit.transport, lab.unit.store)
        assert all(r.accepted for r in receipt.results)
        sent += apps
        # Disarm whatever did not fire so it cannot spill into the next round.
        lab.proxy.cut("up", after=1 << 40)
        lab.proxy.drop_response(b"\0never\0")
        lab.proxy.flip_in(b"\0never\0", 0)
        lab.proxy.stall(0, after=1 << 40)
    exactly_once(lab, sent)
