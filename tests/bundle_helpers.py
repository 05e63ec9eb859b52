"""Folder-bundle test helpers: offices that exchange bundles over a shared folder (a USB stick)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.factories import credit_code
from tests.sync_helpers import LEVEL, SERIES, YEAR
from zcreview.storage.office import init_office
from zcreview.storage.store import Store, open_store
from zcreview.sync.bundle_import import import_dir
from zcreview.sync.bundle_trust import export_key, trust
from zcreview.sync.delivery import drive
from zcreview.sync.folder import FolderTransport
from zcreview.sync.outbox import seal_batch
from zcreview.sync.paths import decide_path, refresh_paths, request_path
from zcreview.sync.transport import AwaitingReceipt


@dataclass
class Side:
    name: str
    code: str
    home: Path
    store: Store
    usb: Path

    @property
    def transport(self) -> FolderTransport:
        return FolderTransport(self.usb, self.store)


def make_side(tmp: Path, name: str, org: str, usb: Path, office_type: str = "用人单位") -> Side:
    home = tmp / org
    store = open_store(home)
    code = credit_code(org=org)
    with store.session() as s:
        init_office(
            session=s, name=name, credit_code=code, office_type=office_type, office_level="区县"
        )
        s.commit()
    (home / "settings.toml").write_text(
        f'[sync]\ntransport = "folder"\nfolder = "{usb}"\n', encoding="utf-8"
    )
    return Side(name, code, home, store, usb)


@contextmanager
def bundle_pair(tmp_path: Path) -> Iterator[tuple[Side, Side]]:
    """A unit and its department that trust each other's keys and share an approved path."""
    usb = tmp_path / "usb" / "zcreview"
    usb.parent.mkdir()
    unit = make_side(tmp_path, "威海某电子有限公司", "A1000001", usb)
    dept = make_side(tmp_path, "威海市工业和信息化局", "D1000001", usb, "主管部门")
    trust(unit.store, dept.name, export_key(dept.store))
    trust(dept.store, unit.code, export_key(unit.store))
    info = request_path(unit.store, unit.transport, SERIES, LEVEL, "工业和信息化", YEAR)
    [got] = import_dir(dept.store, usb)
    assert got.kind == "path-request" and not got.error
    decide_path(dept.store, dept.transport, str(info.path_id), approve=True)
    assert [p.state for p in refresh_paths(unit.store, unit.transport)] == ["approved"]
    yield unit, dept
    unit.store.dispose()
    dept.store.dispose()


def seal(side: Side, app_ids: list[str]) -> str:
    with side.store.session() as s:
        batch_id = seal_batch(s, app_ids, YEAR, LEVEL, SERIES, "王审核", blobs=side.store.blobs)
        s.commit()
    return batch_id


def write_bundle(side: Side, app_ids: list[str]) -> str:
    """Seal and write the bundle; the drive stops at 确认中 waiting for the receipt."""
    batch_id = seal(side, app_ids)
    with pytest.raises(AwaitingReceipt, match="等待"):
        drive(batch_id, side.transport, side.store)
    return batch_id


def counts(store: Store) -> dict[str, int]:
    """Row counts of every table, and the blob files: what "changes nothing" compares."""
    with store.engine.connect() as conn:
        names = [
            r[0] for r in conn.execute(text("select name from sqlite_master where type='table'"))
        ]
        found = {n: conn.execute(text(f'select count(*) from "{n}"')).scalar_one() for n in names}
    found["blob files"] = sum(1 for p in (store.home / "blobs").rglob("*") if p.is_file())
    return found
