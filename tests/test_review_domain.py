"""Pure review logic: working-day deadlines, notice text, field paths, diffs, audit chain."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import make_application
from zcreview.domain.audit import (
    GENESIS,
    AuditEntry,
    StoredEntry,
    entry_hash,
    verify_chain,
)
from zcreview.domain.corrections import (
    CorrectionItem,
    CorrectionNotice,
    ReviewPolicy,
    add_working_days,
    is_working_day,
    mask_id_number,
    render_notice_text,
)
from zcreview.domain.diff import assess_resubmission, diff_applications
from zcreview.domain.model import Application
from zcreview.domain.paths import is_under, item_scope, label_for_path, parse_path

# --- working days ---------------------------------------------------------------------------


def test_working_days_skip_weekends() -> None:
    friday = date(2025, 6, 13)
    assert add_working_days(friday, 1) == date(2025, 6, 16)  # Monday
    assert add_working_days(friday, 5) == date(2025, 6, 20)
    assert add_working_days(date(2025, 6, 14), 1) == date(2025, 6, 16)  # from a Saturday
    assert add_working_days(friday, 0) == friday


def test_working_days_skip_holidays_and_count_makeup_days() -> None:
    # 2025 National Day: 10-01..10-08 off; Sunday 09-28 and Saturday 10-11 are working days.
    holidays = [date(2025, 10, d) for d in range(1, 9)]
    makeup = [date(2025, 9, 28), date(2025, 10, 11)]
    assert add_working_days(date(2025, 9, 26), 1, holidays, makeup) == date(2025, 9, 28)
    assert add_working_days(date(2025, 9, 30), 1, holidays, makeup) == date(2025, 10, 9)
    assert add_working_days(date(2025, 9, 30), 3, holidays, makeup) == date(2025, 10, 11)
    policy = ReviewPolicy(return_deadline_working_days=2, holidays=frozenset(holidays))
    assert policy.default_deadline(date(2025, 9, 30)) == date(2025, 10, 10)


def test_negative_working_days_refused() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2025, 1, 1), -1)


@given(st.dates(date(2000, 1, 1), date(2100, 1, 1)), st.integers(0, 60))
def test_working_days_properties(start: date, n: int) -> None:
    end = add_working_days(start, n)
    assert end >= start
    if n:
        assert is_working_day(end)
    days = [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]
    assert sum(is_working_day(d) for d in days) == n


# --- notice text ------------------------------------------------------------------------------


def _notice(app: Application, *items: CorrectionItem) -> CorrectionNotice:
    return CorrectionNotice(
        application_id=str(app.application_id),
        revision=app.revision(),
        reviewer="王审核",
        items=items,
        deadline=date(2025, 6, 23),
        created=datetime(2025, 6, 16, 2, 0, tzinfo=UTC),
    )


ITEMS = (
    CorrectionItem(
        "assessments[1]", "任现职以来考核 > 第2条", "ASSESS-UNIT", "考核单位与社保缴费单位不一致"
    ),
    CorrectionItem(
        "other_attachments[0]", "六公开监督卡", "ATT-UNCLEAR", "附件不清晰或不完整", "请重新扫描"
    ),
    CorrectionItem("basic.current_specialty", "现从事专业", "MAJOR-OTHER", "", "请从列表中选择"),
)


def test_notice_text_lists_every_item_deadline_and_consequence() -> None:
    app = make_application()
    text = render_notice_text(_notice(app, *ITEMS), app, "济南市历下区人力资源和社会保障局")
    assert "一次性告知" in text
    assert app.basic.name in text
    assert app.basic.id_number not in text  # masked
    assert mask_id_number(app.basic.id_number) in text
    assert "1. 【任现职以来考核 > 第2条】考核单位与社保缴费单位不一致" in text
    assert "2. 【六公开监督卡】附件不清晰或不完整；请重新扫描" in text
    assert "3. 【现从事专业】请从列表中选择" in text
    assert "以下3项" in text
    assert "2025年6月23日" in text
    assert "逾期未补正提报的，视为放弃本次申报" in text
    assert "仅能修改被退回条目" in text
    assert "审核单位：济南市历下区人力资源和社会保障局" in text
    assert "审核人：王审核" in text
    assert "告知日期：2025年6月16日" in text
    assert f"{app.basic.year}年度{app.basic.series}{app.basic.title}" in text


def test_mask_id_number() -> None:
    assert mask_id_number("370102199003150016") == "370102********0016"
    assert mask_id_number("12345") == "12***"


# --- field paths ------------------------------------------------------------------------------


def test_labels_for_paths() -> None:
    assert label_for_path("assessments[2].grade") == "任现职以来考核 > 第3条 > 考核等次"
    assert label_for_path("basic.current_specialty") == "基本信息 > 现从事专业"
    assert label_for_path("education.basis.chsi_code") == "学历信息 > 评审依据学历 > 学信网验证码"
    assert label_for_path("other_attachments[0]") == "六公开监督卡及其他附件 > 第1个"
    assert label_for_path("titles[0].attachments[1]") == (
        "现专业技术职称/职业资格 > 第1条 > 附件 > 第2个"
    )
    assert label_for_path("") == "整份申报"
    assert label_for_path("nonsense..") == "nonsense.."


def test_path_containment_and_scope() -> None:
    assert parse_path("a[1].b") == ["a", 1, "b"]
    assert is_under("assessments[1].unit", "assessments[1]")
    assert is_under("assessments[1]", "assessments")
    assert not is_under("assessments[10]", "assessments[1]")
    assert not is_under("basic.name_x", "basic.name")
    assert is_under("anything", "")
    assert item_scope("assessments[1].attachments[0]") == "assessments[1].attachments"
    assert item_scope("other_attachments[2]") == "other_attachments"
    assert item_scope("assessments[1]") == "assessments[1]"


# --- diff and resubmission report -------------------------------------------------------------


def test_identical_revisions_have_no_changes() -> None:
    app = make_application()
    assert diff_applications(app, app.model_copy(deep=True)) == []


def test_diff_reports_fields_rows_and_attachments() -> None:
    old = make_application()
    new = old.model_copy(deep=True)
    new.basic.current_specialty = "机械设计"
    new.assessments[1].unit = "另一家公司"
    new.other_attachments[0].sha256 = "b" * 64  # the scan was replaced
    new.assessments[0].attachments[0].file = "renamed/in/package.png"  # not a change
    changes = {c.path: c for c in diff_applications(old, new)}
    assert set(changes) == {
        "basic.current_specialty",
        "assessments[1].unit",
        "other_attachments[0]",
    }
    c = changes["basic.current_specialty"]
    assert (c.old, c.new, c.kind) == ("机械工程", "机械设计", "changed")
    assert c.label == "基本信息 > 现从事专业"
    assert changes["other_attachments[0]"].new is not None
    assert "bbbbbbbb" in changes["other_attachments[0]"].new


def test_rows_are_matched_by_identity_when_one_is_inserted() -> None:
    old = make_application()
    new = old.model_copy(deep=True)
    inserted = new.assessments[0].model_copy(deep=True)
    inserted.year = 2020
    new.assessments.insert(0, inserted)
    changes = diff_applications(old, new)
    assert [(c.path, c.kind) for c in changes] == [("assessments[0]", "added")]
    removed = diff_applications(new, old)
    assert [(c.path, c.kind) for c in removed] == [("assessments[0]", "removed")]


def test_changed_row_after_insert_keeps_old_path() -> None:
    old = make_application()
    new = old.model_copy(deep=True)
    new.work_history[1].position = "技术主管"
    extra = new.work_history[0].model_copy(deep=True)
    extra.start = date(2010, 1, 1)
    extra.end = date(2012, 6, 30)
    new.work_history.insert(0, extra)
    by_path = {c.path: c for c in diff_applications(old, new)}
    moved = by_path["work_history[2].position"]
    assert moved.old_path == "work_history[1].position"
    assert moved.paths == ("work_history[2].position", "work_history[1].position")


def test_attachment_added_to_a_row() -> None:
    old = make_application()
    new = old.model_copy(deep=True)
    extra = new.assessments[2].attachments[0].model_copy(deep=True)
    extra.sha256 = "c" * 64
    new.assessments[2].attachments.append(extra)
    changes = diff_applications(old, new)
    assert [(c.path, c.kind) for c in changes] == [("assessments[2].attachments[1]", "added")]


def test_resubmission_report_answered_unanswered_and_outside() -> None:
    old = make_application()
    new = old.model_copy(deep=True)
    new.assessments[1].unit = "济南华源机械制造有限公司（更正）"  # answers item 1
    new.other_attachments.append(new.other_attachments[0].model_copy(update={"sha256": "d" * 64}))
    new.work_summary = "改写了工作总结"  # never returned
    notice = _notice(old, *ITEMS)
    report = assess_resubmission(notice, diff_applications(old, new))
    assert [a.item.field_path for a in report.answered] == [
        "assessments[1]",
        "other_attachments[0]",  # a second scan next to the returned one answers it
    ]
    assert [i.field_path for i in report.unanswered] == ["basic.current_specialty"]
    assert [c.path for c in report.outside] == ["work_summary"]
    assert not report.complete
    assert "未退回条目被修改 1 处" in report.summary()
    assert "未补正 1 项" in report.summary()


def test_complete_resubmission() -> None:
    old = make_application()
    new = old.model_copy(deep=True)
    new.basic.current_specialty = "机械设计"
    notice = _notice(old, ITEMS[2])
    report = assess_resubmission(notice, diff_applications(old, new))
    assert report.complete
    assert report.summary() == "已补正 1 项"


# --- audit chain ------------------------------------------------------------------------------


def _chain(n: int) -> list[StoredEntry]:
    out: list[StoredEntry] = []
    prev = GENESIS
    for i in range(1, n + 1):
        e = AuditEntry(i, datetime(2025, 1, 1, tzinfo=UTC), "甲", "pass", "app", {"n": i})
        h = entry_hash(prev, e)
        out.append(StoredEntry(e, prev, h))
        prev = h
    return out


def test_chain_ok_and_hash_is_canonical() -> None:
    chain = _chain(3)
    report = verify_chain(chain, (3, chain[-1].hash))
    assert report.ok and report.count == 3
    a = AuditEntry(1, datetime(2025, 1, 1, 8, tzinfo=UTC), "甲", "x", None, {"b": 1, "a": "中"})
    b = AuditEntry(1, datetime(2025, 1, 1, 8, tzinfo=UTC), "甲", "x", None, {"a": "中", "b": 1})
    assert entry_hash(GENESIS, a) == entry_hash(GENESIS, b)


def test_chain_detects_edit_delete_reorder_and_truncation() -> None:
    chain = _chain(4)
    edited = list(chain)
    e = edited[1].entry
    edited[1] = StoredEntry(
        AuditEntry(e.seq, e.at, "乙", e.action, e.application_id, e.payload),
        edited[1].prev_hash,
        edited[1].hash,
    )
    assert [p.kind for p in verify_chain(edited).problems] == ["edited"]

    deleted = [chain[0], chain[2], chain[3]]
    kinds = {p.kind for p in verify_chain(deleted).problems}
    assert {"missing", "relinked"} <= kinds

    swapped = [chain[0], chain[2], chain[1], chain[3]]
    assert not verify_chain(swapped).ok

    truncated = chain[:3]
    report = verify_chain(truncated, (4, chain[3].hash))
    assert [p.kind for p in report.problems] == ["truncated"]
    assert "第 4–4 条已被删除" in report.text()
