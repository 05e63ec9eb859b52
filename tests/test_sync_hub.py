"""The hub API on SQLite and PostgreSQL (in-process): refusals, idempotent replays, resumable
uploads, Range downloads, malformed input, the OpenAPI document."""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlmodel import select
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.sync_helpers import (
    LEVEL,
    SERIES,
    SOON,
    YEAR,
    Net,
    Office,
    app_with_scan,
    backend_net,
    open_path,
    passed_app,
    report,
    return_here,
    sealed_manifest,
    state_of,
)
from zcreview.domain.workflow import State
from zcreview.hub.web.app import create_app
from zcreview.hub.web.routes import API, openapi_document
from zcreview.protocol import (
    CHECKSUM_MISMATCH,
    BlobRef,
    Correction,
    Manifest,
    ManifestEntry,
    PathDecision,
    PathRequest,
    Receipt,
    ReturnRequest,
    digest_of,
)
from zcreview.storage.migrations import MIGRATIONS
from zcreview.storage.sync_tables import OutboxBatch
from zcreview.sync.delivery import BatchProgress, drive
from zcreview.sync.inbox import fetch_blob, pull_inbox, pull_returns, push_returns
from zcreview.sync.outbox import seal_batch
from zcreview.sync.paths import refresh_paths, request_path
from zcreview.sync.transport import OffsetMismatch, Refused

BIG = 1_300_000


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def net(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Net]:
    yield from backend_net(request.param, tmp_path)


@pytest.fixture
def pair(net: Net) -> tuple[Office, Office]:
    """A unit and its supervising department with an approved path between them."""
    unit = net.office("烟台某机械有限公司")
    dept = net.office("烟台市工业和信息化局", "主管部门")
    open_path(unit, dept, dept.name)
    return unit, dept


def raw(net: Net, token: str | None = None) -> TestClient:
    client = TestClient(create_app(net.hub), raise_server_exceptions=False)
    if token:
        client.headers["Authorization"] = f"Bearer {token}"
    return client


def big_app(office: Office, seed: int = 7) -> tuple[str, bytes]:
    return app_with_scan(office, seed, BIG, probe_seed=90 + seed)


def checksum(data: bytes) -> str:
    return f"sha256 {hashlib.sha256(data).hexdigest()}"


def test_tokens_and_other_offices_data_are_refused(net: Net, pair: tuple[Office, Office]) -> None:
    unit, dept = pair
    other = net.office("潍坊某化工有限公司")
    manifest = sealed_manifest(unit, [passed_app(unit.store, 1)])
    unit.transport.offer(manifest)
    sha = manifest.entries[0].blobs[0].sha256

    anonymous, wrong = raw(net), raw(net, "not-a-token")
    for client in (anonymous, wrong):
        for method, path in (
            ("GET", "/v1/inbox"),
            ("PUT", f"/v1/batches/{manifest.batch_id}"),
            ("POST", f"/v1/batches/{manifest.batch_id}/commit"),
            ("HEAD", f"/v1/blobs/{sha}"),
            ("GET", f"/v1/blobs/{sha}"),
            ("GET", "/v1/paths?role=upper"),
            ("GET", "/v1/offices?q=x"),
        ):
            r = client.request(method, path)
            assert r.status_code == 401, (method, path)
    assert "令牌" in anonymous.get("/v1/inbox").json()["message"]

    intruder = raw(net, other.token)
    assert intruder.post(f"/v1/batches/{manifest.batch_id}/commit").status_code == 403
    body = manifest.model_dump_json()
    assert intruder.put(f"/v1/batches/{manifest.batch_id}", content=body).status_code == 403
    receipt = drive(str(manifest.batch_id), unit.transport, unit.store)
    assert receipt.results[0].accepted
    # Not sent to or by it: answered as if the blob did not exist.
    assert intruder.get(f"/v1/blobs/{sha}").status_code == 404
    assert raw(net, dept.token).get(f"/v1/blobs/{sha}").status_code == 200
    [path] = unit.transport.list_paths("lower")
    decision = {"approve": False, "reason": "x"}
    r = intruder.post(f"/v1/paths/{path.path_id}/decision", json=decision)
    assert r.status_code == 403
    entry = manifest.entries[0]
    request = ReturnRequest(
        application_id=entry.application_id,
        revision=entry.revision,
        corrections=[Correction(item="basic.name", reason="x")],
        deadline=date(2025, 10, 1),
    )
    with pytest.raises(Refused) as exc:
        other.transport.send_return(str(uuid.uuid4()), request)  # never received it
    assert exc.value.status == 403


def test_offer_and_commit_replays_are_idempotent(net: Net, pair: tuple[Office, Office]) -> None:
    unit, dept = pair
    a, b = passed_app(unit.store, 1), passed_app(unit.store, 2)
    manifest = sealed_manifest(unit, [a, b])
    first = unit.transport.offer(manifest)
    again = unit.transport.offer(manifest)
    assert first == again and first.missing and not first.committed

    with pytest.raises(Refused) as exc:
        unit.transport.commit(str(manifest.batch_id))  # blobs not uploaded yet
    assert exc.value.status == 409 and exc.value.code == "blobs_missing"

    changed = manifest.model_copy(update={"sealed_by": "别人"})
    with pytest.raises(Refused) as exc:
        unit.transport.offer(changed)
    assert exc.value.status == 409

    receipt = drive(str(manifest.batch_id), unit.transport, unit.store)
    replay = unit.transport.commit(str(manifest.batch_id))
    assert replay == receipt and all(r.accepted for r in receipt.results)
    # A replay naming the receipt the office holds is answered 304 without a body; any other
    # tag gets the whole receipt again.
    commit_url = f"/v1/batches/{manifest.batch_id}/commit"
    full = raw(net, unit.token).post(commit_url)
    etag = full.headers["ETag"]
    assert etag == f'"{digest_of(receipt)}"'
    short = raw(net, unit.token).post(commit_url, headers={"If-None-Match": etag})
    assert short.status_code == 304 and short.content == b"" and short.headers["ETag"] == etag
    other = raw(net, unit.token).post(commit_url, headers={"If-None-Match": '"' + "0" * 64 + '"'})
    assert other.status_code == 200 and Receipt.model_validate_json(other.content) == receipt
    assert unit.transport.commit(str(manifest.batch_id), receipt) == receipt
    after = unit.transport.offer(manifest)
    assert after.committed and after.missing == []
    assert len(pull_inbox(dept.transport, dept.store)) == 2

    # The same revisions in a new batch are duplicates, not new inbox entries.
    c = raw(net, unit.token)
    dup = manifest.model_copy(update={"batch_id": uuid.uuid4()})
    assert c.put(f"/v1/batches/{dup.batch_id}", content=dup.model_dump_json()).status_code == 200
    results = c.post(f"/v1/batches/{dup.batch_id}/commit").json()["results"]
    assert [r["duplicate"] for r in results] == [True, True]
    assert [r["seq"] for r in results] == [r.seq for r in receipt.results]
    assert pull_inbox(dept.transport, dept.store) == []


def test_new_revision_without_supersedes_is_rejected(net: Net, pair: tuple[Office, Office]) -> None:
    unit, _dept = pair
    app_id = passed_app(unit.store, 3)
    manifest = sealed_manifest(unit, [app_id])
    drive(str(manifest.batch_id), unit.transport, unit.store)
    entry = manifest.entries[0]
    body = json.loads(entry.application)
    body["work_summary"] = "补充了工作总结。"
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    revision = hashlib.sha256(text.encode()).hexdigest()
    for supersedes, accepted in ((None, False), ("0" * 64, False), (entry.revision, True)):
        changed = entry.model_copy(
            update={"application": text, "revision": revision, "supersedes": supersedes}
        )
        m = manifest.model_copy(update={"batch_id": uuid.uuid4(), "entries": [changed]})
        unit.transport.offer(m)
        [result] = unit.transport.commit(str(m.batch_id)).results
        assert result.accepted is accepted, result.reasons
        if not accepted:
            assert "当前版本" in result.reasons[0]

    # A body that does not hash to its revision is refused, not stored.
    forged = entry.model_copy(update={"application": text})
    m = manifest.model_copy(update={"batch_id": uuid.uuid4(), "entries": [forged]})
    unit.transport.offer(m)
    [result] = unit.transport.commit(str(m.batch_id)).results
    assert not result.accepted and "版本号" in result.reasons[0]


def test_upload_offsets_checksums_and_leftovers(net: Net, pair: tuple[Office, Office]) -> None:
    unit, _ = pair
    app_id, data = big_app(unit)
    manifest = sealed_manifest(unit, [app_id])
    answer = unit.transport.offer(manifest)
    sha = hashlib.sha256(data).hexdigest()
    assert any(n.sha256 == sha and n.have == 0 for n in answer.missing)
    c = raw(net, unit.token)
    chunk = data[:65536]

    r = c.patch(
        f"/v1/blobs/{sha}",
        content=chunk,
        headers={"Upload-Offset": "0", "Upload-Checksum": checksum(b"x")},
    )
    assert r.status_code == CHECKSUM_MISMATCH
    assert c.head(f"/v1/blobs/{sha}").headers["Upload-Offset"] == "0"

    assert unit.transport.upload_chunk(sha, 0, chunk) == 65536
    with pytest.raises(OffsetMismatch) as exc:
        unit.transport.upload_chunk(sha, 0, chunk)  # a replay after a lost answer
    assert exc.value.offset == 65536
    r = c.patch(
        f"/v1/blobs/{sha}",
        content=data[-10:] * 2,
        headers={"Upload-Offset": "65536", "Upload-Checksum": checksum(b"")},
    )
    assert r.status_code == CHECKSUM_MISMATCH

    # The hub died after appending a chunk but before recording its offset: the bytes are cut.
    partial = net.hub.partial_dir / str(net.hub.authenticate(unit.token).id) / sha
    with partial.open("ab") as f:
        f.write(b"\0" * 5000)
    assert c.head(f"/v1/blobs/{sha}").headers["Upload-Offset"] == "65536"
    assert partial.stat().st_size == 65536

    r = c.patch(
        f"/v1/blobs/{sha}",
        content=b"z" * (BIG + 10),
        headers={"Upload-Offset": "65536", "Upload-Checksum": checksum(b"z" * (BIG + 10))},
    )
    assert 400 <= r.status_code < 500


def test_whole_file_hash_mismatch_restarts_upload(net: Net, pair: tuple[Office, Office]) -> None:
    unit, _ = pair
    app_id = passed_app(unit.store, 5)
    manifest = sealed_manifest(unit, [app_id])
    blob = manifest.entries[0].blobs[0]
    unit.transport.offer(manifest)
    wrong = b"w" * blob.size
    c = raw(net, unit.token)
    r = c.patch(
        f"/v1/blobs/{blob.sha256}",
        content=wrong,
        headers={"Upload-Offset": "0", "Upload-Checksum": checksum(wrong)},
    )
    assert r.status_code == 422 and r.json()["offset"] == 0
    assert c.head(f"/v1/blobs/{blob.sha256}").headers["Upload-Offset"] == "0"
    assert drive(str(manifest.batch_id), unit.transport, unit.store).results[0].accepted


class Counting:
    """Wraps a transport and counts the scan bytes it uploads and downloads."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.up = 0
        self.down = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def upload_chunk(self, blob_id: str, offset: int, data: bytes) -> int:
        self.up += len(data)
        return int(self.inner.upload_chunk(blob_id, offset, data))

    def fetch_blob(self, blob_id: str, start: int = 0) -> Iterator[bytes]:
        for chunk in self.inner.fetch_blob(blob_id, start):
            self.down += len(chunk)
            yield chunk


def test_upload_resumes_from_the_hub_offset_with_a_new_client(
    net: Net, pair: tuple[Office, Office]
) -> None:
    unit, dept = pair
    app_id, data = big_app(unit)
    manifest = sealed_manifest(unit, [app_id])
    sha = hashlib.sha256(data).hexdigest()
    unit.transport.offer(manifest)
    half = 0
    for _ in range(2):  # two of five chunks, then the client "crashes"
        half = unit.transport.upload_chunk(sha, half, data[half : half + 262144])
    fresh = Counting(net.transport(unit.token))
    receipt = drive(str(manifest.batch_id), fresh, unit.store)  # type: ignore[arg-type]
    assert receipt.results[0].accepted
    others = sum(b.size for b in manifest.unique_blobs() if b.sha256 != sha)
    assert fresh.up == (len(data) - half) + others  # nothing sent twice
    with unit.store.session() as s:
        batch = s.get(OutboxBatch, str(manifest.batch_id))
        assert batch is not None and batch.state == "acknowledged"

    # A re-offer of a batch the hub holds sends no scan bytes.
    again = Counting(net.transport(unit.token))
    with unit.store.session() as s:
        b = s.get(OutboxBatch, str(manifest.batch_id))
        assert b is not None
        b.state = "sealed"
        s.add(b)
        s.commit()
    assert drive(str(manifest.batch_id), again, unit.store) == receipt  # type: ignore[arg-type]
    assert again.up == 0
    assert pull_inbox(dept.transport, dept.store)


def test_range_download_and_resumed_fetch(net: Net, pair: tuple[Office, Office]) -> None:
    unit, dept = pair
    app_id, data = big_app(unit)
    report(unit, [app_id])
    pull_inbox(dept.transport, dept.store)
    sha = hashlib.sha256(data).hexdigest()
    c = raw(net, dept.token)
    r = c.get(f"/v1/blobs/{sha}", headers={"Range": "bytes=1000-"})
    assert r.status_code == 206 and r.content == data[1000:]
    assert r.headers["Content-Range"] == f"bytes 1000-{len(data) - 1}/{len(data)}"
    r = c.get(f"/v1/blobs/{sha}", headers={"Range": "bytes=10-19"})
    assert r.status_code == 206 and r.content == data[10:20]
    assert c.get(f"/v1/blobs/{sha}", headers={"Range": f"bytes={len(data)}-"}).status_code == 416
    assert c.get(f"/v1/blobs/{sha}", headers={"Range": "bytes=1-2,5-6"}).status_code == 400

    # A download cut after 400 000 bytes resumes from there.
    partial = dept.store.home / "partial" / sha
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_bytes(data[:400_000])
    counting = Counting(dept.transport)
    path = fetch_blob(dept.store, counting, sha)  # type: ignore[arg-type]
    assert path.read_bytes() == data and counting.down == len(data) - 400_000
    assert not partial.exists()


def test_paths_are_reused_and_decided_once(net: Net) -> None:
    unit = net.office("德州某建筑公司")
    dept = net.office("德州市住房和城乡建设局", "主管部门")
    code = dept.code
    first = unit.transport.put_path(
        str(uuid.uuid4()), PathRequest(upper_office=code, series=SERIES, level=LEVEL, year=2024)
    )
    with pytest.raises(Refused) as exc:
        dept.transport.decide_path(str(first.path_id), PathDecision(approve=False))
    assert exc.value.status == 422  # a rejection needs a reason
    c = raw(net, dept.token)
    r = c.post(f"/v1/paths/{first.path_id}/decision", json={"approve": True})
    assert r.json()["state"] == "approved"
    assert c.post(f"/v1/paths/{first.path_id}/decision", json={"approve": True}).status_code == 200
    r = c.post(f"/v1/paths/{first.path_id}/decision", json={"approve": False, "reason": "不对"})
    assert r.status_code == 409
    # A new year needs no new request: the approved path answers.
    later = unit.transport.put_path(
        str(uuid.uuid4()), PathRequest(upper_office=code, series=SERIES, level=LEVEL, year=2025)
    )
    assert later.reused and later.state == "approved" and later.path_id == first.path_id
    # Same id, different request: conflict.
    with pytest.raises(Refused) as exc:
        unit.transport.put_path(
            str(first.path_id),
            PathRequest(upper_office=code, series=SERIES, level="副高级", year=2024),
        )
    assert exc.value.status == 409
    assert [o.name for o in unit.transport.find_offices("住房城乡")] == [dept.name]


@functools.cache
def _bomb() -> bytes:
    """80 MiB of JSON whitespace in 80 KiB of gzip: past the hub's decompression limit."""
    return gzip.compress(b"{" + b" " * (80 * 1024 * 1024), compresslevel=1)


def _malformed(sha: str, batch: str) -> list[tuple[str, str, dict[str, str], bytes]]:
    bomb = _bomb()
    js = {"Content-Type": "application/json"}
    gz = {**js, "Content-Encoding": "gzip"}
    return [
        ("PUT", f"/v1/batches/{batch}", js, b"not json"),
        ("PUT", f"/v1/batches/{batch}", js, b"[]"),
        ("PUT", f"/v1/batches/{batch}", js, b'{"entries": "x"}'),
        ("PUT", f"/v1/batches/{batch}", js, b"{}" * 10),
        ("PUT", f"/v1/batches/{batch}", gz, b"\x1f\x8b garbage"),
        ("PUT", f"/v1/batches/{batch}", gz, bomb),
        ("PUT", f"/v1/batches/{batch}", {"Content-Encoding": "br"}, b"{}"),
        ("PUT", "/v1/batches/not-a-uuid", js, b"{}"),
        (
            "PUT",
            f"/v1/batches/{uuid.uuid4()}",
            js,
            json.dumps(
                {
                    "batch_id": batch,
                    "to_office": "x",
                    "series": "s",
                    "level": "l",
                    "year": 2025,
                    "sealed_by": "me",
                    "entries": [],
                }
            ).encode(),
        ),
        ("POST", f"/v1/batches/{uuid.uuid4()}/commit", {}, b""),
        ("POST", "/v1/batches/../../etc/commit", {}, b""),
        ("PATCH", f"/v1/blobs/{sha}", {}, b"abc"),
        ("PATCH", f"/v1/blobs/{sha}", {"Upload-Offset": "-1", "Upload-Checksum": "sha256 x"}, b"a"),
        ("PATCH", f"/v1/blobs/{sha}", {"Upload-Offset": "0", "Upload-Checksum": "md5 abc"}, b"a"),
        ("PATCH", "/v1/blobs/XYZ", {"Upload-Offset": "0", "Upload-Checksum": checksum(b"a")}, b"a"),
        (
            "PATCH",
            f"/v1/blobs/{'0' * 64}",
            {"Upload-Offset": "0", "Upload-Checksum": checksum(b"a")},
            b"a",
        ),
        (
            "PATCH",
            f"/v1/blobs/{sha}",
            {"Upload-Offset": "0", "Upload-Checksum": checksum(b"")},
            b"x" * (2 * 1024 * 1024),
        ),
        ("HEAD", "/v1/blobs/nothex", {}, b""),
        ("GET", f"/v1/blobs/{'1' * 64}", {}, b""),
        ("GET", f"/v1/blobs/{sha}", {"Range": "bytes=abc"}, b""),
        ("GET", "/v1/inbox?after=-5", {}, b""),
        ("GET", "/v1/inbox?after=99999999999999999999999", {}, b""),
        ("GET", "/v1/returns?limit=x", {}, b""),
        ("POST", f"/v1/returns/{uuid.uuid4()}", js, b'{"application_id": 5}'),
        (
            "POST",
            f"/v1/returns/{uuid.uuid4()}",
            js,
            json.dumps(
                {
                    "application_id": str(uuid.uuid4()),
                    "revision": "0" * 64,
                    "corrections": [{"item": "a", "reason": "b"}],
                    "deadline": "2025-01-01",
                }
            ).encode(),
        ),
        ("PUT", f"/v1/paths/{uuid.uuid4()}", js, b'{"upper_office": ""}'),
        (
            "PUT",
            f"/v1/paths/{uuid.uuid4()}",
            js,
            json.dumps(
                {"upper_office": "nobody", "series": "s", "level": "l", "year": 2025}
            ).encode(),
        ),
        ("GET", "/v1/paths?role=middle", {}, b""),
        ("POST", f"/v1/paths/{uuid.uuid4()}/decision", js, b'{"approve": "perhaps"}'),
        ("POST", f"/v1/paths/{uuid.uuid4()}/decision", js, b'{"approve": true}'),
        ("PUT", "/v1/cursors/other", js, b'{"cursor": 1}'),
        ("PUT", "/v1/cursors/inbox", js, b'{"cursor": -1}'),
        ("DELETE", "/v1/inbox", {}, b""),
        ("GET", "/v2/anything", {}, b""),
    ]


def test_malformed_requests_get_4xx_never_500(net: Net, pair: tuple[Office, Office]) -> None:
    unit, _ = pair
    manifest = sealed_manifest(unit, [passed_app(unit.store, 1)])
    unit.transport.offer(manifest)
    sha = manifest.entries[0].blobs[0].sha256
    c = raw(net, unit.token)
    for method, path, headers, body in _malformed(sha, str(manifest.batch_id)):
        r = c.request(method, path, headers=headers, content=body)
        assert 400 <= r.status_code < 500, (method, path, r.status_code, r.text[:200])
        if method != "HEAD":
            message = r.json()["message"]
            assert " / " in message and any("\u4e00" <= ch <= "\u9fff" for ch in message), message


def test_openapi_lists_every_route(net: Net) -> None:
    app = create_app(net.hub)
    doc = raw(net).get("/openapi.json").json()
    assert doc == json.loads(json.dumps(openapi_document()))
    assert doc["openapi"].startswith("3.1")
    for route in app.routes:
        assert isinstance(route, Route)
        documented = set(doc["paths"][route.path])
        assert {m.lower() for m in route.methods or ()} - {"head"} <= documented | {"head"}
    assert {(a.method.lower(), a.path) for a in API} == {
        (m, p) for p, ops in doc["paths"].items() for m in ops
    }
    text = json.dumps(doc)
    for ref in {part.split('"')[0] for part in text.split("#/components/schemas/")[1:]}:
        assert ref in doc["components"]["schemas"], ref
    assert {"Manifest", "Receipt", "InboxPage", "ReturnItem", "PathInfo"} <= set(
        doc["components"]["schemas"]
    )


def test_unit_cannot_seal_without_its_own_path(net: Net) -> None:
    unit = net.office("临沂某食品有限公司")
    app_id = passed_app(unit.store, 1)
    with unit.store.session() as s, pytest.raises(Exception, match="zcreview path request"):
        seal_batch(s, [app_id], YEAR, LEVEL, SERIES, "王审核")
    with unit.store.session() as s:
        assert s.exec(select(OutboxBatch)).all() == []


class Crash(BaseException):
    """The office process dying: not an error drive() handles."""


@pytest.mark.parametrize("at", ["offered", "uploading", "committing", "receipt"])
def test_office_killed_at_each_outbox_transition(
    net: Net, pair: tuple[Office, Office], at: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    unit, dept = pair
    app_id, _ = big_app(unit)
    manifest = sealed_manifest(unit, [app_id])
    batch_id = str(manifest.batch_id)

    def die(p: BatchProgress) -> None:
        if p.state == at:
            raise Crash

    if at == "receipt":  # the hub committed and answered; the office died before storing it
        import zcreview.sync.delivery as delivery

        real = delivery.apply_receipt
        monkeypatch.setattr(delivery, "apply_receipt", lambda *a: (_ for _ in ()).throw(Crash()))
        with pytest.raises(Crash):
            drive(batch_id, unit.transport, unit.store)
        monkeypatch.setattr(delivery, "apply_receipt", real)
    else:
        with pytest.raises(Crash):
            drive(batch_id, unit.transport, unit.store, die)
    with unit.store.session() as s:
        batch = s.get(OutboxBatch, batch_id)
        assert batch is not None and batch.state not in ("acknowledged", "partly_rejected")
    receipt = drive(batch_id, net.transport(unit.token), unit.store)
    assert receipt.results[0].accepted
    assert [r.application_id for r in pull_inbox(dept.transport, dept.store)] == [app_id]


def test_returns_fetched_but_not_applied_are_applied_once(
    net: Net, pair: tuple[Office, Office], monkeypatch: pytest.MonkeyPatch
) -> None:
    unit, dept = pair
    app_id = passed_app(unit.store, 1)
    report(unit, [app_id])
    pull_inbox(dept.transport, dept.store)
    return_here(dept.store, app_id, [Correction(item="basic.phone", reason="手机号有误")], SOON)
    push_returns(dept.transport, dept.store)
    import zcreview.sync.inbox as inbox

    real = inbox.apply_return

    def crash_after_applying(*args: Any) -> Any:
        real(*args)
        raise Crash

    monkeypatch.setattr(inbox, "apply_return", crash_after_applying)
    with pytest.raises(Crash):
        pull_returns(unit.transport, unit.store)
    monkeypatch.setattr(inbox, "apply_return", real)
    assert state_of(unit.store, app_id) == State.REPORTED.value  # rolled back with the cursor
    [applied] = pull_returns(unit.transport, unit.store)
    assert applied.applied and state_of(unit.store, app_id) == State.RETURNED_FROM_ABOVE.value
    assert pull_returns(unit.transport, unit.store) == []


# ---------------------------------------------------------------- isolation between offices


def _with_blob(manifest: Manifest, blob: BlobRef) -> Manifest:
    """The manifest under a new batch id, its first entry also naming `blob`."""
    first = manifest.entries[0]
    entry = first.model_copy(update={"blobs": [*first.blobs, blob]})
    return manifest.model_copy(
        update={"batch_id": uuid.uuid4(), "entries": [entry, *manifest.entries[1:]]}
    )


def _approved_path(lower: Office, upper: Office) -> None:
    """A path lower → upper approved (the upper office may already decide others)."""
    info = request_path(lower.store, lower.transport, SERIES, LEVEL, upper.name, YEAR)
    upper.transport.decide_path(str(info.path_id), PathDecision(approve=True))
    refresh_paths(lower.store, lower.transport)


def _upload_whole(client: TestClient, sha: str, data: bytes) -> int:
    """PATCH `data` in 1 MiB chunks; the status of the last answer (or of the first refusal)."""
    status = 0
    for start in range(0, len(data), 1024 * 1024):
        part = data[start : start + 1024 * 1024]
        status = client.patch(
            f"/v1/blobs/{sha}",
            content=part,
            headers={"Upload-Offset": str(start), "Upload-Checksum": checksum(part)},
        ).status_code
        if status != 204:
            break
    return status


def test_naming_another_offices_blob_grants_nothing(net: Net, pair: tuple[Office, Office]) -> None:
    unit, dept = pair
    app_id, data = big_app(unit)
    report(unit, [app_id])
    sha = hashlib.sha256(data).hexdigest()
    intruder = net.office("潍坊某化工有限公司")
    _approved_path(intruder, dept)
    own = sealed_manifest(intruder, [passed_app(intruder.store, 11)])
    named = _with_blob(own, BlobRef(sha256=sha, size=len(data)))
    c = raw(net, intruder.token)
    nowhere = "e" * 64

    # The offer asks for the bytes as if the hub had never seen them.
    answer = intruder.transport.offer(named)
    [need] = [n for n in answer.missing if n.sha256 == sha]
    assert (need.size, need.have) == (len(data), 0)
    for other in (sha, nowhere):
        assert c.get(f"/v1/blobs/{other}").status_code == 404
        assert c.head(f"/v1/blobs/{other}").status_code in (200, 404)
    assert c.get(f"/v1/blobs/{sha}").json() == c.get(f"/v1/blobs/{nowhere}").json()
    head = c.head(f"/v1/blobs/{sha}")
    assert head.headers.get("Upload-Offset") in (None, "0")  # its own empty upload at most
    assert str(len(data)) == head.headers.get("Upload-Length", str(len(data)))

    # Uploading the other blobs it really holds is not enough: the named one is missing.
    for n in answer.missing:
        if n.sha256 != sha:
            assert _upload_whole(c, n.sha256, intruder.store.blobs.read(n.sha256)) == 204
    with pytest.raises(Refused) as exc:
        intruder.transport.commit(str(named.batch_id))
    assert exc.value.status == 409 and exc.value.code == "blobs_missing"
    assert c.get(f"/v1/blobs/{sha}").status_code == 404

    # Wrong bytes of the declared size do not prove anything either.
    assert _upload_whole(c, sha, b"x" * len(data)) == 422
    assert c.get(f"/v1/blobs/{sha}").status_code == 404

    # An office that really holds the same file (the same scan at two offices) sends it once
    # and then it is its own.
    assert _upload_whole(c, sha, data) == 204
    assert c.get(f"/v1/blobs/{sha}").content == data
    assert intruder.transport.commit(str(named.batch_id)).results[0].accepted


def test_an_office_cannot_block_append_to_or_watch_anothers_upload(
    net: Net, pair: tuple[Office, Office]
) -> None:
    unit, dept = pair
    app_id, data = big_app(unit)
    manifest = sealed_manifest(unit, [app_id])
    sha = hashlib.sha256(data).hexdigest()
    intruder = net.office("潍坊某化工有限公司")
    _approved_path(intruder, dept)
    own = sealed_manifest(intruder, [passed_app(intruder.store, 11)])
    c = raw(net, intruder.token)
    victim = raw(net, unit.token)

    # Declared first with a wrong size: only the intruder's own upload has that size.
    intruder.transport.offer(_with_blob(own, BlobRef(sha256=sha, size=len(data) + 1)))
    answer = unit.transport.offer(manifest)
    assert any(n.sha256 == sha and n.have == 0 for n in answer.missing)

    # The unit uploads half; the intruder's PATCHes land in its own upload or nowhere.
    half = unit.transport.upload_chunk(sha, 0, data[:524288])
    assert half == 524288
    junk = b"j" * 65536
    for offset in (0, half):
        r = c.patch(
            f"/v1/blobs/{sha}",
            content=junk,
            headers={"Upload-Offset": str(offset), "Upload-Checksum": checksum(junk)},
        )
        assert r.status_code in (204, 409), r.text
    assert victim.head(f"/v1/blobs/{sha}").headers["Upload-Offset"] == str(half)
    watched = c.head(f"/v1/blobs/{sha}")
    assert watched.headers["Upload-Offset"] != str(half)  # its own, never the unit's
    assert watched.headers["Upload-Length"] == str(len(data) + 1)

    # An office that never declared the blob learns nothing and writes nothing.
    bystander = raw(net, net.office("济宁某纺织有限公司").token)
    assert bystander.head(f"/v1/blobs/{sha}").status_code == 404
    r = bystander.patch(
        f"/v1/blobs/{sha}",
        content=junk,
        headers={"Upload-Offset": str(half), "Upload-Checksum": checksum(junk)},
    )
    assert r.status_code == 404
    assert victim.head(f"/v1/blobs/{sha}").headers["Upload-Offset"] == str(half)

    receipt = drive(str(manifest.batch_id), unit.transport, unit.store)
    assert receipt.results[0].accepted
    assert c.get(f"/v1/blobs/{sha}").status_code == 404
    assert raw(net, dept.token).get(f"/v1/blobs/{sha}").content == data


def _revised(entry: ManifestEntry, summary: str) -> ManifestEntry:
    body = json.loads(entry.application)
    body["work_summary"] = summary
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return entry.model_copy(
        update={
            "application": text,
            "revision": hashlib.sha256(text.encode()).hexdigest(),
            "supersedes": entry.revision,
        }
    )


def _offer_holding(net: Net, office: Office, manifest: Manifest, source: Office) -> Receipt:
    """Offer, upload every missing blob (bytes taken from `source`), commit."""
    c = raw(net, office.token)
    for need in office.transport.offer(manifest).missing:
        assert _upload_whole(c, need.sha256, source.store.blobs.read(need.sha256)) == 204
    return office.transport.commit(str(manifest.batch_id))


def test_only_the_reporting_office_supersedes_an_application(
    net: Net, pair: tuple[Office, Office]
) -> None:
    unit, dept = pair
    app_id = passed_app(unit.store, 3)
    manifest = sealed_manifest(unit, [app_id])
    drive(str(manifest.batch_id), unit.transport, unit.store)
    [item] = pull_inbox(dept.transport, dept.store)
    entry = manifest.entries[0]
    intruder = net.office("潍坊某化工有限公司")
    _approved_path(intruder, dept)

    # Even holding the attachments and naming the head, another office cannot replace it.
    forged = manifest.model_copy(
        update={"batch_id": uuid.uuid4(), "entries": [_revised(entry, "冒名替换。")]}
    )
    [result] = _offer_holding(net, intruder, forged, unit).results
    assert not result.accepted and "其他单位" in result.reasons[0]
    replay = manifest.model_copy(update={"batch_id": uuid.uuid4()})
    [result] = _offer_holding(net, intruder, replay, unit).results
    assert not result.accepted  # not even as a "duplicate" of the unit's revision
    assert pull_inbox(dept.transport, dept.store) == []

    # Nor report it to an office of its own choosing: it never sent or received it.
    elsewhere = net.office("潍坊市工业和信息化局", "主管部门")
    _approved_path(intruder, elsewhere)
    moved = manifest.model_copy(update={"batch_id": uuid.uuid4(), "to_office": elsewhere.code})
    [result] = _offer_holding(net, intruder, moved, unit).results
    assert not result.accepted and "不是本单位" in result.reasons[0]

    # The unit itself still can.
    own = manifest.model_copy(
        update={"batch_id": uuid.uuid4(), "entries": [_revised(entry, "补充。")]}
    )
    [result] = _offer_holding(net, unit, own, unit).results
    assert result.accepted and not result.duplicate
    assert item.application_id == app_id


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/cursors/inbox", {"cursor": 2**63}),
        ("/v1/cursors/returns", {"cursor": 2**64 + 5}),
        ("/v1/cursors/inbox", {"cursor": -(2**63) - 1}),
        ("/v1/cursors/inbox", {"cursor": 1.0}),
        ("/v1/cursors/inbox", {"cursor": True}),
        ("/v1/cursors/inbox", {"cursor": "5"}),
        ("/v1/cursors/inbox", {"cursor": 10**400}),
        ("PATH", {"approve": "yes"}),
        ("PATH", {"approve": 1}),
        ("PATH", {"approve": None}),
        ("PATH", {"approve": False, "reason": 5}),
        ("PATH", {"approve": False, "reason": "x" * 5000}),
    ],
)
def test_bodies_are_strictly_typed(
    net: Net, path: str, body: dict[str, Any], pair: tuple[Office, Office]
) -> None:
    unit, dept = pair
    [info] = unit.transport.list_paths("lower")
    url = f"/v1/paths/{info.path_id}/decision" if path == "PATH" else path
    method = "POST" if path == "PATH" else "PUT"
    c = raw(net, dept.token)
    r = c.request(method, url, content=json.dumps(body))
    assert r.status_code == 422, r.text
    message = r.json()["message"]
    assert " / " in message and any("\u4e00" <= ch <= "\u9fff" for ch in message), message


def test_cursor_at_the_top_of_the_range_is_stored(net: Net) -> None:
    office = net.office("聊城某物流有限公司")
    c = raw(net, office.token)
    top = 2**63 - 1
    r = c.put("/v1/cursors/inbox", json={"cursor": top})
    assert r.status_code == 200 and r.json()["cursor"] == top
    assert c.put("/v1/cursors/inbox", json={"cursor": 5}).json()["cursor"] == top


def test_upgrade_to_per_office_blobs_keeps_what_offices_delivered(
    net: Net, pair: tuple[Office, Office]
) -> None:
    unit, dept = pair
    manifest = sealed_manifest(unit, [passed_app(unit.store, 6)])
    drive(str(manifest.batch_id), unit.transport, unit.store)
    blobs = manifest.unique_blobs()
    # The same hub as schema 12 left it: one upload row per blob, no per-office table.
    with net.hub.engine.begin() as conn:
        conn.execute(text("DROP TABLE hub_office_blob"))
        conn.execute(
            text(
                "CREATE TABLE hub_upload (blob_id VARCHAR(64) PRIMARY KEY, size BIGINT NOT NULL, "
                'mime VARCHAR NOT NULL, "offset" BIGINT NOT NULL, complete BOOLEAN NOT NULL, '
                "updated_at TIMESTAMP NOT NULL)"
            )
        )
        for blob in blobs:
            conn.execute(
                text(
                    'INSERT INTO hub_upload (blob_id, size, mime, "offset", complete, updated_at) '
                    "VALUES (:b, :s, :m, :s, TRUE, CURRENT_TIMESTAMP)"
                ),
                {"b": blob.sha256, "s": blob.size, "m": blob.mime},
            )
    # Migration 14 itself (other areas' migrations around it are not this test's business).
    [upgrade] = [m for m in MIGRATIONS if m.version == 14]
    with net.hub.engine.begin() as conn:
        upgrade.apply(conn)
    with net.hub.engine.connect() as conn:
        assert not inspect(conn).has_table("hub_upload")
    # The unit's blobs are still its own (a resubmission sends no scan bytes); nobody else's.
    again = manifest.model_copy(update={"batch_id": uuid.uuid4()})
    assert unit.transport.offer(again).missing == []
    intruder = raw(net, net.office("潍坊某化工有限公司").token)
    for blob in blobs:
        for reader in (unit, dept):
            assert raw(net, reader.token).get(f"/v1/blobs/{blob.sha256}").status_code == 200
        assert intruder.get(f"/v1/blobs/{blob.sha256}").status_code == 404
