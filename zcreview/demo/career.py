"""A demo applicant's working life: education, title, assessments, continuing education, work rows.

Each record is drawn from the application's own random stream in a fixed order, so the
generator calls these in the order the form lists them and the same seed gives the same bytes.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from zcreview.demo import texts
from zcreview.demo.filing import FilePicker, Namer
from zcreview.demo.other_docs import ce_hours_record
from zcreview.demo.people import Person
from zcreview.demo.schools import (
    COLLEGES,
    GENERIC_MAJORS,
    MAJORS,
    MEDICAL_UNIVERSITIES,
    PART_TIME,
    SECONDARY,
    UNIVERSITIES,
)
from zcreview.demo.units import Unit
from zcreview.domain.model import (
    Assessment,
    ContinuingEducation,
    EducationRecord,
    TitleRecord,
    WorkRecord,
)

DEMO_YEAR = 2024
"""The review cycle the demo plays in; every date counts from fixed days, never from today."""

_DEGREE = {"博士研究生": "博士", "硕士研究生": "硕士", "大学本科": "学士"}

SOCIETY = {
    "health": "威海市医学会会员",
    "teacher": "威海市教育学会会员",
    "finance": "威海市会计学会会员",
    "eng": "威海市机械工程学会会员",
}


QUALIFICATION = {
    "eng": "电工（四级/中级工）",
    "health": "护士执业资格",
    "drug": "药物制剂工（四级/中级工）",
    "teacher": "小学教师资格",
    "finance": "会计从业资格",
    "agri": "农业技术员（四级/中级工）",
}


def month_start(d: date) -> date:
    return d.replace(day=1)


def day_between(rng: random.Random, a: date, b: date) -> date:
    return a + timedelta(days=rng.randint(0, (b - a).days))


def full_years(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(0, months) // 12


def chsi_code(rng: random.Random) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    return "".join(rng.choice(alphabet) for _ in range(16))


def school_for(rng: random.Random, education: str, series: str) -> str:
    if education == "中等专科":
        return rng.choice(SECONDARY)
    if education == "大学专科":
        return rng.choice(COLLEGES)
    if series in ("卫生技术", "药品技术"):
        return rng.choice(MEDICAL_UNIVERSITIES)
    return rng.choice(UNIVERSITIES)


def fallback_specialty(series: str) -> str:
    return {
        "律师": "民商事法律事务",
        "播音": "播音主持",
        "船舶": "船舶驾驶",
        "自然科学研究": "海洋生物研究",
        "技工学校教师": "机电一体化",
    }.get(series, series)


def work_history(
    rng: random.Random,
    unit: Unit,
    dept: str,
    start: date,
    titles: list[TitleRecord],
    units: list[Unit],
    until: date,
) -> list[WorkRecord]:
    """Rows from `start` to 至今 without gaps: an earlier employer or two, then this unit."""
    title = titles[0].title if titles else "技术员"
    years = max(1, until.year - start.year)
    earlier = 0 if years < 4 else rng.choice((0, 0, 1, 1, 2))
    rows: list[WorkRecord] = []
    cursor = start
    for _ in range(earlier):
        other = rng.choice(units)
        if other.name == unit.name:
            continue
        end_year = min(until.year - 1, cursor.year + rng.randint(1, max(1, years // 3)))
        end = date(end_year, rng.randint(1, 12), 1)
        if end <= cursor:
            continue
        rows.append(
            WorkRecord(
                start=cursor,
                end=end,
                unit_dept_post=f"{other.name}/{other.department(rng)}/技术员",
                work="专业技术工作",
                position="技术员",
                summary=f"在{other.name}从事专业技术工作",
            )
        )
        cursor = date(end.year + end.month // 12, end.month % 12 + 1, 1)
    rows.append(
        WorkRecord(
            start=cursor,
            end=None,
            unit_dept_post=f"{unit.name}/{dept}/{title}",
            work="专业技术工作",
            position=title,
            summary=f"在{unit.name}{dept}从事专业技术工作",
        )
    )
    return rows


def education_records(
    rng: random.Random,
    namer: Namer,
    picker: FilePicker,
    *,
    series: str,
    education: str,
    grad: date,
    work_start: date,
) -> tuple[EducationRecord, EducationRecord | None, date]:
    """学历: the basis record, an earlier full-time one if any, and the (maybe earlier) work start."""
    grad_year = grad.year
    major = rng.choice(MAJORS.get(series, GENERIC_MAJORS))
    school = school_for(rng, education, series)
    basis = EducationRecord(
        school=school,
        major=major,
        education=education,
        degree=_DEGREE.get(education),
        professional_degree=education == "硕士研究生" and rng.random() < 0.3,
        graduated_on=grad,
        chsi_code=chsi_code(rng),
    )
    proof = "学历备案表" if grad_year >= 2002 else "学历认证报告"
    basis.attachments.append(
        namer.add(
            f"{grad.year}年{grad.month}月毕业证书、学位证书及{proof}",
            picker.pick(rng, "scan", 2),
        )
    )
    full_time: EducationRecord | None = None
    if education != "中等专科" and rng.random() < 0.18:
        # Full-time study first, the basis degree later by part-time study.
        ft_end = date(grad_year - rng.randint(2, 4), 7, 1)
        full_time = EducationRecord(
            school=rng.choice(COLLEGES),
            major=major,
            education="大学专科",
            graduated_on=ft_end,
            chsi_code=None,
        )
        full_time.attachments.append(
            namer.add(f"{ft_end.year}年7月全日制专科毕业证书", picker.pick(rng, "certificate", 1))
        )
        basis.school = rng.choice(PART_TIME)
        if rng.random() < 0.12 and education == "大学本科":
            # Party-school degrees are written with their own names (003 §3.9).
            basis.school, basis.education, basis.degree = (
                "中共山东省委党校",
                "省委党校大学",
                None,
            )
        work_start = date(ft_end.year, 8, 1)
    return basis, full_time, work_start


def title_record(
    rng: random.Random,
    namer: Namer,
    picker: FilePicker,
    *,
    series: str,
    level: str,
    lower: str | None,
    lower_title: str | None,
    title_year: int,
    education: str,
    work_start: date,
    unit: Unit,
    year: int,
) -> tuple[TitleRecord, date | None]:
    """现职称 (or the 职业资格 applied on) with its appointment, and the day it was obtained."""
    title_on: date | None = None
    if lower_title is not None and level != "员级":
        title_on = date(title_year, rng.choice((1, 3, 6, 9, 12)), 1)
        title_on = max(title_on, month_start(work_start + timedelta(days=400)))
        reviewed = lower in ("副高级", "中级") or (lower == "助理级" and education != "大学本科")
        obtained_by = "正常晋升" if reviewed else "考核认定"
        passed_on = title_on if title_on >= date(2021, 5, 1) else None
        if passed_on is None and obtained_by == "正常晋升" and rng.random() < 0.5:
            passed_on = title_on - timedelta(days=rng.randint(60, 150))
        t = TitleRecord(
            level=lower,
            series=series,
            title=lower_title,
            obtained_on=title_on,
            passed_on=passed_on if obtained_by == "正常晋升" else None,
            obtained_by=obtained_by,
            is_basis=True,
        )
        kind = "photo" if rng.random() < 0.55 else "certificate"
        t.attachments.append(
            namer.add(
                f"{title_on.year}年{title_on.month}月{lower_title}资格证书",
                picker.pick(rng, kind, 2),
            )
        )
    else:
        # No lower title: the applicant applies on a 职业资格, 现职称 = 无 (000 §5(2)).
        qual = QUALIFICATION.get(texts.group_of(series), "专业技术人员职业资格")
        qual_on = month_start(work_start + timedelta(days=rng.randint(200, 900)))
        t = TitleRecord(title="无", qualification=qual, qualification_on=qual_on)
        t.attachments.append(
            namer.add(f"{qual_on.year}年{qual_on.month}月{qual}证书", picker.pick(rng, "photo"))
        )
    if unit.nature == "事业单位":
        # 事业单位 staff show their appointment and the 聘用审批表 (000 §5(1)).
        start = title_on or work_start
        appointed = date(start.year + (1 if start.month > 9 else 0), rng.choice((1, 4, 7)), 1)
        t.post = lower_title or "专业技术十三级岗位"
        t.appointed_on = appointed
        t.appointed_years = max(0, ((year + 1 - appointed.year) * 12 - appointed.month + 1) // 12)
        t.attachments.append(
            namer.add(
                f"{appointed.year}年{appointed.month}月事业单位专业技术人员聘用审批表",
                picker.pick(rng, "form"),
            )
        )
    return t, title_on


def assessment_records(
    rng: random.Random,
    namer: Namer,
    picker: FilePicker,
    *,
    series: str,
    year: int,
    work_start: date,
    unit: Unit,
    t: TitleRecord,
) -> tuple[list[Assessment], int]:
    """考核 of the recent years (000 §7 asks 4, 药品技术 专科 6) and how many were 优秀."""
    first_assess = max(work_start.year + 1, year - (6 if series == "药品技术" else 5))
    excellent = 0
    assessments: list[Assessment] = []
    for y in range(first_assess, year):
        grade = "优秀" if rng.random() < 0.18 else ("称职" if unit.nature == "机关" else "合格")
        excellent += grade == "优秀"
        a = Assessment(year=y, post=t.post or t.title, grade=grade, unit=unit.name)
        a.attachments.append(
            namer.add(f"{y}年度专业技术人员年度考核登记表", picker.pick(rng, "form"))
        )
        assessments.append(a)
    return assessments, excellent


def continuing_education_records(
    rng: random.Random,
    namer: Namer,
    picker: FilePicker,
    person: Person,
    *,
    series: str,
    level: str,
    education: str,
    year: int,
    work_start: date,
    specialty: str,
) -> list[ContinuingEducation]:
    """继续教育: the years the level asks (4 or 5) before the application year, with proofs."""
    ce_years = 5 if level in ("正高级", "副高级") else 4
    if series == "药品技术" and education == "大学专科":
        ce_years = 6
    ce: list[ContinuingEducation] = []
    for y in range(year - ce_years, year):
        if y < work_start.year:
            continue
        pub = rng.choice((30, 30, 32, 36, 40))
        pro = rng.choice((60, 60, 64, 72, 80, 90))
        row = ContinuingEducation(
            start=date(y, 1, 1),
            end=date(y, 12, 31),
            content=f"{y}年度专业技术人员继续教育公需科目及{specialty}专业科目",
            public_hours=pub,
            professional_hours=pro,
        )
        ce.append(row)
    if ce and rng.random() < 0.4:
        # One printout of the platform's record, attached to every year it covers.
        ce_proof = namer.add(
            f"{ce[0].start.year}年至{ce[-1].start.year}年继续教育学时证明",
            ce_hours_record(person, ce),
        )
        for row in ce:
            row.attachments.append(ce_proof.model_copy())
    else:
        for row in ce:
            row.attachments.append(
                namer.add(f"{row.start.year}年继续教育学时证明", picker.pick(rng, "screenshot"))
            )
    return ce
