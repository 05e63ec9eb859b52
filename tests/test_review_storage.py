"""Claims, decisions, versions, returns, resubmissions and the audit chain on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from tests.office_helpers import set_up_office
from tests.review_helpers import (
    Clock,
    add_app,
    audit_actions,
    resubmit,
    state_of,
)
from zcreview import storage
from zcreview.desk.desk import ReviewDesk
from zcreview.domain.corrections import CorrectionItem, ReviewPolicy
from zcreview.domain.workflow import State
from zcreview.screens.review_texts import claim_text
from zcreview.storage import audit, claims, decisions, notices, review_reads
from zcreview.storage.claims import LeaseHeld
from zcreview.storage.engine import make_engine
from zcreview.storage.engine import session as new_session
from zcreview.storage.review_results import Claimed, ClaimedByOther, ReadOnly
from zcreview.storage.review_tables import DecisionRow, ReturnRow
from zcreview.storage.store import Store
from zcreview.storage.tables import ApplicationRow
from zcreview.storage.transitions import NotAllowed, VersionConflict, db_now

ITEM = CorrectionItem(
    "assessments[1]", "任现职以来考核 > 第2条", "ASSESS-UNIT", "考核单位与社保缴费单位不一致"
)
ITEM2 = CorrectionItem(
    "basic.current_specialty", "现从事专业", "MAJOR-OTHER", "现从事专业选择“其他”"
)


def desks(store: Store, clock: Clock) -> tuple[ReviewDesk, ReviewDesk]:
    return ReviewDesk(store.engine, "张审核", clock=clock), ReviewDesk(
        store.engine, "李审核", clock=clock
    )


# --- claims -----------------------------------------------------------------------------------


def test_claim_refuses_second_reviewer_until_lease_expires(store: Store) -> None:
    clock = Clock()
    zhang, li = desks(store, clock)
    app = add_app(store)
    first = zhang.claim(app)
    assert isinstance(first, Claimed) and first.state is State.IN_REVIEW
    assert state_of(store, app) == "审核中"

    other = li.claim(app)
    assert isinstance(other, ClaimedByOther)
    assert other.holder == "张审核" and not other.ok
    assert "张审核 正在审核" in claim_text(other) and "10:15" in claim_text(other)
    with pytest.raises(LeaseHeld, match="张审核 正在审核"):
        li.pass_application(app, first.version)

    clock.advance(minutes=10)
    again = zhang.claim(app)  # the holder extends: same version, later lease
    assert isinstance(again, Claimed) and again.renewed and again.version == first.version
    assert again.until == clock.now + timedelta(minutes=15)

    clock.advance(minutes=16)
    taken = li.claim(app)
    assert isinstance(taken, Claimed) and not taken.renewed
    assert taken.version == first.version + 1
    with pytest.raises(VersionConflict, match="李审核"):
        zhang.pass_application(app, first.version)
    assert li.pass_application(app, taken.version).state is State.PASSED


class _FastClock(datetime):
    """A workstation whose clock runs 20 minutes ahead."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _FastClock:
        moment = datetime.now(tz) + timedelta(minutes=20)
        return cls.fromtimestamp(moment.timestamp(), tz)


def test_leases_are_judged_on_the_database_clock(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = add_app(store)
    zhang = ReviewDesk(store.engine, "张审核")
    held = zhang.claim(app)
    assert isinstance(held, Claimed)
    with store.session() as s:
        server_now = db_now(s)
    assert timedelta(minutes=14) < held.until - server_now <= timedelta(minutes=15)
    # Li's workstation runs 20 minutes fast: by its own clock Zhang's lease ran out.
    monkeypatch.setattr(storage.clock, "datetime", _FastClock)
    assert storage.clock.utcnow() > held.until
    li = ReviewDesk(store.engine, "李审核")
    taken = li.claim(app)
    assert isinstance(taken, ClaimedByOther) and taken.holder == "张审核", taken
    with pytest.raises(LeaseHeld):
        li.pass_application(app, held.version)
    assert state_of(store, app) == State.IN_REVIEW.value
    renewed = zhang.claim(app)
    assert isinstance(renewed, Claimed) and renewed.renewed


def test_release_restores_previous_state(store: Store) -> None:
    clock = Clock()
    zhang, _ = desks(store, clock)
    app = add_app(store)
    zhang.claim(app)
    assert zhang.release(app) is not None
    assert state_of(store, app) == "待审核"
    assert zhang.release(app) is None  # not held: nothing to do

    # A passed application reopened and released stays passed.
    c = zhang.claim(app)
    d = zhang.pass_application(app, c.version)
    zhang.reopen(app, d.version)
    assert state_of(store, app) == "审核中"
    zhang.release(app)
    assert state_of(store, app) == "通过未上报"


def test_claim_of_a_returned_application_is_read_only(store: Store) -> None:
    clock = Clock()
    zhang, li = desks(store, clock)
    app = add_app(store)
    c = zhang.claim(app)
    zhang.return_application(app, [ITEM], c.version)
    result = li.claim(app)
    assert isinstance(result, ReadOnly) and result.state is State.RETURNED
    assert "已退回" in claim_text(result)


# --- decisions --------------------------------------------------------------------------------


def test_pass_return_reopen_transitions(store: Store) -> None:
    clock = Clock()
    zhang, _ = desks(store, clock)
    app = add_app(store)
    c = zhang.claim(app)
    assert isinstance(c, Claimed)
    passed = zhang.pass_application(app, c.version)
    assert passed.state is State.PASSED and state_of(store, app) == "通过未上报"
    with pytest.raises(NotAllowed, match="通过未上报"):
        zhang.pass_application(app, passed.version)

    reopened = zhang.reopen(app, passed.version)
    assert reopened.state is State.IN_REVIEW
    returned = zhang.return_application(app, [ITEM, ITEM2], reopened.version)
    assert returned.state is State.RETURNED
    assert returned.notice is not None and returned.notice.deadline == date(2025, 6, 23)
    assert returned.notice_text is not None and "以下2项" in returned.notice_text
    with store.session() as s:
        row = s.get(ApplicationRow, app)
        assert row is not None and row.deadline == date(2025, 6, 23) and row.holder is None
        decisions = [d.action for d in review_reads.history(app, session=s)]
        ret = notices.last_return(app, session=s)
        assert ret is not None and ret.status == "open" and ret.notice_text == returned.notice_text
        notice = notices.load_notice(ret, session=s)
    assert decisions == ["pass", "reopen", "return"]
    assert [i.field_path for i in notice.items] == ["assessments[1]", "basic.current_specialty"]
    assert audit_actions(store) == ["create", "claim", "pass", "reopen", "return"]


def test_return_from_passed_directly_and_validation(store: Store) -> None:
    clock = Clock()
    zhang, _ = desks(store, clock)
    app = add_app(store)
    c = zhang.claim(app)
    passed = zhang.pass_application(app, c.version)
    with pytest.raises(NotAllowed, match="至少一项"):
        zhang.return_application(app, [], passed.version)
    with pytest.raises(NotAllowed, match="缺少退回原因"):
        zhang.return_application(
            app, [CorrectionItem("work_summary", "总结", "", "")], passed.version
        )
    with pytest.raises(NotAllowed, match="早于今天"):
        zhang.return_application(app, [ITEM], passed.version, deadline=date(2025, 6, 1))
    d = zhang.return_application(app, [ITEM], passed.version, deadline=date(2025, 7, 1))
    assert d.state is State.RETURNED and d.notice is not None
    assert d.notice.deadline == date(2025, 7, 1)


def test_office_name_and_policy_reach_the_notice(store: Store) -> None:
    clock = Clock()
    set_up_office(store, "济南市历下区人社局", "x", office_type="人社局")
    desk = ReviewDesk(
        store.engine, "张审核", ReviewPolicy(return_deadline_working_days=2), clock=clock
    )
    app = add_app(store)
    c = desk.claim(app)
    with store.session() as s:  # what the composer previews from
        basis = notices.notice_basis(app, "张审核", session=s)
    _, preview = basis.notice("张审核", [ITEM], desk.default_deadline(), clock())
    assert "经济南市历下区人社局审核" in preview and "2025年6月18日" in preview
    d = desk.return_application(app, [ITEM], c.version)
    assert d.notice_text == preview
    last = desk.last_notice(app)
    assert last is not None and last[1] == preview


# --- versions ---------------------------------------------------------------------------------


def test_version_conflict_between_two_sessions(store: Store) -> None:
    app = add_app(store)
    with store.session() as s1:
        c = claims.claim(app, "张审核", session=s1)
        s1.commit()
    assert isinstance(c, Claimed)
    with store.session() as a, store.session() as b:
        # Both read version c.version; B decides first and commits.
        decisions.pass_application(app, "张审核", c.version, session=b)
        b.commit()
        with pytest.raises(VersionConflict) as err:
            decisions.return_application(
                app, "张审核", [ITEM], date(2099, 1, 1), c.version, session=a
            )
        a.rollback()
    assert "张审核" in str(err.value) and "审核通过" in str(err.value)
    assert err.value.expected == c.version and err.value.actual == c.version + 1
    assert state_of(store, app) == "通过未上报"  # nothing overwritten


def test_version_conflict_between_two_engines(store: Store) -> None:
    """Two app instances on one database (two engines, two pools)."""
    app = add_app(store)
    other = make_engine(str(store.engine.url.render_as_string(hide_password=False)))
    try:
        clock = Clock()
        mine = ReviewDesk(store.engine, "张审核", clock=clock)
        theirs = ReviewDesk(other, "李审核", clock=clock)
        c = mine.claim(app)
        assert isinstance(c, Claimed)
        assert isinstance(theirs.claim(app), ClaimedByOther)
        clock.advance(minutes=20)  # 张 went for lunch
        t = theirs.claim(app)
        assert isinstance(t, Claimed)
        theirs.return_application(app, [ITEM], t.version)
        with pytest.raises(VersionConflict, match="已被 李审核 于 06-16 10:20 审核不通过并退回"):
            mine.pass_application(app, c.version)
    finally:
        other.dispose()
    with store.session() as s:
        assert audit.verify_audit(s).ok


def test_new_revision_makes_a_stale_decision_conflict(store: Store) -> None:
    clock = Clock()
    zhang, _ = desks(store, clock)
    app = add_app(store)
    c = zhang.claim(app)

    def change(a: object) -> None:
        a.work_summary += "（补充）"  # type: ignore[attr-defined]

    resubmit(store, app, change)  # e.g. sync delivered a correction while 张 was reading
    with pytest.raises(VersionConflict, match="收到了新版本材料"):
        zhang.pass_application(app, c.version)


# --- flags ------------------------------------------------------------------------------------


def test_flags_crud_and_return_consumes_them(store: Store) -> None:
    clock = Clock()
    zhang, li = desks(store, clock)
    app = add_app(store)
    c = zhang.claim(app)
    zhang.set_flag(app, "assessments[1]", reason_id="ASSESS-UNIT", reason="考核单位不一致")
    zhang.set_flag(
        app, "assessments[1]", reason_id="ASSESS-UNIT", reason="考核单位不一致", note="2022年"
    )
    zhang.set_flag(app, "other_attachments[0]", reason_id="ATT-UNCLEAR", reason="附件不清晰")
    li.set_flag(app, "work_summary", reason="超过1200字")
    assert len(zhang.flags(app)) == 3
    assert len(zhang.flags(app, mine_only=True)) == 2
    assert zhang.remove_flag(app, "other_attachments[0]")
    assert not zhang.remove_flag(app, "other_attachments[0]")
    items = zhang.items_from_flags(app)
    assert [(i.field_path, i.note) for i in items] == [
        ("assessments[1]", "2022年"),
        ("work_summary", ""),
    ]
    assert items[0].label == "任现职以来考核 > 第2条"
    zhang.return_application(app, items, c.version)
    assert zhang.flags(app) == []


# --- deadlines --------------------------------------------------------------------------------


def test_expire_overdue(store: Store) -> None:
    clock = Clock()
    zhang, _ = desks(store, clock)
    late, on_time, answered = add_app(store, 1), add_app(store, 2), add_app(store, 3)
    for app in (late, on_time, answered):
        c = zhang.claim(app)
        deadline = date(2025, 6, 20) if app == late else date(2025, 6, 23)
        zhang.return_application(app, [ITEM], c.version, deadline=deadline)

    def change(a: object) -> None:
        a.assessments[1].unit = "更正后的单位"  # type: ignore[attr-defined]

    resubmit(store, answered, change)
    assert state_of(store, answered) == "已补正"

    assert zhang.expire_overdue(date(2025, 6, 20)) == []  # the deadline day still counts
    assert zhang.expire_overdue(date(2025, 6, 21)) == [late]
    assert state_of(store, late) == "逾期放弃"
    assert sorted(zhang.expire_overdue(date(2025, 6, 30))) == [on_time]
    assert state_of(store, answered) == "已补正"
    with store.session() as s:
        ret = notices.last_return(late, session=s)
        assert ret is not None and ret.status == "expired"
        d = s.exec(select(DecisionRow).where(col(DecisionRow.application_id) == late)).all()
        assert [(x.action, x.reviewer) for x in d] == [("return", "张审核"), ("expire", "系统")]


# --- resubmission -----------------------------------------------------------------------------


def test_resubmission_context(store: Store) -> None:
    clock = Clock()
    zhang, li = desks(store, clock)
    app = add_app(store)
    assert zhang.resubmission_context(app) is None
    c = zhang.claim(app)
    zhang.return_application(app, [ITEM, ITEM2], c.version, deadline=date(2099, 1, 1))
    assert zhang.resubmission_context(app) is None  # nothing came back yet

    def change(a: object) -> None:
        a.assessments[1].unit = "更正后的单位"  # type: ignore[attr-defined]
        a.societies = "另加的学会"  # type: ignore[attr-defined]

    new_rev = resubmit(store, app, change)
    ctx = li.resubmission_context(app)
    assert ctx is not None and ctx.new_revision == new_rev
    assert [a.item.field_path for a in ctx.report.answered] == ["assessments[1]"]
    assert [i.field_path for i in ctx.report.unanswered] == ["basic.current_specialty"]
    assert [ch.path for ch in ctx.report.outside] == ["societies"]
    assert not ctx.late and ctx.resubmitted_at is not None
    assert ctx.old.assessments[1].unit != ctx.new.assessments[1].unit
    c2 = li.claim(app)
    assert isinstance(c2, Claimed) and c2.state is State.IN_REVIEW
    with store.session() as s:
        ret = notices.last_return(app, session=s)
        assert ret is not None and ret.status == "answered" and ret.answered_revision == new_rev


# --- audit ------------------------------------------------------------------------------------


def _some_history(store: Store) -> str:
    clock = Clock()
    zhang, li = desks(store, clock)
    app = add_app(store)
    c = zhang.claim(app)
    zhang.set_flag(app, "work_summary", reason="超过1200字")
    d = zhang.pass_application(app, c.version)
    r = li.reopen(app, d.version)
    li.return_application(app, [ITEM], r.version)
    return app


def test_audit_chain_verifies(store: Store) -> None:
    _some_history(store)
    with store.session() as s:
        report = audit.verify_audit(s)
    assert report.ok, report.text()
    assert report.count == 6  # the arrival and five review actions
    assert "哈希链校验通过" in report.text()


def test_audit_detects_edited_entry(store: Store) -> None:
    _some_history(store)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = '王某' WHERE seq = 3"))
    with store.session() as s:
        report = audit.verify_audit(s)
    assert not report.ok
    assert [(p.seq, p.kind) for p in report.problems] == [(3, "edited")]
    assert "第 3 条" in report.text()


def test_audit_detects_deleted_entries(store: Store) -> None:
    _some_history(store)
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    with store.session() as s:
        report = audit.verify_audit(s)
    kinds = {(p.seq, p.kind) for p in report.problems}
    assert (3, "missing") in kinds and (3, "relinked") in kinds

    with store.engine.begin() as conn:  # cutting the tail is caught by the chain head
        conn.execute(text("DELETE FROM audit_log WHERE seq >= 4"))
    with store.session() as s:
        report = audit.verify_audit(s)
    assert any(p.kind == "truncated" for p in report.problems)


def test_audit_detects_reordered_entries(store: Store) -> None:
    _some_history(store)
    with store.engine.begin() as conn:  # swap the contents of entries 2 and 3 (seq stays)
        conn.execute(text("UPDATE audit_log SET seq = 100 WHERE seq = 2"))
        conn.execute(text("UPDATE audit_log SET seq = 2 WHERE seq = 3"))
        conn.execute(text("UPDATE audit_log SET seq = 3 WHERE seq = 100"))
    with store.session() as s:
        assert not audit.verify_audit(s).ok


def test_concurrent_appends_keep_one_chain(store: Store) -> None:
    """Appenders on separate engines and threads all link into a single chain."""
    import threading

    url = store.engine.url.render_as_string(hide_password=False)
    engines = [make_engine(url) for _ in range(4)]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for j in range(10):
                with new_session(engines[i]) as s:
                    audit.append(session=s, actor=f"审核人{i}", action="export", payload={"j": j})
                    s.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    assert not errors
    with store.session() as s:
        report = audit.verify_audit(s)
        assert report.ok, report.text()
        assert report.count == 40
        assert s.exec(select(ReturnRow)).all() == []


def test_pass_several_leaves_flagged_and_held_ones(store: Store) -> None:
    clock = Clock()
    zhang, li = desks(store, clock)
    plain, flagged, held = add_app(store), add_app(store), add_app(store)
    zhang.claim(flagged)
    zhang.set_flag(flagged, "work_summary", reason="超过1200字")
    zhang.release(flagged)
    li.claim(held)
    passed, left = zhang.pass_several([plain, flagged, held])
    assert passed == [plain] and state_of(store, plain) == State.PASSED
    by_id = {x.app_id: x for x in left}
    assert by_id[flagged].flags == 1 and state_of(store, flagged) == State.PENDING
    assert isinstance(by_id[held].claim, ClaimedByOther) and by_id[held].claim.holder == "李审核"
    assert state_of(store, held) == State.IN_REVIEW
