"""Deterministic demo applications: realistic histories across every series and level, some flawed.

`generate_applications(count, seed)` yields `(Application, {package path: bytes})`. The same seed
and count give the same records and the same bytes: every random choice comes from a
`random.Random` keyed by the seed, dates count from fixed reference days, never from today.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from zcreview.demo import texts
from zcreview.demo.attachments import JPEG, PNG, AttachmentPool, FileSpec, Source, TextSpec
from zcreview.demo.evidence_docs import Planted, attach_documents
from zcreview.demo.other_docs import publicity_report, six_public_card
from zcreview.demo.people import Person, make_id_number, make_person, spoil_id_check, weighted
from zcreview.demo.units import (
    COLLEGES,
    GENERIC_MAJORS,
    MAJORS,
    MEDICAL_UNIVERSITIES,
    PART_TIME,
    SECONDARY,
    UNIVERSITIES,
    Unit,
    make_units,
)
from zcreview.domain.catalogue import Catalogue
from zcreview.domain.model import (
    Achievement,
    AdminPost,
    Application,
    Assessment,
    AttachmentRef,
    BasicInfo,
    ContinuingEducation,
    Education,
    EducationRecord,
    LanguageSkills,
    TitleRecord,
    WorkRecord,
)

DEMO_YEAR = 2024
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
_DEGREE = {"博士研究生": "博士", "硕士研究生": "硕士", "大学本科": "学士"}
_STUDY_YEARS = {"博士研究生": 3, "硕士研究生": 3, "大学本科": 4, "大学专科": 3, "中等专科": 3}
_AGE_AT_END = {"博士研究生": 29, "硕士研究生": 26, "大学本科": 22, "大学专科": 21, "中等专科": 18}
# Years in the current title before the next review, as the series standards usually ask.
_YEARS_BEFORE = {"正高级": 5, "副高级": 5, "中级": 4, "助理级": 2, "员级": 0}
_LOWER = {"正高级": "副高级", "副高级": "中级", "中级": "助理级", "助理级": "员级"}

DEFECTS: tuple[str, ...] = (
    "id_check",
    "id_sex",
    "rank_format",
    "work_gap",
    "ce_short",
    "assess_grade",
    "ach_before",
    "ach_dup",
    "ejournal",
    "major_other",
    "missing_six",
    "bad_att_name",
    "civil_servant",
    "retire",
    "social_unit",
    "no_chsi",
    "summary_long",
    "work_fmt",
    "entrust_no_proof",
    "workunit_missing",
    "assess_missing",
    "work_start",
    "ach_order",
    "bad_issn",
)
"""Flaws the pre-checks of domain.md §6 look for; one in five applications carries one or two."""
DEFECT_SHARE = 0.2


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


def pool_sizes(count: int) -> dict[str, int]:
    """Distinct files per kind; larger demos draw more, but reuse keeps generation fast."""
    grow = count // 10
    return {
        "scan": min(160, 12 + grow),
        "certificate": min(60, 6 + grow // 3),
        "photo": min(60, 6 + grow // 3),
        "photo_png": min(12, 2 + grow // 20),
        "form": min(60, 6 + grow // 3),
        "screenshot": min(30, 4 + grow // 8),
    }


class Generator:
    """Builds demo applications one by one; each index has its own random stream."""

    def __init__(self, count: int, seed: int, catalogue: Catalogue | None = None) -> None:
        self.count = count
        self.seed = seed
        self.catalogue = catalogue or default_catalogue()
        self.units = units_for(count, seed)
        self.sizes = pool_sizes(count)
        self._by_series: dict[str, list[tuple[int, float]]] = {}
        for i, u in enumerate(self.units):
            for series, w in u.industry.series:
                self._by_series.setdefault(series, []).append((i, w * u.industry.size))
        self.series_weights = {
            s: w for s, w in SERIES_WEIGHTS.items() if self.catalogue.get_series(s) is not None
        }
        self._defect_order = list(DEFECTS)
        random.Random(f"{seed}/defects").shuffle(self._defect_order)
        self._defect_next = 0

    # --- helpers ---------------------------------------------------------------------------

    def _unit_for(self, rng: random.Random, series: str) -> tuple[int, Unit]:
        choices = self._by_series.get(series) or [(i, 1.0) for i in range(len(self.units))]
        idx = rng.choices([i for i, _ in choices], weights=[w for _, w in choices])[0]
        return idx, self.units[idx]

    def _spec(self, rng: random.Random, kind: str, pages: int = 1) -> FileSpec:
        if kind == "photo":
            if rng.random() < 0.15:
                return FileSpec("photo", rng.randrange(self.sizes["photo_png"]), fmt=PNG)
            return FileSpec("photo", rng.randrange(self.sizes["photo"]), fmt=JPEG)
        if kind == "screenshot":
            return FileSpec("screenshot", rng.randrange(self.sizes["screenshot"]), fmt=PNG)
        index = rng.randrange(self.sizes[kind])
        if kind == "scan":
            # The page count goes with the file, so the pool holds `size` scans, not size × pages;
            # `pages` is the least the item needs (an article has a cover, contents and text).
            return FileSpec(kind, index, pages=max(pages, 2 + index % 3))
        return FileSpec(kind, index, pages=1 + index % 2 if kind == "certificate" else 1)

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
        submitted = _day_between(rng, SUBMIT_FROM, SUBMIT_TO).replace(year=year)

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
            _fallback_specialty(series)
        ]
        specialty = rng.choice(specialties)

        work_start = date(grad_year, rng.choice((7, 8, 8, 9)), 1)
        dept = unit.department(rng)
        files: dict[str, Source] = {}
        namer = _Namer(files)

        # 学历
        major = rng.choice(MAJORS.get(series, GENERIC_MAJORS))
        school = _school(rng, education, series)
        basis = EducationRecord(
            school=school,
            major=major,
            education=education,
            degree=_DEGREE.get(education),
            professional_degree=education == "硕士研究生" and rng.random() < 0.3,
            graduated_on=grad,
            chsi_code=_chsi(rng),
        )
        proof = "学历备案表" if grad_year >= 2002 else "学历认证报告"
        basis.attachments.append(
            namer.add(
                f"{grad.year}年{grad.month}月毕业证书、学位证书及{proof}",
                self._spec(rng, "scan", 2),
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
                namer.add(
                    f"{ft_end.year}年7月全日制专科毕业证书", self._spec(rng, "certificate", 1)
                )
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

        # 现职称
        titles: list[TitleRecord] = []
        title_on: date | None = None
        if lower_title is not None and level != "员级":
            title_on = date(title_year, rng.choice((1, 3, 6, 9, 12)), 1)
            title_on = max(title_on, _month_start(work_start + timedelta(days=400)))
            reviewed = lower in ("副高级", "中级") or (
                lower == "助理级" and education != "大学本科"
            )
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
                    self._spec(rng, kind, 2),
                )
            )
        else:
            # No lower title: the applicant applies on a 职业资格, 现职称 = 无 (000 §5(2)).
            qual = _QUALIFICATION.get(texts.group_of(series), "专业技术人员职业资格")
            qual_on = _month_start(work_start + timedelta(days=rng.randint(200, 900)))
            t = TitleRecord(title="无", qualification=qual, qualification_on=qual_on)
            t.attachments.append(
                namer.add(f"{qual_on.year}年{qual_on.month}月{qual}证书", self._spec(rng, "photo"))
            )
        if unit.nature == "事业单位":
            # 事业单位 staff show their appointment and the 聘用审批表 (000 §5(1)).
            start = title_on or work_start
            appointed = date(start.year + (1 if start.month > 9 else 0), rng.choice((1, 4, 7)), 1)
            t.post = lower_title or "专业技术十三级岗位"
            t.appointed_on = appointed
            t.appointed_years = max(
                0, ((year + 1 - appointed.year) * 12 - appointed.month + 1) // 12
            )
            t.attachments.append(
                namer.add(
                    f"{appointed.year}年{appointed.month}月事业单位专业技术人员聘用审批表",
                    self._spec(rng, "form"),
                )
            )
        titles.append(t)

        # 工作经历: continuous rows from the first job to today, at most six.
        history = _work_history(rng, unit, dept, work_start, titles, self.units, submitted)

        # 考核 of the recent years (000 §7 asks 4, 药品技术 专科 6), application year optional.
        first_assess = max(work_start.year + 1, year - (6 if series == "药品技术" else 5))
        excellent = 0
        assessments: list[Assessment] = []
        for y in range(first_assess, year):
            grade = "优秀" if rng.random() < 0.18 else ("称职" if unit.nature == "机关" else "合格")
            excellent += grade == "优秀"
            a = Assessment(year=y, post=t.post or t.title, grade=grade, unit=unit.name)
            a.attachments.append(
                namer.add(f"{y}年度专业技术人员年度考核登记表", self._spec(rng, "form"))
            )
            assessments.append(a)

        # 继续教育: the years the level asks (4 or 5) before the application year.
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
                self._ce_pdf(person, ce),
            )
            for row in ce:
                row.attachments.append(ce_proof.model_copy())
        else:
            for row in ce:
                row.attachments.append(
                    namer.add(f"{row.start.year}年继续教育学时证明", self._spec(rng, "screenshot"))
                )

        # 代表性成果 after the current title, in time order.
        achievements = self._achievements(
            rng,
            series,
            level,
            title_on or t.qualification_on or work_start,
            submitted,
            namer,
            person,
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
                    self._result_table(person, achievements),
                    kind="业绩成果对照表",
                )
            )
        if rng.random() < 0.3:
            other.append(
                namer.add(
                    f"{year}年7月推荐情况登记表",
                    self._spec(rng, "form"),
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
                namer.add(f"{year}年6月破格申报业绩证明材料", self._spec(rng, "scan", 2))
            )
        elif roll < 0.045 and series == "工程技术" and level in ("助理级", "中级"):
            method = "高技能人才贯通"
            method_atts.append(
                namer.add(f"{year - 3}年5月技师职业资格证书", self._spec(rng, "photo"))
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
            professional_years=_full_years(work_start, submitted)
            - (1 if rng.random() < 0.2 else 0),
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
                ("", "", _SOCIETY.get(texts.group_of(series), "威海市科学技术协会会员"))
            ),
            other_attachments=other,
        )
        demo = DemoApplication(app=app, files=files, unit=unit, index=index)
        if rng.random() < DEFECT_SHARE:
            for _ in range(1 if rng.random() < 0.75 else 2):
                self._apply_defect(rng, demo, namer)
        # Last, so the documents state the final form (flaws included) and nothing above moves.
        demo.planted = attach_documents(app, files, self.seed, index)
        return demo

    def _achievements(
        self,
        rng: random.Random,
        series: str,
        level: str,
        after: date,
        until: date,
        namer: _Namer,
        person: Person,
    ) -> list[Achievement]:
        n = {"正高级": (5, 10), "副高级": (3, 8), "中级": (1, 5), "助理级": (0, 2), "员级": (0, 0)}[
            level
        ]
        group = texts.group_of(series)
        span = max(60, (until - after).days - 30)
        days = sorted(rng.randrange(30, span) for _ in range(rng.randint(*n)))
        out: list[Achievement] = []
        used: set[str] = set()

        def fresh_title() -> str:
            for _ in range(20):
                name = texts.paper_title(rng, group)
                if name not in used:
                    break
            used.add(name)
            return name

        for d in days:
            on = after + timedelta(days=d)
            on = on.replace(day=1)
            roll = rng.random()
            authors = rng.randint(1, 5)
            rank = f"{rng.randint(1, min(2, authors))}/{authors}"
            if roll < 0.6 or (group in ("teacher", "health") and roll < 0.8):
                j = texts.journal(rng, group, electronic=False)
                name = f"论文：《{fresh_title()}》"
                a = Achievement(
                    category="论文/著作",
                    name=name,
                    on=on,
                    rank=rank,
                    publisher=f"《{j.name}》{on.year}年第{rng.randint(1, 24)}期",
                    issn=j.issn,
                    cn=j.cn,
                    electronic=j.electronic,
                    url="https://www.cnki.net/",
                )
                a.attachments.append(
                    namer.add(f"{on.year}年{on.month}月{name}", self._spec(rng, "scan", 2))
                )
            elif roll < 0.75:
                kind = rng.choice(("实用新型专利", "实用新型专利", "发明专利"))
                name = f"{kind}：一种{rng.choice(texts.PATENT_THINGS)}"
                a = Achievement(
                    category="专利", name=name, on=on, rank=rank, authority="国家知识产权局"
                )
                a.attachments.append(
                    namer.add(f"{on.year}年{on.month}月{name}证书", self._spec(rng, "photo"))
                )
            elif roll < 0.87:
                proj = rng.choice(texts.PROJECTS)
                name = f"课题：{fresh_title()}"
                a = Achievement(
                    category="课题",
                    name=name,
                    on=on,
                    rank=rank,
                    authority=proj,
                    grade="市级" if "威海" in proj or "荣成" in proj else "省级",
                )
                a.attachments.append(
                    namer.add(
                        f"{on.year}年{on.month}月{proj}结题证书", self._spec(rng, "certificate", 2)
                    )
                )
            elif roll < 0.95:
                award = rng.choice(texts.AWARDS)
                a = Achievement(
                    category="获奖",
                    name=f"获奖：{award}",
                    on=on,
                    rank=rank,
                    authority="威海市人民政府" if "威海" in award else "山东省人民政府",
                    grade="市级" if "威海" in award else "省级",
                )
                a.attachments.append(
                    namer.add(f"{on.year}年{on.month}月{award}证书", self._spec(rng, "photo"))
                )
            else:
                std = rng.choice(texts.STANDARDS)
                name = f"{std}：{fresh_title()}技术规范"
                a = Achievement(
                    category="其他", name=name, on=on, rank=rank, authority="山东省市场监督管理局"
                )
                a.attachments.append(
                    namer.add(f"{on.year}年{on.month}月{std}发布文件", self._spec(rng, "scan", 2))
                )
            out.append(a)
        del person
        # One project, paper or award counts once (ACH-DUP): a clean record never repeats one.
        seen: set[str] = set()
        unique: list[Achievement] = []
        for a in out:
            key = a.name.split("：", 1)[-1]
            if key not in seen:
                seen.add(key)
                unique.append(a)
        return unique

    def _ce_pdf(self, person: Person, rows: list[ContinuingEducation]) -> TextSpec:
        lines = [
            f"姓名：{person.name}    身份证号：{person.id_number[:6]}********{person.id_number[-4:]}",
            "年度    公需科目    专业科目    合计    是否达标",
        ]
        for r in rows:
            pub, pro = int(r.public_hours), int(r.professional_hours)
            ok = "是" if pub >= 30 and pro >= 60 else "否"
            lines.append(f"{r.start.year}年    {pub}学时    {pro}学时    {pub + pro}学时    {ok}")
        lines.append("说明：本证明由山东省专业技术人员继续教育公共服务平台生成，可扫码验证。")
        return TextSpec(
            "专业技术人员继续教育学时证明", tuple(lines), "山东省专业技术人员管理服务平台"
        )

    def _result_table(self, person: Person, achievements: list[Achievement]) -> TextSpec:
        lines = [f"申报人：{person.name}", "序号  成果名称  时间  位次"]
        lines += [
            f"{i + 1}  {a.name}  {a.on.year}年{a.on.month}月  {a.rank}"
            for i, a in enumerate(achievements)
        ] or ["（无）"]
        lines.append("本人承诺所填业绩成果真实有效。")
        return TextSpec("业绩成果对照表", tuple(lines), f"申报人签字：{person.name}")

    # --- defects -----------------------------------------------------------------------------

    def _apply_defect(self, rng: random.Random, demo: DemoApplication, namer: _Namer) -> None:
        """Apply the next flaw in this seed's rotation that fits the application."""
        for _ in range(len(self._defect_order)):
            name = self._defect_order[self._defect_next % len(self._defect_order)]
            self._defect_next += 1
            if name in demo.defects:
                continue
            if _DEFECT_FUNCS[name](rng, demo.app, namer, self):
                demo.defects.append(name)
                return


class _Namer:
    """Adds files to a package under names that stay unique and readable."""

    def __init__(self, files: dict[str, Source]) -> None:
        self.files = files

    def add(self, name: str, source: Source, kind: str | None = None) -> AttachmentRef:
        ext = source.ext
        stem = name.replace("/", "／").replace("\\", "＼")[:60]
        path = f"附件/{len(self.files) + 1:02d}-{stem}.{ext}"
        self.files[path] = source
        return AttachmentRef(name=name, file=path, kind=kind)


_SOCIETY = {
    "health": "威海市医学会会员",
    "teacher": "威海市教育学会会员",
    "finance": "威海市会计学会会员",
    "eng": "威海市机械工程学会会员",
}


_QUALIFICATION = {
    "eng": "电工（四级/中级工）",
    "health": "护士执业资格",
    "drug": "药物制剂工（四级/中级工）",
    "teacher": "小学教师资格",
    "finance": "会计从业资格",
    "agri": "农业技术员（四级/中级工）",
}


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _day_between(rng: random.Random, a: date, b: date) -> date:
    return a + timedelta(days=rng.randint(0, (b - a).days))


def _full_years(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(0, months) // 12


def _chsi(rng: random.Random) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    return "".join(rng.choice(alphabet) for _ in range(16))


def _school(rng: random.Random, education: str, series: str) -> str:
    if education == "中等专科":
        return rng.choice(SECONDARY)
    if education == "大学专科":
        return rng.choice(COLLEGES)
    if series in ("卫生技术", "药品技术"):
        return rng.choice(MEDICAL_UNIVERSITIES)
    return rng.choice(UNIVERSITIES)


def _fallback_specialty(series: str) -> str:
    return {
        "律师": "民商事法律事务",
        "播音": "播音主持",
        "船舶": "船舶驾驶",
        "自然科学研究": "海洋生物研究",
        "技工学校教师": "机电一体化",
    }.get(series, series)


def _work_history(
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


# --- defect appliers: each returns False when it does not fit this application --------------

DefectFunc = Callable[[random.Random, Application, _Namer, Generator], bool]


def _d_id_check(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    app.basic.id_number = spoil_id_check(app.basic.id_number)
    return True


def _d_id_sex(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    app.basic.gender = "女" if app.basic.gender == "男" else "男"
    return True


def _d_rank_format(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    app.basic.unit_rank = rng.choice(("4/3", "1／5", "第2名", "0/4"))
    return True


def _d_work_gap(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    rows = app.work_history
    if rows[0].start.year >= DEMO_YEAR - 3:
        return False
    first = rows[0]
    mid = date(first.start.year + 2, 6, 1)
    rows.insert(
        0,
        WorkRecord(
            start=first.start,
            end=date(mid.year, 2, 1),
            unit_dept_post=first.unit_dept_post.replace(
                first.unit_dept_post.split("/")[0], "威海市人才服务中心（人事代理）"
            ),
            work="专业技术工作",
            position="技术员",
        ),
    )
    first.start = mid  # months between the two rows are missing
    return True


def _d_ce_short(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    if not app.continuing_education:
        return False
    row = rng.choice(app.continuing_education)
    row.professional_hours = rng.choice((24, 36, 48))
    return True


def _d_assess_grade(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    if not app.assessments:
        return False
    rng.choice(app.assessments).grade = rng.choice(("基本合格", "基本称职"))
    return True


def _d_ach_before(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    t = app.current_title
    if t is None or t.obtained_on is None or not app.achievements:
        return False
    app.achievements[0].on = date(t.obtained_on.year - 1, 5, 1)
    return True


def _d_ach_dup(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    if not app.achievements:
        return False
    dup = app.achievements[-1].model_copy(deep=True)
    app.achievements.append(dup)
    return True


def _d_ejournal(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    if app.basic.series != "工程技术":
        return False
    b = app.basic
    b.specialty_category = "水利工程"
    choices = g.catalogue.specialties_for("工程技术", "水利工程")
    if choices:
        b.current_specialty = rng.choice(choices)
    j = next(j for j in texts.JOURNALS["eng"] if j.electronic)
    on = app.achievements[-1].on if app.achievements else date(DEMO_YEAR - 1, 3, 1)
    name = f"论文：《{texts.paper_title(rng, 'eng')}》"
    a = Achievement(
        category="论文/著作",
        name=name,
        on=on,
        rank="1/2",
        publisher=f"《{j.name}》{on.year}年第{rng.randint(1, 24)}期",
        issn=j.issn,
        cn=j.cn,
        electronic=True,
    )
    a.attachments.append(namer.add(f"{on.year}年{on.month}月{name}", g._spec(rng, "scan", 3)))
    app.achievements.append(a)
    return True


def _d_major_other(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    app.basic.current_specialty = "其他"
    return True


def _d_missing_six(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    before = len(app.other_attachments)
    app.other_attachments = [a for a in app.other_attachments if a.kind != "六公开监督卡"]
    return len(app.other_attachments) < before


def _d_bad_att_name(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    refs = [ref for _path, ref in app.all_attachments() if ref.kind is None]
    if not refs:
        return False
    ref = rng.choice(refs)
    ref.name = rng.choice(
        (
            "IMG_20230512_093012",
            "扫描全能王 2023-05-12 09.21",
            "证书",
            "新建文件夹（2）",
            "微信图片_20240608153355",
        )
    )
    return True


def _d_civil_servant(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    app.basic.civil_servant = True
    return True


def _d_retire(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    # A woman born in 1969 reaches 55 in 2024 (gradual retirement starts with those born 1970).
    b = app.basic
    if b.gender != "女":
        return False
    birth = date(b.year - 55, rng.randint(1, 11), rng.randint(1, 28))
    b.birth_date = birth
    b.id_number = make_id_number(rng, birth, "女", b.id_number[:6])
    return True


def _d_social_unit(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    app.basic.social_security_unit = "威海市人力资源服务有限公司"
    return True


def _d_no_chsi(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    app.education.basis.chsi_code = None
    return True


def _d_summary_long(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    extra = texts.work_summary(
        rng,
        texts.group_of(app.basic.series),
        start="参加工作",
        specialty=app.basic.current_specialty,
        unit=app.basic.applying_unit,
        years="5",
        excellent="2",
    )
    while len(app.work_summary) <= 1300:
        app.work_summary += "\n" + extra
    return True


def _d_work_fmt(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    row = app.work_history[-1]
    row.unit_dept_post = row.unit_dept_post.replace("/", rng.choice(("", "-", " ")))
    return True


def _d_entrust(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    app.basic.entrusted = True
    return True


def _d_workunit(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    app.basic.is_work_unit = False
    app.basic.work_unit = None
    return True


def _d_assess_missing(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    if app.basic.level != "中级" or len(app.assessments) < 3:
        return False
    del app.assessments[: len(app.assessments) - 1]
    return True


def _d_work_start(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    ws = app.basic.work_start
    app.basic.work_start = date(ws.year - 1, ws.month, 1)
    return True


def _d_ach_order(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    if len(app.achievements) < 3:
        return False
    app.achievements.reverse()
    return True


def _d_bad_issn(rng: random.Random, app: Application, namer: _Namer, g: Generator) -> bool:
    papers = [a for a in app.achievements if a.issn]
    if not papers:
        return False
    a = rng.choice(papers)
    j = next((j for js in texts.JOURNALS.values() for j in js if j.issn == a.issn), None)
    if j is None:
        return False
    a.issn = j.bad_issn
    return True


_DEFECT_FUNCS: dict[str, DefectFunc] = {
    "id_check": _d_id_check,
    "id_sex": _d_id_sex,
    "rank_format": _d_rank_format,
    "work_gap": _d_work_gap,
    "ce_short": _d_ce_short,
    "assess_grade": _d_assess_grade,
    "ach_before": _d_ach_before,
    "ach_dup": _d_ach_dup,
    "ejournal": _d_ejournal,
    "major_other": _d_major_other,
    "missing_six": _d_missing_six,
    "bad_att_name": _d_bad_att_name,
    "civil_servant": _d_civil_servant,
    "retire": _d_retire,
    "social_unit": _d_social_unit,
    "no_chsi": _d_no_chsi,
    "summary_long": _d_summary_long,
    "work_fmt": _d_work_fmt,
    "entrust_no_proof": _d_entrust,
    "workunit_missing": _d_workunit,
    "assess_missing": _d_assess_missing,
    "work_start": _d_work_start,
    "ach_order": _d_ach_order,
    "bad_issn": _d_bad_issn,
}


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
