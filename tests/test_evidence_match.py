"""Field values found in recognised text: exact and normalised forms, dates as certificates print
them, and what the scan says instead when it differs."""

from __future__ import annotations

from tests.factories import make_application
from zcreview.screens.evidence_match import find, values_at

LINES = [
    "毕业证书",
    "学生 张伟，性别 男，一九九〇年五月十二日生，",
    "于 2008 年 9 月至 2012 年 6 月在本校",
    "机械设计制造及其自动化 专业四年制本科学习，",
    "校名：山东大学",
    "证书编号：１０４２２１２０１２０５００１２３４",
    "二〇一二年六月三十日",
]


def test_names_numbers_and_dates_are_found_in_their_printed_forms() -> None:
    assert find("张伟", LINES).verdict == "found"
    name = find("张伟", LINES).hits[0]
    assert (name.line, LINES[name.line][name.start : name.end]) == (1, "张伟")
    # Full-width digits on the scan, half-width in the form.
    assert find("104221201205001234", LINES).verdict == "found"
    for form in ("2012-06", "2012-06-30", "2012年6月", "2012.06"):
        assert find(form, LINES).verdict == "found", form
    chinese = [h for h in find("2012-06-30", LINES).hits if h.line == 6]
    assert chinese and LINES[6][chinese[0].start : chinese[0].end].startswith("二〇一二年六月")


def test_what_differs_points_at_what_the_scan_says() -> None:
    name = find("张玮", LINES)
    assert name.verdict == "differs" and name.seen == "张伟"
    school = find("山东农大学", LINES)
    assert school.verdict == "differs" and school.seen == "山东大学"
    year = find("2013-06", LINES)
    assert year.verdict == "differs" and "2012" in year.seen
    number = find("104221201205001284", LINES)
    assert number.verdict == "differs"
    assert find("土木工程", LINES).verdict == "missing"
    assert find("", LINES).verdict == "missing"
    # A birthday is another date of the document, not a different graduation date.
    assert find("2016-03", LINES).verdict == "missing"


def test_values_of_the_item_under_the_cursor() -> None:
    app = make_application(0)
    basis = app.education.basis
    assert basis is not None
    values = values_at(app, "education.basis.attachments[0]")
    assert basis.school in values and basis.major in values
    assert basis.graduated_on.isoformat()[:7] in values
    assert values_at(app, "basic.name") == [app.basic.name]
    assert values_at(app, "no.such[3].path") == []


RECOMMENDATION = [
    "推荐情况登记表",
    "姓名：王华",
    "单位排序：103",
    "公需科目：130学时  专业科目：60学时",
    "ISSN：1002-4757",
    "身份证号：370687198608031657",
    "兹证明张玮同志在我单位工作",
]


def test_short_numbers_match_whole_tokens_and_never_differ() -> None:
    # OCR reads the rank 1/3 as 103: that is not another rank, just not found.
    assert find("1/3", RECOMMENDATION).verdict == "missing"
    assert find("1/3", ["单位排序：1/3"]).verdict == "found"
    # 30 hours are not in 130 hours; 60 hours are there, before their unit.
    assert find("30", RECOMMENDATION).verdict == "missing"
    sixty = find("60", RECOMMENDATION)
    assert sixty.verdict == "found"
    hit = sixty.hits[0]
    assert RECOMMENDATION[hit.line][hit.start : hit.end] == "60"
    assert find("2019", ["证书编号：1234520191234567"]).verdict == "missing"
    assert find("2019", ["考核年度：2019年度"]).verdict == "found"


def test_differs_only_where_the_scan_fills_the_slot_with_another_value() -> None:
    issn = find("1002-4751", RECOMMENDATION)
    assert issn.verdict == "differs" and issn.seen == "1002-4757"
    other_id = find("370687198608031675", RECOMMENDATION)
    assert other_id.verdict == "differs" and other_id.seen == "370687198608031657"
    # A name after its label is a slot; the same characters inside a sentence are not.
    assert find("王桦", RECOMMENDATION).verdict == "differs"
    assert find("张伟", RECOMMENDATION).verdict == "missing"


def test_whole_hours_are_looked_for_as_printed() -> None:
    app = make_application(0)
    row = app.continuing_education[0]
    values = values_at(app, "continuing_education[0].attachments[0]")
    assert str(int(row.public_hours)) in values
    assert not any(v.endswith(".0") for v in values)


def test_a_qualified_grade_is_another_grade() -> None:
    lines = ["年度考核登记表", "考核年度：2023年度", "考核等次：基本合格"]
    grade = find("合格", lines)
    assert grade.verdict == "differs" and grade.seen == "基本合格"
    assert find("基本合格", lines).verdict == "found"
    assert find("称职", ["考核等次：不称职"]).seen == "不称职"
    assert find("合格", ["考核等次：合格"]).verdict == "found"


def test_another_id_number_in_its_slot_differs() -> None:
    """The scan shows someone else's ID (all digits off, not one or two): 'differs', quoting it,
    as EVID-NAME says ✗; a certificate number of another length is not mistaken for it."""
    lines = [
        "专业技术资格证书",
        "姓名：孙雪璐",
        "身份证号：371082199507012466",
        "证书编号：1582093602",
    ]
    other = find("371083199307090802", lines)
    assert other.verdict == "differs" and other.seen == "371082199507012466"
    assert find("1582093603", lines).verdict == "differs"  # 10 digits, one off: as before
    assert find("37108319930709", lines).verdict == "missing"  # no 14-digit token there
