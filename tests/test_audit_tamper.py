"""`audit verify` notices what the database alone cannot prevent, on SQLite and PostgreSQL.

Each case tampers with the office database the way someone with only database access could:
cut the end of the log and roll the head back, empty the log, edit a decision's reviewer or an
application's state, re-hash the whole chain after an edit.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from tests.review_helpers import Clock, add_app
from zcreview.cli import main
from zcreview.desk.desk import ReviewDesk
from zcreview.domain.audit import GENESIS, AuditEntry, entry_hash
from zcreview.domain.corrections import CorrectionItem
from zcreview.storage import audit
from zcreview.storage.audit_anchor import HEAD_FILE, KEY_FILE
from zcreview.storage.review_tables import HEAD_ID, AuditHeadRow, AuditRow
from zcreview.storage.store import Store, open_store

ITEM = CorrectionItem("basic.phone", "手机号码", "", "手机号有误")


def history(store: Store) -> list[str]:
    """Three applications: one passed, one returned, one waiting."""
    clock = Clock()
    zhang = ReviewDesk(store.engine, "张审核", clock=clock)
    apps = [add_app(store, seed=i) for i in range(3)]
    c = zhang.claim(apps[0])
    zhang.pass_application(apps[0], c.version)  # type: ignore[union-attr]
    c = zhang.claim(apps[1])
    zhang.return_application(apps[1], [ITEM], c.version)  # type: ignore[union-attr]
    return apps


def kinds(store: Store) -> set[str]:
    with store.session() as s:
        report = audit.verify_audit(s)
    return {p.kind for p in report.problems}


def sql(store: Store, statement: str, **params: object) -> None:
    with store.engine.begin() as conn:
        conn.execute(text(statement), params)


def test_an_untouched_log_verifies_with_its_anchors(store: Store) -> None:
    history(store)
    assert kinds(store) == set()
    key = store.home / KEY_FILE
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    head = json.loads((store.home / HEAD_FILE).read_text(encoding="utf-8"))
    with store.session() as s:
        row = s.get(AuditHeadRow, HEAD_ID)
        assert row is not None and (head["seq"], head["hash"]) == (row.last_seq, row.last_hash)
        assert all(r.mac for r in s.exec(select(AuditRow)).all())


def test_tail_deleted_and_head_rolled_back(store: Store) -> None:
    history(store)
    with store.session() as s:
        rows = s.exec(select(AuditRow).order_by(col(AuditRow.seq))).all()
    keep = rows[-3]
    sql(store, "DELETE FROM audit_log WHERE seq > :seq", seq=keep.seq)
    sql(
        store,
        "UPDATE audit_head SET last_seq = :seq, last_hash = :hash",
        seq=keep.seq,
        hash=keep.hash,
    )
    assert "truncated" in kinds(store)


def test_log_emptied(store: Store) -> None:
    history(store)
    sql(store, "DELETE FROM audit_log")
    sql(store, "UPDATE audit_head SET last_seq = 0, last_hash = :g", g=GENESIS)
    found = kinds(store)
    assert {"truncated", "state"} <= found
    # Even without the head file, the applications left in the table have no history.
    (store.home / HEAD_FILE).unlink()
    assert "state" in kinds(store)


def test_decision_reviewer_edited(store: Store) -> None:
    history(store)
    sql(store, "UPDATE review_decision SET reviewer = '王审核'")
    assert kinds(store) == {"decision"}


def test_application_state_edited(store: Store) -> None:
    apps = history(store)
    sql(store, "UPDATE application SET state = '通过未上报' WHERE id = :id", id=apps[2])
    assert kinds(store) == {"state"}


def test_state_and_version_edited_together_still_differ(store: Store) -> None:
    apps = history(store)
    sql(
        store,
        "UPDATE application SET state = '已上报', version = version + 1 WHERE id = :id",
        id=apps[0],
    )
    assert kinds(store) == {"state"}


def test_head_file_edited_or_deleted(store: Store) -> None:
    history(store)
    path = store.home / HEAD_FILE
    body = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**body, "seq": 1}), encoding="utf-8")
    assert kinds(store) == {"anchor"}
    path.unlink()
    assert kinds(store) == {"anchor"}


def _rehash(store: Store, edit_seq: int) -> None:
    """What someone with the source code and only the database can do: edit an entry, then
    recompute every hash and the head so that the chain is consistent again."""
    with store.session() as s:
        rows = s.exec(select(AuditRow).order_by(col(AuditRow.seq))).all()
        prev = GENESIS
        for row in rows:
            if row.seq == edit_seq:
                row.actor = "王审核"
            entry = AuditEntry(
                row.seq, row.at, row.actor, row.action, row.application_id, json.loads(row.payload)
            )
            row.prev_hash, row.hash = prev, entry_hash(prev, entry)
            prev = row.hash
            s.add(row)
        head = s.get(AuditHeadRow, HEAD_ID)
        assert head is not None
        head.last_hash = prev
        s.add(head)
        s.commit()


def test_whole_chain_rehashed(store: Store) -> None:
    history(store)
    with store.session() as s:
        passed = s.exec(select(AuditRow).where(col(AuditRow.action) == "pass")).one()
    _rehash(store, passed.seq)
    found = kinds(store)
    assert "forged" in found  # the MACs were made with a key the database does not hold
    assert "edited" in found  # the head file names a hash the chain no longer has
    assert "decision" in found  # the decision table still says 张审核


def test_cli_verify_exits_non_zero_on_tampering(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "office"
    store = open_store(home)
    apps = history(store)
    store.dispose()
    assert main(["--home", str(home), "audit", "verify"]) == 0
    sql(store, "UPDATE application SET state = '待审核' WHERE id = :id", id=apps[0])
    store.dispose()
    assert main(["--home", str(home), "audit", "verify"]) == 1
    assert "审计日志记录为“通过未上报”" in capsys.readouterr().err


def test_hub_holds_the_head_and_verify_compares_with_it(
    live_hub: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.sync_helpers import Net
    from zcreview.sync.audithead import push

    net = Net(live_hub.admin, tmp_path, url=live_hub.url)
    try:
        office = net.office("泰安某机械有限公司")
        home = office.store.home
        (home / "token").write_text(office.token + "\n", encoding="utf-8")
        (home / "settings.toml").write_text(
            f'[sync]\ntransport = "http"\nurl = "{live_hub.url}"\ntoken_file = "token"\n',
            encoding="utf-8",
        )
        history(office.store)
        with office.store.session() as s:
            head = s.get(AuditHeadRow, HEAD_ID)
            assert head is not None
            last = (head.last_seq, head.last_hash)
        held = push(office.transport, office.store)
        assert held is not None and (held.seq, held.hash) == last
        assert main(["--home", str(home), "audit", "verify"]) == 0
        assert f"已与上报平台记录的链尾（第 {last[0]} 条）比对" in capsys.readouterr().out
        # The database and the home's head file rolled back together (a restored backup of
        # both): only the hub still knows where the chain ended.
        sql(office.store, "DELETE FROM audit_log WHERE seq > 2")
        with office.store.session() as s:
            second = s.get(AuditRow, 2)
            assert second is not None
        sql(office.store, "UPDATE audit_head SET last_seq = 2, last_hash = :h", h=second.hash)
        sql(office.store, "DELETE FROM review_decision")
        sql(office.store, "UPDATE application SET state = '待审核', version = 1")
        (home / HEAD_FILE).unlink()
        (home / KEY_FILE).unlink()
        office.store.dispose()
        assert main(["--home", str(home), "audit", "verify"]) == 1
        err = capsys.readouterr().err
        assert f"上报平台记录的链尾为第 {last[0]} 条" in err, err
        # A head sent after the rollback does not move the hub's record back.
        again = push(office.transport, office.store)
        assert again is not None and (again.seq, again.hash) == last
    finally:
        net.close()


def _renumber(conn: sqlite3.Connection) -> None:
    """Close the gaps left by the deleted entries: seq 1..n, hashes and head recomputed."""
    rows = conn.execute(
        "SELECT seq, at, actor, action, application_id, payload FROM audit_log ORDER BY seq"
    ).fetchall()
    prev = GENESIS
    for new_seq, (seq, at, actor, action, app_id, payload) in enumerate(rows, start=1):
        moment = datetime.fromisoformat(at)
        entry = AuditEntry(new_seq, moment, actor, action, app_id, json.loads(payload))
        digest = entry_hash(prev, entry)
        conn.execute(
            "UPDATE audit_log SET seq = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            (new_seq, prev, digest, seq),
        )
        prev = digest
    conn.execute("UPDATE audit_head SET last_seq = ?, last_hash = ?", (len(rows), prev))


def test_a_database_from_before_the_anchors_gets_a_baseline(tmp_path: Path) -> None:
    """Upgrading to schema 13: applications that have no history in the log get a baseline
    entry, so the replay starts from their states and verify passes."""
    home = tmp_path / "old"
    store = open_store(home)
    apps = history(store)
    # What a version 12 database looked like: no arrivals logged, no MACs, no anchors.
    sql(store, "DELETE FROM audit_log WHERE action IN ('create', 'claim', 'release')")
    sql(store, "UPDATE audit_log SET mac = ''")
    sql(store, "DELETE FROM schema_version WHERE version = 13")
    store.dispose()
    (home / HEAD_FILE).unlink()
    (home / KEY_FILE).unlink()
    with sqlite3.connect(home / "office.db") as conn:
        conn.execute("ALTER TABLE audit_log DROP COLUMN mac")
        _renumber(conn)
    store = open_store(home)
    try:
        with store.session() as s:
            baseline = s.exec(select(AuditRow).where(col(AuditRow.action) == "baseline")).one()
            assert set(json.loads(baseline.payload)["states"]) == set(apps)
        assert kinds(store) == set()
    finally:
        store.dispose()
