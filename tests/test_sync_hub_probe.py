"""Hostile probes of every hub route from two offices, against a real hub (uvicorn on a loopback
port) on SQLite and PostgreSQL: no 5xx, nothing of one office readable by the other, and a client
that goes away costs one log line."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import drop_pg_schema, pg_url_for_new_schema
from tests.sync_helpers import (
    LEVEL,
    SERIES,
    SOON,
    YEAR,
    LiveHub,
    Net,
    Office,
    app_with_scan,
    passed_app,
    sealed_manifest,
    start_hub,
)
from zcreview.hub.web.routes import API
from zcreview.protocol import Correction, Manifest, PathDecision, ReturnRequest
from zcreview.sync.delivery import drive
from zcreview.sync.inbox import pull_inbox
from zcreview.sync.paths import refresh_paths, request_path

SCAN = 1_200_000
Probe = tuple[str, str, dict[str, str], bytes]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveHub]:
    """A `zcreview serve` process of its own on each database."""
    if request.param == "sqlite":
        hub = start_hub(tmp_path / "hub")
        try:
            yield hub
        finally:
            hub.stop()
        return
    url, schema = pg_url_for_new_schema()
    hub = start_hub(tmp_path / "hub", url)
    try:
        yield hub
    finally:
        hub.stop()
        drop_pg_schema(schema)


def approved_path(lower: Office, upper: Office) -> str:
    info = request_path(lower.store, lower.transport, SERIES, LEVEL, upper.name, YEAR)
    upper.transport.decide_path(str(info.path_id), PathDecision(approve=True))
    refresh_paths(lower.store, lower.transport)
    return str(info.path_id)


def scanned_app(office: Office, seed: int) -> tuple[str, bytes]:
    return app_with_scan(office, seed, SCAN, probe_seed=300 + seed)


@dataclass
class Side:
    """What one office has at the hub, which the other office must not reach."""

    office: Office
    path_id: str
    reported: Manifest  # committed, delivered to the department
    scan: bytes  # the reported application's own attachment
    pending: Manifest  # offered, half uploaded
    pending_scan: bytes
    half: int

    @property
    def sha(self) -> str:
        return hashlib.sha256(self.scan).hexdigest()

    @property
    def pending_sha(self) -> str:
        return hashlib.sha256(self.pending_scan).hexdigest()


def make_side(office: Office, dept: Office, seed: int) -> Side:
    path_id = approved_path(office, dept)
    app_id, scan = scanned_app(office, seed)
    reported = sealed_manifest(office, [app_id])
    assert drive(str(reported.batch_id), office.transport, office.store).results[0].accepted
    other_id, pending_scan = scanned_app(office, seed + 1)
    pending = sealed_manifest(office, [other_id])
    office.transport.offer(pending)
    sha = hashlib.sha256(pending_scan).hexdigest()
    half = office.transport.upload_chunk(sha, 0, pending_scan[:524288])
    return Side(office, path_id, reported, scan, pending, pending_scan, half)


def hostile_json(rng: random.Random) -> Any:
    """A value of a random wrong kind."""
    return rng.choice(
        [
            "yes",
            "true",
            1,
            0,
            -1,
            1.5,
            2**63,
            -(2**63) - 1,
            10**30,
            None,
            True,
            [],
            {},
            "",
            "x" * 5000,
            "\u202e\u0007\u001b[31m",
            "0" * 64,
            str(uuid.uuid4()),
            "2025-13-40",
            {"$ne": None},
        ]
    )


def mutations(body: dict[str, Any], rng: random.Random, n: int) -> Iterator[bytes]:
    """`n` copies of `body` each with one field (top level or nested) set to a hostile value."""
    for _ in range(n):
        copy = json.loads(json.dumps(body))
        target = copy
        if "entries" in copy and rng.random() < 0.6:
            target = copy["entries"][0]
            if "blobs" in target and target["blobs"] and rng.random() < 0.5:
                target = target["blobs"][0]
        key = rng.choice([*target, "unexpected"])
        target[key] = hostile_json(rng)
        yield json.dumps(copy).encode()


def probes(me: Side, them: Side, dept: Office, rng: random.Random) -> list[Probe]:
    """Requests by `me` aimed at `them`'s data and at every route with hostile input."""
    js = {"Content-Type": "application/json"}
    theirs = them.reported.entries[0]
    mine = me.reported.model_dump(mode="json")
    own_new = {**mine, "batch_id": str(uuid.uuid4())}
    ask_theirs = {
        **own_new,
        "entries": [
            {
                **mine["entries"][0],
                "blobs": [
                    *mine["entries"][0]["blobs"],
                    {"sha256": them.sha, "size": len(them.scan)},
                    {"sha256": them.pending_sha, "size": 1},
                ],
            }
        ],
    }
    out: list[Probe] = [
        ("PUT", f"/v1/batches/{them.pending.batch_id}", js, them.pending.model_dump_json().encode()),
        ("PUT", f"/v1/batches/{ask_theirs['batch_id']}", js, json.dumps(ask_theirs).encode()),
        ("PUT", f"/v1/batches/{own_new['batch_id']}", js, b"[" * 5000 + b"]" * 5000),
        ("PUT", f"/v1/batches/{own_new['batch_id']}", js, json.dumps(own_new).encode()[:-7]),
        ("POST", f"/v1/batches/{them.pending.batch_id}/commit", {}, b""),
        ("POST", f"/v1/batches/{them.reported.batch_id}/commit", {"If-None-Match": "*"}, b""),
        ("POST", f"/v1/batches/{ask_theirs['batch_id']}/commit", {}, b""),
        ("POST", "/v1/batches/%00/commit", {}, b""),
        ("GET", "/v1/inbox?after=0&limit=500", {}, b""),
        ("GET", "/v1/inbox?after=999999999999999999", {}, b""),
        ("GET", "/v1/inbox?limit=0", {}, b""),
        ("GET", "/v1/returns?after=-1", {}, b""),
        ("GET", "/v1/returns?after=0", {}, b""),
        ("GET", "/v1/paths?role=upper", {}, b""),
        ("GET", "/v1/paths?role=lower&role=upper", {}, b""),
        ("GET", "/v1/offices?q=" + "%00%1b[2J" * 50, {}, b""),
        ("GET", "/healthz", {}, b""),
        ("GET", "/openapi.json", {}, b""),
        ("POST", f"/v1/paths/{them.path_id}/decision", js, b'{"approve": true}'),
        ("POST", f"/v1/paths/{them.path_id}/decision", js, b'{"approve": "yes"}'),
        ("PUT", f"/v1/paths/{them.path_id}", js, json.dumps({
            "upper_office": dept.code, "series": SERIES, "level": LEVEL, "year": YEAR,
        }).encode()),
        ("PUT", f"/v1/paths/{uuid.uuid4()}", js, json.dumps({
            "upper_office": "\u0000" + dept.code, "series": SERIES, "level": LEVEL, "year": YEAR,
        }).encode()),
        ("PUT", f"/v1/paths/{uuid.uuid4()}", js, json.dumps({
            "upper_office": dept.code, "series": "x" * 201, "level": LEVEL, "year": "2025",
        }).encode()),
    ]  # fmt: skip
    return_body = ReturnRequest(
        application_id=theirs.application_id,
        revision=theirs.revision,
        corrections=[Correction(item="basic.name", reason="冒充上级退回")],
        deadline=SOON,
    ).model_dump(mode="json")
    out.append(("POST", f"/v1/returns/{uuid.uuid4()}", js, json.dumps(return_body).encode()))
    for body in mutations(return_body, rng, 12):
        out.append(("POST", f"/v1/returns/{uuid.uuid4()}", js, body))
    for body in mutations(own_new, rng, 30):
        out.append(("PUT", f"/v1/batches/{own_new['batch_id']}", js, body))
    for body in mutations({"approve": False, "reason": "不行"}, rng, 8):
        out.append(("POST", f"/v1/paths/{me.path_id}/decision", js, body))
    for body in mutations(
        {"upper_office": dept.code, "series": SERIES, "level": LEVEL, "year": YEAR}, rng, 8
    ):
        out.append(("PUT", f"/v1/paths/{uuid.uuid4()}", js, body))
    for cursor in (2**63, 2**63 - 1, -1, 1.0, True, "1", None, 10**400, [1]):
        feed = rng.choice(["inbox", "returns"])
        out.append(("PUT", f"/v1/cursors/{feed}", js, b'{"cursor": %s}' % _json_number(cursor)))
    out.append(("PUT", "/v1/cursors/inbox", js, b'{"cursor": 1, "extra": 1}'))
    head = {"seq": 3, "hash": "a" * 64}
    out.append(("PUT", "/v1/audit-head", js, json.dumps(head).encode()))
    for body in mutations(head, rng, 8):
        out.append(("PUT", "/v1/audit-head", js, body))
    out.append(("GET", "/v1/audit-head", {}, b""))
    out.append(("PUT", "/v1/cursors/%2e%2e", js, b'{"cursor": 1}'))
    for sha in (them.sha, them.pending_sha, "f" * 64, "F" * 64, "%2e%2e"):
        out.append(("HEAD", f"/v1/blobs/{sha}", {}, b""))
        out.append(("GET", f"/v1/blobs/{sha}", {}, b""))
        for rng_header in ("bytes=0-", "bytes=0-0", "bytes=99999999999999999999-", "bytes=5-1"):
            out.append(("GET", f"/v1/blobs/{sha}", {"Range": rng_header}, b""))
        junk = os.urandom(4096)
        check = f"sha256 {hashlib.sha256(junk).hexdigest()}"
        for offset in ("0", str(them.half), "9" * 30, "-1", ""):
            out.append(
                ("PATCH", f"/v1/blobs/{sha}", {"Upload-Offset": offset, "Upload-Checksum": check}, junk)
            )  # fmt: skip
    return out


def _json_number(value: Any) -> bytes:
    return json.dumps(value).encode()


def _route_of(method: str, path: str) -> tuple[str, str] | None:
    bare = path.split("?")[0]
    for api in API:
        pattern = "^" + re.sub(r"\{\w+\}", "[^/]+", api.path) + "$"
        if api.method == method and re.match(pattern, bare):
            return method, api.path
    return None


def _reveals(r: httpx.Response, method: str, path: str, them: Side) -> bool:
    """Whether a blob answer shows the other office's blob or the state of its upload."""
    if "/v1/blobs/" not in path or method not in ("GET", "HEAD") or r.status_code >= 400:
        return False
    if not path.endswith((them.sha, them.pending_sha)):
        return False
    offset = r.headers.get("Upload-Offset")
    return method == "GET" or offset in (r.headers.get("Upload-Length"), str(them.half))


def disconnect_mid_upload(url: str, token: str, sha: str) -> None:
    """Promise a 1 MiB chunk, send 1000 bytes, hang up."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as conn:
        conn.sendall(
            (
                f"PATCH /v1/blobs/{sha} HTTP/1.1\r\nHost: {host}\r\n"
                f"Authorization: Bearer {token}\r\nUpload-Offset: 0\r\n"
                f"Upload-Checksum: sha256 {'0' * 64}\r\nContent-Length: 1048576\r\n\r\n"
            ).encode()
            + b"x" * 1000
        )


def disconnect_mid_download(url: str, token: str, sha: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=auth) as c, c.stream("GET", f"/v1/blobs/{sha}") as r:
        assert r.status_code == 200
        next(r.iter_raw(4096))


def test_hostile_probes_from_two_offices(live: LiveHub, tmp_path: Path) -> None:
    net = Net(live.admin, tmp_path, url=live.url)
    try:
        dept = net.office("日照市工业和信息化局", "主管部门")
        a = make_side(net.office("日照某港口机械有限公司"), dept, 1)
        b = make_side(net.office("日照某水产有限公司"), dept, 11)
        rng = random.Random(20250101)
        statuses: dict[int, int] = {}
        server_errors: list[str] = []
        cross_reads: list[str] = []
        covered: set[tuple[str, str]] = set()
        sent = 0
        for me, them in ((a, b), (b, a)):
            secrets = [
                them.scan[:48],
                them.pending_scan[:48],
                them.reported.entries[0].application.encode(),
            ]
            with httpx.Client(base_url=live.url, timeout=30) as client:
                for token in (me.office.token, None):
                    headers = {"Authorization": f"Bearer {token}"} if token else {}
                    for method, path, extra, body in probes(me, them, dept, rng):
                        r = client.request(method, path, headers={**headers, **extra}, content=body)
                        sent += 1
                        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                        route = _route_of(method, path)
                        if route is not None:
                            covered.add(route)
                        what = f"{method} {path[:90]} -> {r.status_code} {r.text[:160]!r}"
                        if r.status_code >= 500:
                            server_errors.append(what)
                        if any(s in r.content for s in secrets) or _reveals(r, method, path, them):
                            cross_reads.append(what)
        assert server_errors == [], server_errors[:10]
        assert cross_reads == [], cross_reads[:10]
        assert covered == {(api.method, api.path) for api in API}
        assert sent >= 400, sent

        # Nobody's data moved: each pending upload continues from its own offset and commits,
        # the department holds exactly the four genuine applications, with the right bytes.
        for side in (a, b):
            assert side.office.transport.head_offset(side.pending_sha) == side.half
            receipt = drive(str(side.pending.batch_id), side.office.transport, side.office.store)
            assert receipt.results[0].accepted and not receipt.results[0].duplicate
        got = pull_inbox(dept.transport, dept.store)
        genuine = {
            str(e.application_id)
            for side in (a, b)
            for e in (*side.reported.entries, *side.pending.entries)
        }
        assert sorted(r.application_id for r in got) == sorted(genuine)
        for side in (a, b):
            for sha, data in ((side.sha, side.scan), (side.pending_sha, side.pending_scan)):
                assert b"".join(dept.transport.fetch_blob(sha)) == data

        # Hanging up mid-chunk and mid-download: one line each in the log, no traceback.
        disconnect_mid_upload(live.url, a.office.token, a.pending_sha)
        disconnect_mid_download(live.url, dept.token, a.sha)
        with httpx.Client(base_url=live.url) as client:  # the hub is still there
            assert client.get("/healthz").status_code == 200
        log = live.log.read_text(errors="replace")
        assert "Traceback" not in log, log[-3000:]
        assert "client went away during PATCH" in log
        statuses_text = json.dumps(statuses, sort_keys=True)
        print(f"hub probe: {sent} requests, statuses {statuses_text}, 0 5xx, 0 cross-office reads")
    finally:
        net.close()


def test_a_return_only_travels_down_the_chain(live: LiveHub, tmp_path: Path) -> None:
    """An office cannot return another office's application, even naming its exact revision."""
    net = Net(live.admin, tmp_path, url=live.url)
    try:
        dept = net.office("日照市住房和城乡建设局", "主管部门")
        unit = net.office("日照某建筑有限公司")
        other = net.office("日照某建材有限公司")
        approved_path(unit, dept)
        app_id = passed_app(unit.store, 4)
        entry = sealed_manifest(unit, [app_id])
        drive(str(entry.batch_id), unit.transport, unit.store)
        first = entry.entries[0]
        request = ReturnRequest(
            application_id=first.application_id,
            revision=first.revision,
            corrections=[Correction(item="basic.name", reason="x")],
            deadline=date(2030, 1, 1),
        )
        with httpx.Client(base_url=live.url) as client:
            r = client.post(
                f"/v1/returns/{uuid.uuid4()}",
                content=request.model_dump_json(),
                headers={"Authorization": f"Bearer {other.token}"},
            )
        assert r.status_code == 403
        assert unit.transport.returns(0).items == []
    finally:
        net.close()
