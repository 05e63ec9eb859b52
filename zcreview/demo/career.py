"""A demo applicant's working life: schools, dates, societies and the rows of 工作经历."""

from __future__ import annotations

import random
from datetime import date, timedelta

from zcreview.demo.schools import COLLEGES, MEDICAL_UNIVERSITIES, SECONDARY, UNIVERSITIES
from zcreview.demo.units import Unit
from zcreview.domain.model import TitleRecord, WorkRecord

DEMO_YEAR = 2024
"""The review cycle the demo plays in; every date counts from fixed days, never from today."""

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
