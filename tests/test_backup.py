"""Backup and restore of an office (SQLite and PostgreSQL) and of a hub; private file modes."""

from __future__ import annotations

import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, text
from sqlmodel import select

from tests.conftest import PG_URL, pg_url_for_new_schema
from tests.review_helpers import Clock, add_app
from zcreview.cli import main
from zcreview.desk.desk import ReviewDesk
from zcreview.storage.audit import verify_audit
from zcreview.storage.backup import BackupError, backup, restore
from zcreview.storage.review_tables import AuditRow
from zcreview.storage.store import Store, open_store
from zcreview.storage.tables import ApplicationRow


def _office_with_history(store: Store) -> list[str]:
    desk = ReviewDesk(store.engine, "张审核", clock=Clock())
    apps = [add_app(store, seed=i) for i in range(3)]
    c = desk.claim(apps[0])
    desk.pass_application(apps[0], c.version)
    return apps


def _counts(store: Store) -> tuple[int, int, list[str]]:
    with store.session() as s:
        apps = s.exec(select(func.count()).select_from(ApplicationRow)).one()
        audit = s.exec(select(func.count()).select_from(AuditRow)).one()
        states = sorted(r.state for r in s.exec(select(ApplicationRow)).all())
    return int(apps), int(audit), states


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_office_home_and_database_are_private(tmp_path: Path) -> None:
    store = open_store(tmp_path / "home")
    try:
        add_app(store)
    finally:
        store.dispose()
    home = tmp_path / "home"
    assert _mode(home) == 0o700
    assert _mode(home / "office.db") == 0o600
    wal = home / "office.db-wal"
    if wal.exists():
        assert _mode(wal) == 0o600


def test_sqlite_backup_holds_what_is_still_in_the_wal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = open_store(home)
    try:
        apps = _office_with_history(store)
        (home / "settings.toml").write_text("[ui]\nascii = true\n", encoding="utf-8")
        before = _counts(store)
        # The store stays open: the last decisions may sit in the WAL, not in office.db.
        done = backup(home, tmp_path / "bk", db_url=None, kind="office")
    finally:
        store.dispose()
    assert done.database == "sqlite" and done.files >= 4  # blobs and settings
    assert _mode(tmp_path / "bk") == 0o700

    restored_home = tmp_path / "restored"
    restore(tmp_path / "bk", restored_home, db_url=None, kind="office")
    again = open_store(restored_home)
    try:
        assert _counts(again) == before
        with again.session() as s:
            assert verify_audit(s).ok
        assert all(again.blobs.has(d) for d in _blob_digests(home))
    finally:
        again.dispose()
    assert (restored_home / "settings.toml").read_text(encoding="utf-8").startswith("[ui]")
    assert apps


def _blob_digests(home: Path) -> list[str]:
    return [p.name for p in (home / "blobs").rglob("*") if p.is_file()]


def test_restore_refuses_a_damaged_backup_and_an_occupied_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = open_store(home)
    try:
        add_app(store)
    finally:
        store.dispose()
    backup(home, tmp_path / "bk", db_url=None, kind="office")

    with pytest.raises(BackupError, match="已有数据库"):
        restore(tmp_path / "bk", home, db_url=None, kind="office")
    with pytest.raises(BackupError, match="上报中心"):
        restore(tmp_path / "bk", tmp_path / "hub", db_url=None, kind="hub")

    blob = next(p for p in (tmp_path / "bk" / "files" / "blobs").rglob("*") if p.is_file())
    blob.write_bytes(blob.read_bytes() + b"x")
    with pytest.raises(BackupError, match=r"文件 files/blobs/.* 的内容与清单不符"):
        restore(tmp_path / "bk", tmp_path / "new", db_url=None, kind="office")
    assert not (tmp_path / "new" / "office.db").exists()

    with pytest.raises(BackupError, match="不是空的"):
        backup(home, tmp_path / "bk", db_url=None, kind="office")


def test_backup_and_restore_commands_verify_the_audit_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    store = open_store(home)
    try:
        _office_with_history(store)
    finally:
        store.dispose()
    assert main(["--home", str(home), "backup", str(tmp_path / "bk")]) == 0
    assert "已备份到" in capsys.readouterr().out
    assert main(["--home", str(tmp_path / "r"), "restore", str(tmp_path / "bk")]) == 0
    out = capsys.readouterr().out
    assert "已从" in out and "恢复到" in out


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (restore needs one), dropped afterwards."""
    pg_url_for_new_schema()  # skips (or fails under CI) when the server is unreachable
    name = "zc_restore_" + uuid.uuid4().hex[:10]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
def test_postgresql_office_backup_restores_into_an_empty_database(
    tmp_path: Path, pg_database: str
) -> None:
    url, schema = pg_url_for_new_schema()
    store = open_store(tmp_path / "home", url)
    try:
        _office_with_history(store)
        before = _counts(store)
        done = backup(tmp_path / "home", tmp_path / "bk", db_url=url, kind="office")
    finally:
        store.dispose()
        from tests.conftest import drop_pg_schema

        drop_pg_schema(schema)
    assert done.database == "postgresql"
    target = f"{pg_database}?options=-csearch_path%3D{schema}"
    restore(tmp_path / "bk", tmp_path / "restored", db_url=target, kind="office")
    again = open_store(tmp_path / "restored", target)
    try:
        assert _counts(again) == before
        with again.session() as s:
            assert verify_audit(s).ok
    finally:
        again.dispose()


def test_hub_backup_and_restore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from zcreview.sync.hubcore import Hub

    hub = Hub.open(tmp_path / "hub")
    try:
        hub.add_office("威海市人社局", "11371000MB2852312X", "人社局", "市直")
        digest = hub.blobs.put_bytes(b"%PDF-1.4 scan")
    finally:
        hub.dispose()
    assert _mode(tmp_path / "hub") == 0o700 and _mode(tmp_path / "hub" / "hub.db") == 0o600
    data = ["--data", str(tmp_path / "hub")]
    assert main(["hub", "backup", str(tmp_path / "bk"), *data]) == 0
    assert main(["hub", "restore", str(tmp_path / "bk"), "--data", str(tmp_path / "hub2")]) == 0
    assert "1 个单位" in capsys.readouterr().out
    again = Hub.open(tmp_path / "hub2")
    try:
        assert [o.name for o in again.list_offices()] == ["威海市人社局"]
        assert again.blobs.read(digest) == b"%PDF-1.4 scan"
    finally:
        again.dispose()
