"""EVID-* checks on hand-made recognised pages: quiet when the scan agrees, ✗ when it clearly says
something else, ⚠ when the value is not there or read uncertainly, nothing when the page is unread."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.check_factories import att, clean_application
from zcreview.configfiles import default_config
from zcreview.domain.checks import (
    EVIDENCE_REGISTRY,
    REGISTRY,
    CheckResult,
    Severity,
    run_all,
    run_check,
)
from zcreview.domain.checks.evidence_text import dates_in, fuzzy_contains, norm, years_in
from zcreview.domain.model import Application, iter_attachments
from zcreview.domain.recognised import PageText, TextLine

CFG = default_config()
TODAY = date(2025, 6, 20)

Row = str | tuple[str, ...]


def page(sha: str, *rows: Row, conf: float = 0.98, number: int = 0) -> PageText:
    """A recognised page: each row one line, or a tuple of cells side by side (a table row)."""
    lines = []
    for i, row in enumerate(rows):
        cells = row if isinstance(row, tuple) else (row,)
        y0 = 0.05 + i * 0.05
        for j, cell in enumerate(cells):
            x0 = 0.1 + 0.35 * j
            lines.append(TextLine(cell, conf, (x0, y0, x0 + 0.3, y0 + 0.03)))
    return PageText(sha, number, "test", "ocr", tuple(lines))


def app_with_shas(**overrides: Any) -> Application:
    """The clean application with every attachment given a SHA-256 named after its path."""
    application = clean_application(**overrides)
    for path, ref in iter_attachments(application):
        ref.sha256 = path
    return application


def run(check_id: str, application: Application, *pages: PageText) -> list[CheckResult]:
    evidence = {p.sha256: [p] for p in pages}
    return run_check(check_id, application, CFG, today=TODAY, evidence=evidence)


def severities(results: list[CheckResult]) -> set[Severity]:
    return {r.severity for r in results}


BASIS = "education.basis.attachments[0]"
TITLE = "titles[0].attachments[0]"


def diploma(sha: str = BASIS, **changes: str) -> PageText:
    v = {
        "name": "张伟",
        "school": "山东大学",
        "major": "机械设计制造及其自动化",
        "level": "大学本科",
        "date": "2012年6月",
        "degree": "工学学士学位",
    }
    v.update(changes)
    return page(
        sha,
        "毕业证书",
        f"姓名：{v['name']}",
        f"学校：{v['school']}",
        f"专业：{v['major']}",
        f"学历：{v['level']}",
        f"毕业时间：{v['date']}",
        f"学位：{v['degree']}",
    )


# --- the group as a whole --------------------------------------------------------------------


def test_no_evidence_gives_no_evidence_results() -> None:
    results = run_all(app_with_shas(), CFG, today=TODAY)
    assert not [r for r in results if r.check_id.startswith("EVID-")]
    assert set(EVIDENCE_REGISTRY).isdisjoint(REGISTRY)


def test_unread_attachment_gives_no_result_read_one_does() -> None:
    application = app_with_shas()
    other = page("not-an-attachment", "毕业证书", "学校：山东大学")
    assert run("EVID-EDU", application, other) == []
    results = run("EVID-EDU", application, diploma())
    assert severities(results) == {Severity.OK}


def test_run_all_adds_evidence_results_after_the_form_checks() -> None:
    application = app_with_shas()
    results = run_all(application, CFG, today=TODAY, evidence={BASIS: [diploma()]})
    ids = [r.check_id for r in results]
    assert "EVID-EDU" in ids and "EVID-NAME" in ids
    first_evid = next(i for i, cid in enumerate(ids) if cid.startswith("EVID-"))
    assert all(cid.startswith("EVID-") for cid in ids[first_evid:])


def test_every_evidence_check_cites_a_seed_and_names_fields() -> None:
    application = app_with_shas()
    for c in EVIDENCE_REGISTRY.values():
        assert c.id.startswith("EVID-") and c.seed.startswith("000 §") and c.title
    results = run("EVID-EDU", application, diploma(date="2013年6月"))
    assert results and all(r.field_paths for r in results)


# --- EVID-EDU --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "quoted"),
    [
        ({"date": "2013年6月"}, "education.basis.graduated_on", "2013年6月"),
        ({"school": "青岛大学"}, "education.basis.school", "青岛大学"),
        ({"major": "土木工程"}, "education.basis.major", "土木工程"),
        ({"level": "大学专科"}, "education.basis.education", "大学专科"),
    ],
)
def test_edu_fails_when_the_certificate_says_otherwise(
    changes: dict[str, str], field: str, quoted: str
) -> None:
    results = run("EVID-EDU", app_with_shas(), diploma(**changes))
    fails = [r for r in results if r.severity is Severity.FAIL]
    assert len(fails) == 1, [(r.severity, r.message) for r in results]
    assert field in fails[0].field_paths and BASIS in fails[0].field_paths
    assert quoted in fails[0].message and "表单" in fails[0].message


def test_edu_tolerates_ocr_noise() -> None:
    noisy = page(
        BASIS,
        "毕 业 证 书",
        ("学校", "山东大学"),
        "专业：机械设计制造及其自动化",
        "学历：大学本科",
        "毕业时间：二〇一二年六月",
        "学位：工学学士学位",
    )
    assert severities(run("EVID-EDU", app_with_shas(), noisy)) == {Severity.OK}
    dotted = diploma(date="2012.06")
    assert severities(run("EVID-EDU", app_with_shas(), dotted)) == {Severity.OK}


def test_edu_warns_when_the_date_is_not_on_the_page() -> None:
    bare = page(
        BASIS, "毕业证书", "学校：山东大学", "专业：机械设计制造及其自动化", "本科", "工学学士"
    )
    results = run("EVID-EDU", app_with_shas(), bare)
    assert severities(results) == {Severity.WARN}
    assert "毕业时间" in results[0].message and "未读到" in results[0].message


def test_edu_only_warns_when_the_differing_line_is_read_uncertainly() -> None:
    low = page(
        BASIS,
        "毕业证书",
        "学校：山东大学",
        "专业：机械设计制造及其自动化",
        "学历：大学本科",
        "毕业时间：2013年6月",
        "学位：工学学士",
        conf=0.55,
    )
    results = run("EVID-EDU", app_with_shas(), low)
    assert Severity.FAIL not in severities(results)
    assert any("置信度低" in r.message for r in results)


# --- EVID-NAME -------------------------------------------------------------------------------


def test_name_quiet_when_present_fails_on_another_name() -> None:
    assert severities(run("EVID-NAME", app_with_shas(), diploma())) == {Severity.OK}
    results = run("EVID-NAME", app_with_shas(), diploma(name="李强"))
    assert severities(results) == {Severity.FAIL}
    assert "李强" in results[0].message and "basic.name" in results[0].field_paths


def test_name_one_edit_tolerated_on_a_low_confidence_three_character_name() -> None:
    application = app_with_shas(basic__name="张伟明")
    low = page(BASIS, "毕业证书", "姓名：张伟朋", "学校：山东大学", conf=0.6)
    assert severities(run("EVID-NAME", application, low)) == {Severity.OK}
    high = page(BASIS, "毕业证书", "姓名：张伟朋", "学校：山东大学", conf=0.99)
    assert severities(run("EVID-NAME", application, high)) == {Severity.FAIL}


def test_id_number_compared_where_the_document_shows_one() -> None:
    application = app_with_shas()
    own = page(TITLE, "专业技术资格证书", "姓名：张伟", "身份证号：370102199003150016")
    assert severities(run("EVID-NAME", application, own)) == {Severity.OK}
    masked = page(TITLE, "姓名：张伟", "身份证号：370102********0016")
    assert severities(run("EVID-NAME", application, masked)) == {Severity.OK}
    # OCR merges the run of * and drops a digit beside it: still the applicant's number.
    merged = page(TITLE, "姓名：张伟", "身份证号：3702****0016")
    assert severities(run("EVID-NAME", application, merged)) == {Severity.OK}
    # Another person's masked number ends differently.
    masked_other = page(TITLE, "姓名：张伟", "身份证号：370102********0024")
    assert severities(run("EVID-NAME", application, masked_other)) == {Severity.FAIL}
    other = page(TITLE, "姓名：张伟", "身份证号：370102199103150013")
    results = run("EVID-NAME", application, other)
    assert severities(results) == {Severity.FAIL}
    assert "basic.id_number" in results[0].field_paths


# --- EVID-TITLE and EVID-APPOINT ---------------------------------------------------------------


def title_cert(**changes: str) -> PageText:
    v = {"title": "助理工程师", "series": "工程技术", "date": "2019年12月"}
    v.update(changes)
    return page(
        TITLE,
        "专业技术资格证书",
        "姓名：张伟",
        f"系列：{v['series']}",
        f"资格名称：{v['title']}",
        f"取得时间：{v['date']}",
    )


def test_title_quiet_then_fails_on_date_title_and_series() -> None:
    assert severities(run("EVID-TITLE", app_with_shas(), title_cert())) == {Severity.OK}
    for changes, field in (
        ({"date": "2018年12月"}, "titles[0].obtained_on"),
        ({"title": "工程师"}, "titles[0].title"),
        ({"series": "卫生技术"}, "titles[0].series"),
    ):
        results = run("EVID-TITLE", app_with_shas(), title_cert(**changes))
        fails = [r for r in results if r.severity is Severity.FAIL]
        assert [field in r.field_paths for r in fails] == [True], (changes, results)


def appointment_app() -> Application:
    application = app_with_shas(
        titles__0__attachments=[
            att("2019年12月助理工程师资格证书", "职称/证书.jpg"),
            att("2020年1月聘用审批表", "职称/聘用审批表.pdf"),
        ]
    )
    for path, ref in iter_attachments(application):
        ref.sha256 = path
    return application


def test_appointment_form_post_and_date() -> None:
    sha = "titles[0].attachments[1]"

    def form(post: str, when: str) -> PageText:
        return page(sha, "事业单位专业技术人员聘用审批表", ("聘任岗位", post), ("聘任时间", when))

    application = appointment_app()
    assert severities(run("EVID-APPOINT", application, form("助理工程师", "2020年1月"))) == {
        Severity.OK
    }
    results = run("EVID-APPOINT", application, form("助理工程师", "2021年1月"))
    assert severities(results) == {Severity.FAIL}
    assert "titles[0].appointed_on" in results[0].field_paths
    results = run("EVID-APPOINT", application, form("工程师", "2020年1月"))
    assert severities(results) == {Severity.FAIL} and "工程师" in results[0].message
    # The appointment form is not read as the title certificate.
    assert run("EVID-TITLE", application, form("助理工程师", "2020年1月")) == []


# --- EVID-ASSESS ---------------------------------------------------------------------------


def assessment(sha: str, year: str, grade: str, conf: float = 0.97) -> PageText:
    return page(
        sha,
        f"{year}年度专业技术人员年度考核登记表",
        ("姓名", "张伟"),
        ("考核年度", f"{year}年度"),
        ("考核等次", grade),
        ("备注", "优秀、合格、基本合格、不合格"),
        conf=conf,
    )


def test_assessment_year_and_grade() -> None:
    sha = "assessments[0].attachments[0]"
    application = app_with_shas()
    assert severities(run("EVID-ASSESS", application, assessment(sha, "2021", "合格"))) == {
        Severity.OK
    }
    results = run("EVID-ASSESS", application, assessment(sha, "2020", "合格"))
    assert severities(results) == {Severity.FAIL}
    assert "assessments[0].year" in results[0].field_paths and "2020" in results[0].message
    results = run("EVID-ASSESS", application, assessment(sha, "2021", "基本合格"))
    assert severities(results) == {Severity.FAIL}
    assert "assessments[0].grade" in results[0].field_paths
    missing = page(sha, "年度考核登记表", ("姓名", "张伟"))
    assert severities(run("EVID-ASSESS", application, missing)) == {Severity.WARN}


# --- EVID-CE ---------------------------------------------------------------------------------


def test_continuing_education_single_year_proof() -> None:
    sha = "continuing_education[0].attachments[0]"
    application = app_with_shas()

    def proof(year: str, pub: str, pro: str) -> PageText:
        return page(
            sha,
            "继续教育学时证明",
            f"年度：{year}年",
            f"公需科目：{pub}学时",
            f"专业科目：{pro}学时",
        )

    assert severities(run("EVID-CE", application, proof("2021", "30", "60"))) == {Severity.OK}
    results = run("EVID-CE", application, proof("2019", "30", "60"))
    assert severities(results) == {Severity.FAIL} and "2019" in results[0].message
    results = run("EVID-CE", application, proof("2021", "20", "40"))
    assert severities(results) == {Severity.FAIL}
    assert "continuing_education[0].public_hours" in results[0].field_paths


def test_continuing_education_printout_missing_a_year() -> None:
    shared = att("2021年至2024年继续教育学时证明", "继续教育/学时证明.pdf")
    application = app_with_shas(
        **{f"continuing_education__{i}__attachments": [shared] for i in range(4)}
    )
    for _path, ref in iter_attachments(application):
        ref.sha256 = "printout"

    def printout(*years: int) -> PageText:
        rows: list[Row] = ["专业技术人员继续教育学时证明", ("年度", "公需科目", "专业科目", "合计")]
        rows += [(f"{y}年", "30学时", "60学时", "90学时") for y in years]
        return page("printout", *rows)

    full = run("EVID-CE", application, printout(2021, 2022, 2023, 2024))
    assert severities(full) == {Severity.OK}
    results = run("EVID-CE", application, printout(2021, 2023, 2024))
    assert severities(results) == {Severity.FAIL}
    assert results[0].field_paths[0] == "continuing_education[1].start"


# --- EVID-ACH --------------------------------------------------------------------------------


def test_achievement_title_journal_and_issn() -> None:
    sha = "achievements[0].attachments[0]"
    application = app_with_shas()

    def paper(issn: str, title: str = "带式输送机张紧装置的优化设计") -> PageText:
        return page(
            sha,
            "《机械工程师》",
            f"ISSN {issn}",
            "CN 23-1196/TH",
            f"论文题目：{title}",
            "作者：张伟",
        )

    assert severities(run("EVID-ACH", application, paper("1002-2333"))) == {Severity.OK}
    results = run("EVID-ACH", application, paper("1002-2341"))
    assert severities(results) == {Severity.FAIL}
    assert "achievements[0].issn" in results[0].field_paths and "10022341" in results[0].message
    results = run("EVID-ACH", application, paper("1002-2333", "输送带跑偏的原因分析"))
    assert severities(results) == {Severity.FAIL}
    assert "achievements[0].name" in results[0].field_paths
    # One misread character in a long title is tolerated.
    noisy = paper("1002-2333", "带式输送机张紧装直的优化设计")
    assert severities(run("EVID-ACH", application, noisy)) == {Severity.OK}


# --- text helpers ----------------------------------------------------------------------------


def test_dates_in_reads_the_usual_spellings() -> None:
    for text in (
        "2019年7月",
        "2019.07",
        "2019-07-01",
        "二〇一九年七月",
        "2O19年7月",
        "２０１９年７月",
    ):
        assert [(d.year, d.month) for d in dates_in(text)] == [(2019, 7)], text
    assert dates_in("2019年13月") == []
    assert years_in("2021年度考核", yearly=True) == [2021]
    assert years_in("2021年7月", yearly=True) == []


def test_norm_and_fuzzy_contains() -> None:
    assert norm("山东 大学（威海）") == norm("山东大学(威海)")
    assert fuzzy_contains("证书山东建筑大学土木", "山东建筑大学", 0)
    assert fuzzy_contains("证书山东建巩大学土木", "山东建筑大学", 1)
    assert not fuzzy_contains("证书青岛理工大学土木", "山东建筑大学", 1)


def test_misread_characters_are_not_read_as_another_value() -> None:
    # One character of the school misread with high confidence: OCR noise, not another school.
    results = run("EVID-EDU", app_with_shas(), diploma(school="山东大字"))
    assert severities(results) == {Severity.OK}
    # A digit of the ID number misread breaks its check character: not someone else's number.
    misread = page(TITLE, "姓名：张伟", "身份证号：370102199003150019")
    assert severities(run("EVID-NAME", app_with_shas(), misread)) == {Severity.OK}


def test_every_evidence_check_suggests_a_return_reason() -> None:
    for check_id in EVIDENCE_REGISTRY:
        reasons = CFG.reasons_for_check(check_id)
        assert reasons and all(r.text for r in reasons), check_id
