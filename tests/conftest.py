"""Shared fixtures: an office store on SQLite and on the machine's PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from zcreview.storage.store import Store, open_store

REPO = Path(__file__).resolve().parents[1]
REALWORLD = REPO / "tests" / "data" / "realworld"
PG_URL = os.environ.get("ZCREVIEW_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_required() -> bool:
    """CI asks for PostgreSQL: then an unreachable server fails the suite instead of skipping."""
    return bool(os.environ.get("CI")) or os.environ.get("ZCREVIEW_REQUIRE_PG") == "1"


def _pg_available() -> bool:
    try:
        eng = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return True
    except Exception:
        return False


_PG_STATE: dict[str, bool] = {}


def pg_url_for_new_schema() -> tuple[str, str]:
    """A URL whose search_path is a fresh schema, so tests never see each other's tables."""
    if "ok" not in _PG_STATE:
        _PG_STATE["ok"] = _pg_available()
    if not _PG_STATE["ok"]:
        if _pg_required():
            pytest.fail(f"PostgreSQL 不可用: {PG_URL}", pytrace=False)
        pytest.skip("PostgreSQL server not reachable")
    schema = "t_" + uuid.uuid4().hex[:12]
    eng = create_engine(PG_URL)
    with eng.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng.dispose()
    return f"{PG_URL}?options=-csearch_path%3D{schema}", schema


def drop_pg_schema(schema: str) -> None:
    eng = create_engine(PG_URL)
    with eng.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    eng.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL on each backend: a SQLite file, or an isolated PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'office.db'}"
        return
    url, schema = pg_url_for_new_schema()
    try:
        yield url
    finally:
        drop_pg_schema(schema)


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[Store]:
    """An opened, migrated office store (blobs under tmp_path) on SQLite and on PostgreSQL."""
    s = open_store(tmp_path / "home", db_url)
    try:
        yield s
    finally:
        s.dispose()


@pytest.fixture(scope="module")
def live_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real hub (`zcreview serve` under uvicorn) on a loopback port, one per test module."""
    from tests.sync_helpers import start_hub  # sync code is loaded only by modules that use it

    hub = start_hub(tmp_path_factory.mktemp("hub"))
    try:
        yield hub
    finally:
        hub.stop()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A store on SQLite only, for tests that are about something other than storage."""
    s = open_store(tmp_path / "home")
    try:
        yield s
    finally:
        s.dispose()


@pytest.fixture
def anyio_backend() -> str:
    """Pilot tests (marked anyio) run on asyncio, Textual's loop."""
    return "asyncio"


@pytest.fixture
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped configuration only, never the developer's own files (an empty user dir)."""
    empty = tmp_path / "user-config"
    empty.mkdir()
    monkeypatch.setenv("ZCREVIEW_CONFIG_DIR", str(empty))
