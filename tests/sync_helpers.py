"""Sync test helpers: a hub (real uvicorn on loopback, or in-process), offices with transports."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
from starlette.testclient import TestClient

from tests.conftest import REPO, drop_pg_schema, pg_url_for_new_schema
from tests.factories import credit_code, default_files, make_application
from tests.office_helpers import set_up_office
from zcreview.desk.desk import ReviewDesk
from zcreview.domain.model import Application, iter_attachments
from zcreview.domain.workflow import State
from zcreview.hub.core import Hub
from zcreview.hub.web.app import create_app
from zcreview.protocol import Correction, Manifest
from zcreview.storage import applications
from zcreview.storage.review_results import Claimed
from zcreview.storage.store import Store, open_store
from zcreview.storage.sync_tables import OutboxBatch
from zcreview.storage.tables import ApplicationRow
from zcreview.sync.delivery import BatchProgress, drive
from zcreview.sync.http import HttpTransport
from zcreview.sync.outbox import seal_batch
from zcreview.sync.paths import decide_path, refresh_paths, request_path

SERIES, LEVEL, YEAR = "工程技术", "中级", 2025
SOON = date.today() + timedelta(days=30)
"""A correction deadline still ahead (late resubmissions become 逾期放弃)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveHub:
    """A `zcreview serve` process on a loopback port, and the same hub opened in-process.

    Offices are registered through `admin` (the code `zcreview hub office add` runs).
    """

    url: str
    data: Path
    process: subprocess.Popen[bytes]
    admin: Hub
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.admin.dispose()


def start_hub(
    data: Path,
    db_url: str | None = None,
    *,
    port: int | None = None,
    env: dict[str, str] | None = None,
) -> LiveHub:
    """Start `python -m zcreview serve` on a free port (or `port`, to restart a hub where its
    clients expect it) and wait until /healthz answers. `env` adds environment variables."""
    data.mkdir(parents=True, exist_ok=True)
    admin = Hub.open(data, db_url)  # migrates before the server starts
    port = port or free_port()
    log = data / "serve.log"
    cmd = [sys.executable, "-m", "zcreview", "serve", "--port", str(port), "--data", str(data)]
    if db_url:
        cmd += ["--db", db_url]
    env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    with log.open("ab") as out:
        process = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    with httpx.Client(timeout=1) as client:
        while True:
            try:
                if client.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("hub did not start:\n" + log.read_text(errors="replace"))
            time.sleep(0.05)
    return LiveHub(url=url, data=data, process=process, admin=admin, log=log)


@dataclass
class Office:
    """An office: its own SQLite store and a transport to the hub with its own token."""

    name: str
    code: str
    store: Store
    transport: HttpTransport
    token: str
    stores: list[Store] = field(default_factory=list)


class Net:
    """A hub plus offices; `kind` is "uvicorn" (real sockets) or "asgi" (in-process)."""

    def __init__(
        self,
        hub: Hub,
        tmp: Path,
        url: str | None = None,
        timeout: httpx.Timeout | None = None,
        give_up_after: float = 20,
    ) -> None:
        self.hub = hub
        self.tmp = tmp
        self.url = url
        self.timeout = timeout
        self.give_up_after = give_up_after
        self.offices: list[Office] = []

    def transport(self, token: str) -> HttpTransport:
        if self.url is not None:
            if self.timeout is not None:
                return HttpTransport(
                    self.url,
                    token,
                    timeout=self.timeout,
                    give_up_after=self.give_up_after,
                    backoff_base=0.05,
                    backoff_cap=0.5,
                )
            return HttpTransport(self.url, token, give_up_after=20, backoff_base=0.05)
        client = TestClient(create_app(self.hub), base_url="http://testserver")
        return HttpTransport("http://testserver", token, client=client, give_up_after=20)

    def office(
        self, name: str, office_type: str = "用人单位", store_url: str | None = None
    ) -> Office:
        code = credit_code(org=uuid.uuid4().hex[:8].upper())  # hex: all in the code alphabet
        _, token = self.hub.add_office(name, code, office_type, "区县")
        store = open_store(self.tmp / f"office-{len(self.offices)}", store_url)
        set_up_office(store, name, code, office_type=office_type)
        office = Office(name, code, store, self.transport(token), token)
        self.offices.append(office)
        return office

    def close(self) -> None:
        for o in self.offices:
            o.transport.close()
            o.store.dispose()


def with_blobs(app: Application, store: Store, big: dict[str, bytes] | None = None) -> Application:
    """Put the attachments' bytes (real small files, or `big[file]`) into the store."""
    files = {**default_files(app), **(big or {})}
    for _, ref in iter_attachments(app):
        data = files[ref.file]
        ref.sha256 = store.blobs.put_bytes(data)
        ref.size, ref.mime = len(data), "application/pdf"
    return app


def passed_app(
    store: Store, seed: int, big: dict[str, bytes] | None = None, **overrides: object
) -> str:
    """Record an application at `store` already in 通过未上报; returns its id."""
    overrides.setdefault("application_id", str(uuid.uuid4()))
    app = with_blobs(make_application(seed, **overrides), store, big)
    with store.session() as s:
        result = applications.record_revision(app, session=s, initial_state=State.PASSED)
        s.commit()
    return result.application_id


def first_file(app_id: str, store: Store) -> str:
    with store.session() as s:
        app = applications.load_revision(app_id, session=s)
    return next(ref.file for _, ref in iter_attachments(app))


def state_of(store: Store, app_id: str) -> str:
    with store.session() as s:
        row = s.get(ApplicationRow, app_id)
        assert row is not None
        return row.state


def pass_here(store: Store, app_id: str, reviewer: str = "王") -> None:
    """A reviewer at this office claims the application and passes it (the real review path)."""
    desk = ReviewDesk(store.engine, reviewer)
    claimed = desk.claim(app_id)
    assert isinstance(claimed, Claimed), claimed
    desk.pass_application(app_id, claimed.version)


def return_here(
    store: Store,
    app_id: str,
    corrections: list[Correction],
    deadline: date,
    reviewer: str = "李",
    clock: Callable[[], datetime] | None = None,
) -> str:
    """A reviewer at this office claims the application and returns it with these corrections;
    the review desk queues the return down when it came from below. Returns the return id."""
    desk = ReviewDesk(store.engine, reviewer, clock=clock)
    claimed = desk.claim(app_id)
    assert isinstance(claimed, Claimed), claimed
    decision = desk.return_application(
        app_id, [c.to_item() for c in corrections], claimed.version, deadline
    )
    assert decision.return_id is not None
    return decision.return_id


def open_path(lower: Office, upper: Office, upper_query: str) -> None:
    """路径申请 by name, 路径审核 by the upper office, and the lower office's mirror refreshed."""
    info = request_path(lower.store, lower.transport, SERIES, LEVEL, upper_query, YEAR)
    assert info.state == "pending"
    pending = [p for p in refresh_paths(upper.store, upper.transport) if p.role == "upper"]
    assert [p.path_id for p in pending] == [str(info.path_id)]
    decide_path(upper.store, upper.transport, str(info.path_id), approve=True)
    approved = [p for p in refresh_paths(lower.store, lower.transport) if p.role == "lower"]
    assert [p.state for p in approved] == ["approved"]


def seal(office: Office, app_ids: list[str]) -> str:
    """Seal `app_ids` into a batch of the outbox (as 数据上报 does); its id."""
    with office.store.session() as s:
        batch_id = seal_batch(s, app_ids, YEAR, LEVEL, SERIES, "王审核", blobs=office.store.blobs)
        s.commit()
    return batch_id


def sealed_manifest(office: Office, app_ids: list[str]) -> Manifest:
    """Seal `app_ids` and return the batch's manifest, as the hub will be offered it."""
    batch_id = seal(office, app_ids)
    with office.store.session() as s:
        batch = s.get(OutboxBatch, batch_id)
        assert batch is not None
        return Manifest.model_validate_json(batch.manifest)


def app_with_scan(office: Office, seed: int, size: int, probe_seed: int) -> tuple[str, bytes]:
    """A passed application whose first attachment is `size` random bytes no other office holds;
    `probe_seed` names the throw-away application that tells which file is first."""
    data = os.urandom(size)
    probe = passed_app(office.store, probe_seed)
    return passed_app(office.store, seed, big={first_file(probe, office.store): data}), data


def report(office: Office, app_ids: list[str], progress: list[BatchProgress] | None = None) -> str:
    batch_id = seal(office, app_ids)
    drive(
        batch_id, office.transport, office.store, progress.append if progress is not None else None
    )
    return batch_id


def backend_net(backend: str, tmp: Path) -> Iterator[Net]:
    """An in-process hub on "sqlite" or on a fresh "postgresql" schema (dropped afterwards)."""
    if backend == "sqlite":
        yield from hub_net(tmp, None)
        return
    url, schema = pg_url_for_new_schema()
    try:
        yield from hub_net(tmp, url)
    finally:
        drop_pg_schema(schema)


def hub_net(tmp: Path, db_url: str | None) -> Iterator[Net]:
    hub = Hub.open(tmp / "hub", db_url)
    net = Net(hub, tmp)
    try:
        yield net
    finally:
        net.close()
        hub.dispose()


class CountingProxy:
    """A loopback TCP relay that counts the bytes each way (headers included)."""

    def __init__(self, target: str) -> None:
        host, port = target.removeprefix("http://").split(":")
        self.target = (host, int(port))
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.up = 0
        self.down = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> None:
        with self._lock:
            self.up = self.down = 0

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pump, args=(client, upstream, "up"), daemon=True).start()
            threading.Thread(
                target=self._pump, args=(upstream, client, "down"), daemon=True
            ).start()

    def _pump(self, src: socket.socket, dst: socket.socket, way: str) -> None:
        try:
            while data := src.recv(65536):
                with self._lock:
                    setattr(self, way, getattr(self, way) + len(data))
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.server.close()
