"""Deterministic demo applications: realistic histories across every series and level, some flawed.

`generate_applications(count, seed)` yields `(Application, {package path: bytes})`. The same seed
and count give the same records and the same bytes: every random choice comes from a
`random.Random` keyed by the seed, dates count from fixed reference days, never from today.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from zcreview.demo import texts
from zcreview.demo.achievements import make_achievements
from zcreview.demo.attachments import AttachmentPool, Source
from zcreview.demo.career import (
    DEMO_YEAR,
    SOCIETY,
    assessment_records,
    continuing_education_records,
    day_between,
    education_records,
    fallback_specialty,
    full_years,
    title_record,
    work_history,
)
from zcreview.demo.defects import DEFECT_SHARE, DefectKit, DefectRotation
from zcreview.demo.evidence_docs import Planted, attach_documents
from zcreview.demo.filing import FilePicker, Namer
from zcreview.demo.other_docs import (
    publicity_report,
    result_table,
    six_public_card,
)
from zcreview.demo.people import make_person, weighted
from zcreview.demo.units import Unit, make_units
from zcreview.domain.catalogue import Catalogue
from zcreview.domain.model import (
    AdminPost,
    Application,
    AttachmentRef,
    BasicInfo,
    Education,
    LanguageSkills,
)

# Applications of the cycle were confirmed between these days (the 2024 notices ran Jul–Sep).
SUBMIT_FROM = date(2024, 7, 1)
SUBMIT_TO = date(2024, 9, 27)
PREVIOUS_YEAR_SHARE = 0.08  # a few 2023 applications still open (returned, then resubmitted)

SERIES_WEIGHTS: dict[str, float] = {
    "工程技术": 30,
    "卫生技术": 22,
    "中小学教师": 18,
    "会计": 7,
    "经济": 6,
    "农业技术": 5,
    "中等职业学校教师": 1.5,
    "技工学校教师": 0.6,
    "药品技术": 1.2,
    "统计": 0.8,
    "审计": 0.6,
    "实验技术": 0.5,
    "档案": 0.5,
    "新闻": 0.5,
    "播音": 0.2,
    "图书资料": 0.4,
    "文物博物": 0.3,
    "群众文化": 0.5,
    "律师": 0.3,
    "体育专业人员": 0.3,
    "自然科学研究": 0.3,
    "船舶": 0.3,
}
LEVEL_WEIGHTS: dict[str, float] = {"正高级": 4, "副高级": 24, "中级": 42, "助理级": 22, "员级": 8}
# Education by level applied for (学历 as the platform names it).
EDUCATION_BY_LEVEL: dict[str, tuple[tuple[str, int], ...]] = {
    "正高级": (("大学本科", 55), ("硕士研究生", 35), ("博士研究生", 10)),
    "副高级": (("大学本科", 65), ("硕士研究生", 23), ("大学专科", 12)),
    "中级": (("大学本科", 58), ("大学专科", 27), ("硕士研究生", 15)),
    "助理级": (("大学专科", 60), ("中等专科", 30), ("大学本科", 10)),
    "员级": (("中等专科", 85), ("大学专科", 15)),
}
_STUDY_YEARS = {"博士研究生": 3, "硕士研究生": 3, "大学本科": 4, "大学专科": 3, "中等专科": 3}
_AGE_AT_END = {"博士研究生": 29, "硕士研究生": 26, "大学本科": 22, "大学专科": 21, "中等专科": 18}
# Years in the current title before the next review, as the series standards usually ask.
_YEARS_BEFORE = {"正高级": 5, "副高级": 5, "中级": 4, "助理级": 2, "员级": 0}
_LOWER = {"正高级": "副高级", "副高级": "中级", "中级": "助理级", "助理级": "员级"}


@dataclass
class DemoApplication:
    """One generated application with what its attachments are drawn from."""

    app: Application
    files: dict[str, Source]
    defects: list[str] = field(default_factory=list)
    unit: Unit | None = None
    planted: list[Planted] = field(default_factory=list)
    """Disagreements planted between a scan and the form (what EVID-* checks must find)."""
    index: int = 0


def default_catalogue() -> Catalogue:
    from zcreview.configfiles import load_config

    return load_config().catalogue


def units_for(count: int, seed: int) -> list[Unit]:
    """The employers of a demo of `count` applications (same seed and count, same units)."""
    n = max(30, min(400, count // 12))
    return make_units(random.Random(f"{seed}/units"), n)


class Generator:
    """Builds demo applications one by one; each index has its own random stream."""

    def __init__(self, count: int, seed: int, catalogue: Catalogue | None = None) -> None:
        self.count = count
        self.seed = seed
        self.catalogue = catalogue or default_catalogue()
        self.units = units_for(count, seed)
        self._by_series: dict[str, list[tuple[int, float]]] = {}
        for i, u in enumerate(self.units):
            for series, w in u.industry.series:
                self._by_series.setdefault(series, []).append((i, w * u.industry.size))
        self.series_weights = {
            s: w for s, w in SERIES_WEIGHTS.items() if self.catalogue.get_series(s) is not None
        }
        self.picker = FilePicker(count)
        self.defects = DefectRotation(seed)

    # --- helpers ---------------------------------------------------------------------------

    def _unit_for(self, rng: random.Random, series: str) -> tuple[int, Unit]:
        choices = self._by_series.get(series) or [(i, 1.0) for i in range(len(self.units))]
        idx = rng.choices([i for i, _ in choices], weights=[w for _, w in choices])[0]
        return idx, self.units[idx]

    # --- one application -------------------------------------------------------------------

    def build(self, index: int) -> DemoApplication:
        rng = random.Random(f"{self.seed}/app/{index}")
        cat = self.catalogue
        series = weighted(rng, tuple((s, int(w * 10)) for s, w in self.series_weights.items()))
        ser = cat.get_series(series)
        assert ser is not None
        level = weighted(rng, tuple((lv, int(w)) for lv, w in LEVEL_WEIGHTS.items()))
        tracks = [t for t in ser.tracks if level in t]
        if not tracks:  # e.g. 律师 has no 员级: the next level up that the series has
            level = next(
                lv for lv in ("中级", "副高级", "正高级") if any(lv in t for t in ser.tracks)
            )
            tracks = [t for t in ser.tracks if level in t]
        track = rng.choice(tracks)
        title = track[level]  # type: ignore[index]
        _unit_idx, unit = self._unit_for(rng, series)

        year = DEMO_YEAR - 1 if rng.random() < PREVIOUS_YEAR_SHARE else DEMO_YEAR
        submitted = day_between(rng, SUBMIT_FROM, SUBMIT_TO).replace(year=year)

        # Career backwards from the application: current title, then graduation, then birth.
        education = weighted(rng, EDUCATION_BY_LEVEL[level])
        lower = _LOWER.get(level)
        lower_title = track.get(lower) if lower else None  # type: ignore[call-overload]
        held = _YEARS_BEFORE[level] + (rng.choice((0, 0, 0, 1, 1, 2, 3, 5)))
        if education == "硕士研究生" and level == "中级":
            held = 3 + rng.choice((0, 0, 1, 2))
        if series == "药品技术" and level == "中级" and education == "大学专科":
            held = 6 + rng.choice((0, 1, 2))
        title_year = year - held
        chain = {"正高级": 3, "副高级": 2, "中级": 1, "助理级": 0, "员级": 0}[level]
        career = sum(4 + rng.choice((0, 1, 1, 2, 3)) for _ in range(max(0, chain - 1)))
        grad_year = title_year - career - (1 if chain else 0)
        if level in ("助理级", "员级"):
            grad_year = year - rng.randint(3, 9)
        grad = date(grad_year, rng.choice((6, 7, 7, 7)), 1)
        born_to = date(grad_year - _AGE_AT_END[education], 8, 31)
        person = make_person(rng, born_to - timedelta(days=700), born_to)

        specialty_category: str | None = None
        if series == "工程技术":
            specialty_category = unit.industry.category or rng.choice(cat.categories_for(series))
        specialties = cat.specialties_for(series, specialty_category) or [
            fallback_specialty(series)
        ]
        specialty = rng.choice(specialties)

        work_start = date(grad_year, rng.choice((7, 8, 8, 9)), 1)
        dept = unit.department(rng)
        files: dict[str, Source] = {}
        namer = Namer(files)

        # 学历
        basis, full_time, work_start = education_records(
            rng,
            namer,
            self.picker,
            series=series,
            education=education,
            grad=grad,
            work_start=work_start,
        )

        # 现职称
        t, title_on = title_record(
            rng,
            namer,
            self.picker,
            series=series,
            level=level,
            lower=lower,
            lower_title=lower_title,
            title_year=title_year,
            education=education,
            work_start=work_start,
            unit=unit,
            year=year,
        )
        titles = [t]

        # 工作经历: continuous rows from the first job to today, at most six.
        history = work_history(rng, unit, dept, work_start, titles, self.units, submitted)

        # 考核 of the recent years, application year optional.
        assessments, excellent = assessment_records(
            rng, namer, self.picker, series=series, year=year, work_start=work_start, unit=unit, t=t
        )

        # 继续教育 before the application year.
        ce = continuing_education_records(
            rng,
            namer,
            self.picker,
            person,
            series=series,
            level=level,
            education=education,
            year=year,
            work_start=work_start,
            specialty=specialty,
        )

        # 代表性成果 after the current title, in time order.
        achievements = make_achievements(
            rng,
            series,
            level,
            title_on or t.qualification_on or work_start,
            submitted,
            namer,
            self.picker,
        )

        admin: list[AdminPost] = []
        if rng.random() < 0.15:
            admin.append(
                AdminPost(
                    post=rng.choice(
                        ("科室副主任", "教研组长", "技术部经理", "项目负责人", "护士长")
                    ),
                    since=date(year - rng.randint(1, 6), 3, 1),
                )
            )
        languages = None
        if rng.random() < 0.3:
            languages = LanguageSkills(
                foreign_language=rng.choice(("大学英语四级", "大学英语六级", "职称英语B级")),
                computer=rng.choice(("全国计算机等级考试二级", "无")),
            )

        summary = texts.work_summary(
            rng,
            texts.group_of(series),
            start=f"{work_start.year}年{work_start.month}月",
            specialty=specialty,
            unit=unit.name,
            years=str(rng.randint(2, 8)),
            excellent=str(excellent or 1),
        )

        other: list[AttachmentRef] = [
            namer.add(
                f"{year}年7月六公开监督卡", six_public_card(unit.name, year), kind="六公开监督卡"
            ),
            namer.add(
                f"{year}年8月公示情况报告表",
                publicity_report(unit.name, year),
                kind="公示情况报告表",
            ),
        ]
        if series in ("工程技术", "药品技术"):
            other.append(
                namer.add(
                    f"{year}年8月业绩成果对照表",
                    result_table(person, achievements),
                    kind="业绩成果对照表",
                )
            )
        if rng.random() < 0.3:
            other.append(
                namer.add(
                    f"{year}年7月推荐情况登记表",
                    self.picker.pick(rng, "form"),
                    kind="推荐情况登记表",
                )
            )

        method = "正常晋升"
        exceptional = None
        method_atts: list[AttachmentRef] = []
        roll = rng.random()
        if roll < 0.03 and level in ("副高级", "中级"):
            method, exceptional = "破格", rng.choice(("学历破格", "资历破格"))
            method_atts.append(
                namer.add(f"{year}年6月破格申报业绩证明材料", self.picker.pick(rng, "scan", 2))
            )
        elif roll < 0.045 and series == "工程技术" and level in ("助理级", "中级"):
            method = "高技能人才贯通"
            method_atts.append(
                namer.add(f"{year - 3}年5月技师职业资格证书", self.picker.pick(rng, "photo"))
            )

        n_rank = rng.randint(1, 12)
        basic = BasicInfo(
            name=person.name,
            id_number=person.id_number,
            gender=person.sex,
            birth_date=person.birth,
            ethnicity=person.ethnicity,
            phone=person.phone,
            year=year,
            unit_rank=f"{rng.randint(1, n_rank)}/{n_rank}",
            level=level,
            series=series,
            title=title,
            specialty_category=specialty_category,
            current_specialty=specialty,
            method=method,
            exceptional=exceptional,
            method_attachments=method_atts,
            applying_unit=unit.name,
            applying_unit_code=unit.credit_code,
            work_start=work_start,
            professional_years=full_years(work_start, submitted) - (1 if rng.random() < 0.2 else 0),
            social_security_unit=unit.name,
            social_security_from=date(max(work_start.year, 2011), 1, 1),
            social_security_to=date(year, submitted.month - 1 or 1, 1),
            unit_nature=unit.nature,
            submitted_on=submitted,
        )
        basic.professional_years = max(0, basic.professional_years)
        app = Application(
            application_id=uuid.UUID(int=rng.getrandbits(128), version=4),
            basic=basic,
            education=Education(full_time=full_time, basis=basis),
            titles=titles,
            admin_posts=admin,
            assessments=assessments,
            languages=languages,
            continuing_education=ce,
            work_history=history,
            achievements=achievements,
            work_summary=summary,
            societies=rng.choice(
                ("", "", SOCIETY.get(texts.group_of(series), "威海市科学技术协会会员"))
            ),
            other_attachments=other,
        )
        demo = DemoApplication(app=app, files=files, unit=unit, index=index)
        kit = DefectKit(self.catalogue, namer, self.picker)
        if rng.random() < DEFECT_SHARE:
            for _ in range(1 if rng.random() < 0.75 else 2):
                self.defects.apply(rng, app, kit, demo.defects)
        # Last, so the documents state the final form (flaws included) and nothing above moves.
        demo.planted = attach_documents(app, files, self.seed, index)
        return demo


# --- public API -------------------------------------------------------------------------------


def generate_demo(
    count: int, seed: int, catalogue: Catalogue | None = None
) -> Iterator[DemoApplication]:
    """Demo applications with their file sources (what to draw), defects named."""
    gen = Generator(count, seed, catalogue)
    for i in range(count):
        yield gen.build(i)


def generate_applications(
    count: int, seed: int, *, catalogue: Catalogue | None = None, pool: AttachmentPool | None = None
) -> Iterator[tuple[Application, dict[str, bytes]]]:
    """`count` applications with their attachment bytes (package path → bytes).

    Deterministic: the same `count` and `seed` give identical records and identical bytes. Files
    shared in reality (a unit's 六公开监督卡) are the same bytes object for every applicant.
    """
    pool = pool or AttachmentPool(seed)
    for demo in generate_demo(count, seed, catalogue):
        yield demo.app, resolve_files(demo.files, pool)


def resolve_files(files: dict[str, Source], pool: AttachmentPool) -> dict[str, bytes]:
    """Package path → bytes, drawing pool files on first use."""
    return {path: pool.get(src) for path, src in files.items()}
