"""Rules read as the seeds write them: each corrected rule fires on its defect and stays quiet
on the clean application the seeds allow (000 §4(5), §4(6); 002 §14; 003 §3.9, §3.10)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.check_factories import att, clean_application
from zcreview.configfiles import default_config
from zcreview.domain.checks import CheckResult, Severity, run_all, run_check
from zcreview.domain.checks.validators import CN_REGIONS, cn_valid

CFG = default_config()
TODAY = date(2025, 6, 20)


def results(check_id: str, **overrides: Any) -> list[CheckResult]:
    return run_check(check_id, clean_application(**overrides), CFG, today=TODAY)


def severities(check_id: str, **overrides: Any) -> set[Severity]:
    return {r.severity for r in results(check_id, **overrides)}


def messages(check_id: str, **overrides: Any) -> str:
    return "\n".join(r.message for r in results(check_id, **overrides))


# --- 1. applicants without a title (002 §14, 003 §3.10(1)) ------------------------------------

_NONE_ROW = {"title": "无", "attachments": []}
# The factory's applicant is a 企业 engineer applying for 工程师: the green channel's case.
_NO_TITLE_ROW: dict[str, Any] = {"titles": [_NONE_ROW]}
_NO_TITLES: dict[str, Any] = {"titles": []}
_DIRECT_CHECKS = ("TITLE-NONE", "ATT-REQUIRED", "ACH-AFTER", "DIRECT-ENG")


@pytest.mark.parametrize("overrides", [_NO_TITLES, _NO_TITLE_ROW], ids=["no row", "无"])
def test_direct_applicant_without_title_passes_the_title_checks(overrides: dict[str, Any]) -> None:
    found = [
        r
        for r in run_all(clean_application(**overrides), CFG, today=TODAY)
        if r.check_id in _DIRECT_CHECKS
    ]
    assert {r.check_id for r in found} == set(_DIRECT_CHECKS)
    assert all(r.severity is Severity.OK for r in found), [(r.check_id, r.message) for r in found]
    assert "参加工作" in next(r.message for r in found if r.check_id == "ACH-AFTER")


def test_direct_applicant_achievement_before_starting_work_fails() -> None:
    found = results("ACH-AFTER", **_NO_TITLES, achievements__0__on="2011-05")
    assert {r.severity for r in found} == {Severity.FAIL}
    assert "参加工作时间2012年7月" in found[0].message
    assert found[0].field_paths == ("achievements[0].on", "basic.work_start")


def test_no_title_outside_the_green_channel_still_asks_for_a_qualification() -> None:
    public = {"basic__unit_nature": "事业单位"}
    assert severities("TITLE-NONE", **_NO_TITLE_ROW, **public) == {Severity.FAIL}
    assert "职业资格证书" in messages("ATT-REQUIRED", **_NO_TITLE_ROW, **public)
    assert severities("ACH-AFTER", **_NO_TITLE_ROW, **public) == {Severity.UNKNOWN}


def test_named_qualification_keeps_the_qualification_rules() -> None:
    named = {"titles__0__title": "无", "titles__0__qualification": "二级建造师"}
    assert "未填写获得职业资格" in messages("TITLE-NONE", **named)
    missing_proof = {**named, "titles__0__attachments": []}
    assert "未上传职业资格证书扫描件" in messages("ATT-REQUIRED", **missing_proof)


# --- 2. EDU-REPORT: 备案表 before 2002 (000 §4(6)1 注) -----------------------------------------


def _graduate(year: int, proof: str) -> dict[str, Any]:
    return {
        "education__basis__graduated_on": f"{year}-07",
        "education__basis__attachments": [att(f"{year}年7月毕业证书及{proof}")],
    }


def test_record_of_a_1999_graduate_is_questioned_with_the_seed_words() -> None:
    found = results("EDU-REPORT", **_graduate(1999, "学历备案表"))
    assert {r.severity for r in found} == {Severity.WARN}
    assert "只有部分2001年毕业的也有学历备案表" in found[0].message


def test_record_of_a_2001_graduate_is_the_seed_exception() -> None:
    found = results("EDU-REPORT", **_graduate(2001, "学历备案表"))
    assert {r.severity for r in found} == {Severity.OK}
    assert "部分2001年毕业的也有备案表" in found[0].message


# --- 3. EDU-SPECIAL: graduation bounds enrolment (003 §3.9) -------------------------------------


def _special(education: str, graduated: int) -> list[CheckResult]:
    return results(
        "EDU-SPECIAL",
        education__basis__education=education,
        education__basis__graduated_on=f"{graduated}-07",
    )


@pytest.mark.parametrize(
    ("education", "graduated"),
    [
        ("大学普通班", 1971),
        ("大学普通班", 1982),
        ("省业余大学、大专", 1994),
        ("省业余大学、大专", 2003),
    ],
)
def test_graduation_outside_the_enrolment_window_warns(education: str, graduated: int) -> None:
    found = _special(education, graduated)
    assert {r.severity for r in found} == {Severity.WARN}, [r.message for r in found]
    assert "入学应在" in found[0].message


@pytest.mark.parametrize(
    ("education", "graduated"),
    [
        ("大学普通班", 1972),
        ("大学普通班", 1980),
        ("省业余大学、大专", 1995),
        ("省业余大学、大专", 2000),
    ],
)
def test_graduation_inside_the_window_says_what_to_check(education: str, graduated: int) -> None:
    found = _special(education, graduated)
    assert {r.severity for r in found} == {Severity.OK}, [r.message for r in found]
    assert "请在毕业证书上核对入学时间" in found[0].message


def test_business_school_note_names_the_stamp() -> None:
    assert "验印专用章" in _special("省业余大学、大专", 1998)[0].message


# --- 4. ACH-ISSN: CN region codes (GB/T 9999.1—2018 Annex A) -----------------------------------


def test_every_region_code_of_the_standard_is_accepted() -> None:
    for code in CN_REGIONS:
        assert cn_valid(f"CN {code:02d}-1234/TH"), code
    for code in (0, 16, 20, 24, 30, 38, 47, 55, 66, 70, 83, 99):
        assert not cn_valid(f"CN {code:02d}-1234/TH"), code


def test_beijing_extension_code_10_passes_the_check() -> None:
    assert severities("ACH-ISSN", achievements__0__cn="CN 10-1234/TH") == {Severity.OK}
    assert severities("ACH-ISSN", achievements__0__cn="CN 25-1234/TH") == {Severity.FAIL}


# --- 5. EARLY-MENG (000 §4(5)) ------------------------------------------------------------------

_COAL_MASTER = {
    "basic__specialty_category": "煤炭工程",
    "basic__current_specialty": "煤矿开采",
    "education__basis__education": "硕士研究生",
    "education__basis__degree": "工程硕士",
    "education__basis__major": "采矿工程",
    "education__basis__professional_degree": True,
}
# One year as 助理工程师 by 31 December 2025; 硕士 need two (000 §7).
_ONE_YEAR = {"titles__0__obtained_on": "2024-07", "titles__0__appointed_on": "2024-07"}
_EARLY = {**_COAL_MASTER, **_ONE_YEAR}
_EARLY_RECORDS = {
    "assessments": [
        {"year": 2024, "grade": "合格", "unit": "济南华源机械制造有限公司", "attachments": []}
    ],
    "continuing_education": [
        {
            "start": f"{y}-01",
            "end": f"{y}-12",
            "public_hours": 30,
            "professional_hours": 60,
            "attachments": [att(f"{y}年继续教育证明")],
        }
        for y in (2022, 2023, 2024)
    ],
}


def test_specialty_match_goes_by_the_category_group() -> None:
    found = results("EARLY-MENG", **_EARLY)
    assert {r.severity for r in found} == {Severity.OK}
    assert "煤炭工程" in found[0].message


def test_unrelated_degree_applying_early_warns() -> None:
    assert severities("EARLY-MENG", **{**_EARLY, "education__basis__major": "工商管理"}) == {
        Severity.WARN
    }


def test_normal_seniority_asks_no_match() -> None:
    assert results("EARLY-MENG", **{**_COAL_MASTER, "education__basis__major": "工商管理"}) == []


def test_more_than_a_year_early_fails() -> None:
    found = results("EARLY-MENG", **_COAL_MASTER, titles__0__obtained_on="2025-03")
    assert {r.severity for r in found} == {Severity.FAIL}
    assert "仍须任现职满1年" in found[0].message


def test_allowed_early_application_is_counted_a_year_short() -> None:
    app = clean_application(**_EARLY, **_EARLY_RECORDS)
    found = {
        r.check_id: r
        for r in run_all(app, CFG, today=TODAY)
        if r.check_id in ("EARLY-MENG", "ASSESS-YEARS", "CE-YEARS")
    }
    assert {cid: r.severity for cid, r in found.items()} == {
        "EARLY-MENG": Severity.OK,
        "ASSESS-YEARS": Severity.OK,
        "CE-YEARS": Severity.OK,
    }, [r.message for r in found.values()]
    assert "近1年" in found["ASSESS-YEARS"].message
    assert "近3个年度" in found["CE-YEARS"].message


def test_early_application_not_allowed_keeps_the_full_years() -> None:
    unrelated = {**_EARLY, **_EARLY_RECORDS, "education__basis__major": "工商管理"}
    assert severities("ASSESS-YEARS", **unrelated) == {Severity.FAIL}
    assert severities("CE-YEARS", **unrelated) == {Severity.FAIL}
    normal = {**_COAL_MASTER, **_EARLY_RECORDS}
    assert severities("CE-YEARS", **normal) == {Severity.FAIL}


# --- 6. ACH-NAME: a spelt-out kind filed under another category (000 §11(1)) -------------------


def test_standard_in_the_wrong_category_names_the_category() -> None:
    msg = messages(
        "ACH-NAME",
        achievements__1__category="课题",
        achievements__1__name="团体标准：带式输送机纠偏装置技术条件",
    )
    assert "属于“其他”类，不应填在“课题”类" in msg
    assert "须注明" not in msg


def test_unqualified_standard_still_asks_for_its_level() -> None:
    msg = messages(
        "ACH-NAME",
        achievements__1__category="其他",
        achievements__1__name="标准：带式输送机纠偏装置技术条件",
    )
    assert "标准类须注明" in msg


def test_group_standard_filed_under_other_is_quiet() -> None:
    assert severities(
        "ACH-NAME",
        achievements__1__category="其他",
        achievements__1__name="团体标准：带式输送机纠偏装置技术条件",
    ) == {Severity.OK}
