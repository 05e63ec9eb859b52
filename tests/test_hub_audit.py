"""The hub's audit trail: who registered, rotated, requested, approved, committed and returned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.sync_helpers import LEVEL, SERIES, YEAR, Net, open_path, passed_app
from zcreview.cli import main
from zcreview.storage import hub_admin, hub_audit
from zcreview.sync.delivery import drive
from zcreview.sync.outbox import seal_batch


def _actions(engine: Any) -> list[tuple[str, str, str | None]]:
    return [(r.actor, r.action, r.subject) for r in hub_audit.recent(engine, 1000)]


def test_a_reporting_round_leaves_a_verifiable_trail(live_hub: Any, tmp_path: Path) -> None:
    net = Net(live_hub.admin, tmp_path, url=live_hub.url)
    try:
        unit = net.office("淄博某化工有限公司")
        dept = net.office("淄博市某主管部门", "主管部门")
        open_path(unit, dept, dept.name)
        app_id = passed_app(unit.store, 1)
        with unit.store.session() as s:
            batch_id = seal_batch(
                s, [app_id], YEAR, LEVEL, SERIES, "王审核", blobs=unit.store.blobs
            )
            s.commit()
        drive(batch_id, unit.transport, unit.store)
        hub_admin.rotate_token(live_hub.admin.engine, unit.code)
    finally:
        net.close()
    engine = live_hub.admin.engine
    actions = _actions(engine)
    mine = [
        a
        for a in actions
        if a[2] in (unit.code, dept.code, batch_id) or a[0] in (unit.code, dept.code)
    ]
    kinds = [a[1] for a in mine]
    assert kinds.count("office.add") == 2
    assert "path.request" in kinds and "path.approve" in kinds
    assert (unit.code, "batch.commit", batch_id) in mine
    assert (hub_audit.ADMIN, "office.rotate", unit.code) in mine
    [commit] = [r for r in hub_audit.recent(engine, 1000) if r.subject == batch_id]
    assert app_id in commit.payload
    assert hub_audit.verify(engine).ok


def test_edits_and_deletions_are_detected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from zcreview.hub.core import Hub

    hub = Hub.open(tmp_path / "hub")
    try:
        for i in range(3):
            hub.add_office(f"单位{i}", f"91370000MA3C0000{i}X", "用人单位", "区县")
        hub_admin.set_active(hub.engine, "91370000MA3C00001X", False)
        data = ["--data", str(tmp_path / "hub")]
        assert main(["hub", "audit", "verify", *data]) == 0
        assert main(["hub", "audit", "show", "--limit", "2", *data]) == 0
        out = capsys.readouterr().out
        assert "office.disable" in out and out.count("\n") >= 3
        with hub.engine.begin() as conn:
            conn.execute(text("UPDATE hub_trail SET actor = '某人' WHERE seq = 2"))
        assert not hub_audit.verify(hub.engine).ok
        assert main(["hub", "audit", "verify", *data]) == 1
    finally:
        hub.dispose()


def test_a_deleted_tail_is_detected(tmp_path: Path) -> None:
    from zcreview.hub.core import Hub

    hub = Hub.open(tmp_path / "hub")
    try:
        for i in range(3):
            hub.add_office(f"单位{i}", f"91370000MA3C0000{i}X", "用人单位", "区县")
        with hub.engine.begin() as conn:
            conn.execute(text("DELETE FROM hub_trail WHERE seq = 3"))
        report = hub_audit.verify(hub.engine)
        assert not report.ok and report.count == 2
    finally:
        hub.dispose()
