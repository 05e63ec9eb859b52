"""Typed catalogue, routing table, thresholds and return reasons, built from parsed TOML tables."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from zcreview.domain.model import LEVELS, Gender, Level

LevelGroup = Literal["高级", "中级", "初级"]
RouteLevel = Literal["正高", "副高", "中级", "初级"]

ROUTE_LEVELS: dict[str, RouteLevel] = {
    "正高级": "正高",
    "副高级": "副高",
    "中级": "中级",
    "助理级": "初级",
    "员级": "初级",
}
"""Application level → column of the routing table (003 §4.7 has one 初级 column)."""


def _keyed_rows(value: Any, key: str) -> Any:
    """Turn a TOML table keyed by name into rows carrying that name.

    Keyed tables let a user file override one entry (tables merge, lists replace); the models
    still want ordered rows that know their own name.
    """
    if isinstance(value, dict):
        return [{key: k, **v} if isinstance(v, dict) else v for k, v in value.items()]
    return value


class _Frozen(BaseModel):
    """Base of every configuration model: unknown keys are refused so typos in TOML surface."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


# --------------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------------


class Series(_Frozen):
    """One 职称系列 of 002 §4 with its title tracks."""

    name: str
    """The name used in the 申报系列 drop-down."""
    no: int | None = None
    """Row number in 002 §4 (审计 has none in the seed)."""
    aliases: list[str] = Field(default_factory=list)
    """Other spellings of the name seen on forms (档案专业 for 档案)."""
    tracks: list[dict[Level, str]] = Field(min_length=1)
    """One mapping level → title per sub-row of the seed; empty seed cells are absent."""
    title_aliases: dict[str, str] = Field(default_factory=dict)
    """Common spelling of a title → the seed's spelling (主治医师 → 主管医师)."""

    def titles_at(self, level: str) -> list[str]:
        """Titles of this series at `level`, in track order, without repeats."""
        out: list[str] = []
        for track in self.tracks:
            title = track.get(level)  # type: ignore[call-overload]
            if title is not None and title not in out:
                out.append(title)
        return out

    def canonical_title(self, title: str) -> str:
        """The seed's spelling of `title` (an alias is mapped, anything else is returned as is)."""
        title = title.strip()
        return self.title_aliases.get(title, title)

    def level_of(self, title: str) -> Level | None:
        """Level of `title` in this series, or None when the series has no such title."""
        wanted = self.canonical_title(title)
        for track in self.tracks:
            for level, name in track.items():
                if name == wanted:
                    return level
        return None


class Choices(_Frozen):
    """Drop-down lists of the application form (003 §3, 000 §3–11)."""

    other_specialty: str
    """The 现从事专业 escape choice the seeds forbid (MAJOR-OTHER, 000 §3(1))."""
    methods: list[str]
    """申报方式 (003 §3.4, 000 §3(2))."""
    exceptional_method: str
    """The 申报方式 that requires a 破格情况."""
    exceptional_kinds: list[str]
    """破格情况 (003 §3.4)."""
    title_obtained_by: list[str]
    """现职称获得方式 (000 §5(1))."""
    office_types: list[str]
    """Offices of the reporting chain (domain.md §1)."""
    unit_natures: list[str]
    """单位性质."""
    degrees: list[str]
    """学位."""
    assessment_grades: list[str]
    """考核等次 offered by the platform."""
    passing_grades: list[str]
    """考核等次 that count as 合格（称职）or better (ASSESS-GRADE)."""
    achievement_categories: list[str]
    """成果类别 (ACH-CAT, 003 §3.16)."""
    attachment_kinds: list[str]
    """Kinds of files under 其他附件 (六公开监督卡, 公示情况报告表 …)."""


class Catalogue(_Frozen):
    """Series, titles by level, fees and the form's choice lists (domain.md §5)."""

    levels: list[Level]
    """The five levels, highest first."""
    exam_subject_fee: int
    """Yuan per examination subject (002 §8)."""
    level_groups: dict[Level, LevelGroup]
    """Level → 高级 / 中级 / 初级 (the column groups of 002 §4)."""
    fees: dict[LevelGroup, int]
    """Review fee in yuan per person, by level group (002 §8)."""
    series: list[Series]
    """All series of 002 §4, in seed order."""
    categories: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    """Series → 专业类别 → 现从事专业 choices (工程技术, 000 §3(1))."""
    specialties: dict[str, list[str]] = Field(default_factory=dict)
    """Series → 现从事专业 choices, for series without categories."""
    education_levels: dict[str, str]
    """学历 name → education group used by the year thresholds (博士, 硕士, 本科 …)."""
    choices: Choices

    @field_validator("series", mode="before")
    @classmethod
    def _series_by_name(cls, value: Any) -> Any:
        return _keyed_rows(value, "name")

    @model_validator(mode="after")
    def _one_level_per_title(self) -> Catalogue:
        # level_of_title must be unambiguous, or a consistent form could be flagged.
        for s in self.series:
            seen: dict[str, str] = {}
            for track in s.tracks:
                for level, title in track.items():
                    if seen.setdefault(title, level) != level:
                        raise ValueError(f"{s.name}: {title} is both {seen[title]} and {level}")
        return self

    def series_names(self) -> list[str]:
        """Names of all series, in seed order."""
        return [s.name for s in self.series]

    def get_series(self, name: str) -> Series | None:
        """The series named `name` or one of its aliases; None when unknown."""
        name = name.strip()
        for s in self.series:
            if name == s.name or name in s.aliases:
                return s
        return None

    def titles_for(self, series: str, level: str) -> list[str]:
        """Titles a series offers at `level` (empty for an unknown series or an empty cell)."""
        s = self.get_series(series)
        return s.titles_at(level) if s is not None else []

    def level_of_title(self, series: str, title: str) -> Level | None:
        """Level of `title` within `series`, or None when the series does not have it."""
        s = self.get_series(series)
        return s.level_of(title) if s is not None else None

    def is_consistent(self, series: str, level: str, title: str) -> bool:
        """Whether 申报系列, 申报级别 and 申报职称 agree (domain.md §5)."""
        return level in LEVELS and self.level_of_title(series, title) == level

    def categories_for(self, series: str) -> list[str]:
        """专业类别 of a series (empty when it has none)."""
        s = self.get_series(series)
        return list(self.categories.get(s.name if s else series, {}))

    def specialties_for(self, series: str, category: str | None = None) -> list[str]:
        """现从事专业 choices: those of `category` when the series has categories.

        Without a category a categorised series offers every category's choices. Unknown series
        or categories give an empty list.
        """
        s = self.get_series(series)
        key = s.name if s is not None else series.strip()
        by_category = self.categories.get(key)
        if by_category:
            if category is not None:
                return list(by_category.get(category.strip(), []))
            merged: list[str] = []
            for names in by_category.values():
                merged.extend(n for n in names if n not in merged)
            return merged
        return list(self.specialties.get(key, []))

    def level_group(self, level: str) -> LevelGroup | None:
        """高级 / 中级 / 初级 for a level; None for an unknown level."""
        return self.level_groups.get(level)  # type: ignore[call-overload, no-any-return]

    def fee_for(self, level: str) -> int | None:
        """Review fee in yuan per person at `level` (002 §8); None for an unknown level."""
        group = self.level_group(level)
        return self.fees.get(group) if group is not None else None

    def education_group(self, education: str) -> str | None:
        """Education group of a 学历 name (博士/硕士/本科/专科/中专/高中及以下), or None."""
        return self.education_levels.get(education.strip())

    def is_passing_grade(self, grade: str) -> bool:
        """Whether a 考核等次 is 合格（称职）or better (ASSESS-GRADE)."""
        return grade.strip() in self.choices.passing_grades


# --------------------------------------------------------------------------------------------
# Routing
# --------------------------------------------------------------------------------------------


class RoutingTable(_Frozen):
    """Receiving department by series and level for city-level units (003 §4.7, domain.md §3)."""

    fallback: str | None = None
    """Row used for series the table does not name (the seed's 其他)."""
    aliases: dict[str, str] = Field(default_factory=dict)
    """Catalogue series name → row name where they are spelt differently."""
    routes: dict[str, dict[RouteLevel, str]]
    """Row (series, or an engineering 专业类别, or a 基层 variant) → column → receiver."""

    def receiver(self, series: str, level: str, category: str | None = None) -> str | None:
        """The department that receives reports of `series` at `level` from a city-level unit.

        `level` is an application level (正高级 … 员级) or a table column (正高 … 初级). A
        `category` (专业类别 such as 自然资源工程, or a row like 基层中小学教师) is tried before
        the series; a series the table does not name uses the fallback row. Returns None when the
        cell is empty: no city-level path exists for that series and level.
        """
        column = ROUTE_LEVELS.get(level, level)
        row = self._row(series, category)
        if row is None:
            return None
        return row.get(column)  # type: ignore[call-overload, no-any-return]

    def _row(self, series: str, category: str | None) -> dict[RouteLevel, str] | None:
        for name in (category, series):
            if name is None:
                continue
            name = name.strip()
            row = self.routes.get(self.aliases.get(name, name))
            if row is not None:
                return row
        return self.routes.get(self.fallback) if self.fallback else None


# --------------------------------------------------------------------------------------------
# Thresholds
# --------------------------------------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


class RetirementAdjustment(_Frozen):
    """A gradual-retirement rule: later birth, later retirement, in monthly steps."""

    gender: Gender
    posts: list[str]
    """Post kinds the rule applies to (keys of `Retirement.ages`)."""
    born_from: date
    """First birth month affected; it already retires one month later."""
    birth_months_per_step: int = Field(gt=0)
    """Months of birth that add one month of retirement age."""
    max_extra_months: int = Field(ge=0)
    """Cap on the added months."""

    def extra_months(self, gender: str, post: str, birth: date) -> int:
        """Months added to the base age for this person (0 when the rule does not apply)."""
        if gender != self.gender or post not in self.posts:
            return 0
        since = (birth.year - self.born_from.year) * 12 + birth.month - self.born_from.month
        if since < 0:
            return 0
        return min(since // self.birth_months_per_step + 1, self.max_extra_months)


class Retirement(_Frozen):
    """ELIG-RETIRE (000 §1(2)): retirement ages by post kind and gender, plus adjustments."""

    default_post: str
    """Post kind assumed when the form does not say (专技)."""
    ages: dict[str, dict[Gender, int]]
    """Post kind → gender → retirement age in years."""
    adjustments: list[RetirementAdjustment] = Field(default_factory=list)
    """Gradual-retirement rules; their added months sum (at most one applies per person)."""

    def age_months(self, gender: str, birth: date, post: str | None = None) -> int | None:
        """Retirement age in months for this person; None for an unknown post kind or gender."""
        post = post or self.default_post
        base = self.ages.get(post, {}).get(gender)  # type: ignore[call-overload]
        if base is None:
            return None
        extra = sum(a.extra_months(gender, post, birth) for a in self.adjustments)
        return int(base) * 12 + extra

    def retirement_date(self, gender: str, birth: date, post: str | None = None) -> date | None:
        """Day this person reaches retirement age; None when the age is unknown."""
        months = self.age_months(gender, birth, post)
        return _add_months(birth, months) if months is not None else None

    def retires_by_year_end(
        self, gender: str, birth: date, year: int, post: str | None = None
    ) -> bool | None:
        """Whether retirement age is reached by 31 December of `year` (None when unknown)."""
        day = self.retirement_date(gender, birth, post)
        return day <= date(year, 12, 31) if day is not None else None


class YearRule(_Frozen):
    """A required number of years for the applications its lists match; empty list = any."""

    series: list[str] = Field(default_factory=list)
    levels: list[Level] = Field(default_factory=list)
    education: list[str] = Field(default_factory=list)
    """Education groups (博士, 硕士, 第二学士, 本科, 专科, 中专 …)."""
    methods: list[str] = Field(default_factory=list)
    """申报方式."""
    years: int = Field(ge=0)

    def matches(
        self, *, series: str, level: str, education: str | None = None, method: str | None = None
    ) -> bool:
        """Whether the rule covers this series, level, education group and method."""
        wanted: tuple[tuple[list[Any], str | None], ...] = (
            (self.series, series),
            (self.levels, level),
            (self.education, education),
            (self.methods, method),
        )
        return all(not allowed or value in allowed for allowed, value in wanted)


def first_years(
    rules: list[YearRule],
    *,
    series: str,
    level: str,
    education: str | None = None,
    method: str | None = None,
) -> int | None:
    """Years of the first matching rule, or None when no rule applies."""
    for rule in rules:
        if rule.matches(series=series, level=level, education=education, method=method):
            return rule.years
    return None


class ContinuingEducationRules(_Frozen):
    """CE-HOURS and CE-YEARS (000 §9, 002 §9, 003 §3.14)."""

    hours_total: float
    """学时 per year, all kinds (90)."""
    hours_public: float
    """公需 学时 per year (30)."""
    hours_professional: float
    """专业 学时 per year (60)."""
    rules: list[YearRule]
    """Years of continuing education required; first match wins."""

    def years_required(
        self, *, series: str, level: str, education: str | None = None
    ) -> int | None:
        """Years of continuing education an application must show; None when not required."""
        return first_years(self.rules, series=series, level=level, education=education)


class AssessmentRules(_Frozen):
    """ASSESS-YEARS (000 §7)."""

    current_year_optional: bool
    """The application year's own assessment may be missing."""
    rules: list[YearRule]
    """Yearly assessments required; first match wins."""

    def years_required(
        self, *, series: str, level: str, education: str | None, method: str | None
    ) -> int | None:
        """Yearly assessments an application must show; None when no rule applies."""
        return first_years(
            self.rules, series=series, level=level, education=education, method=method
        )


class WorkRules(_Frozen):
    """WORK-MAX (000 §10) and WORK-FMT (003 §3.15(1))."""

    max_rows: int
    separator: str
    """Separator of 单位/部门/职称."""
    parts: int
    """Parts of 单位/部门/职称."""


class AchievementRules(_Frozen):
    """ACH-MAX, ACH-NAME and ACH-EJOURNAL (000 §11, 003 §3.16)."""

    max_count: int
    max_files: int
    """Files per achievement."""
    ejournal_banned_categories: list[str]
    """工程技术 专业类别 that may not cite electronic journals (000 §11(4)1)."""
    name_separators: list[str]
    """Separators between 类型 and 名称."""
    name_types: dict[str, list[str]] = Field(default_factory=dict)
    """成果类别 → types the seed spells out (论文, 发明专利, 团体标准 …)."""


class SummaryRules(_Frozen):
    """SUMMARY-LEN (000 §12)."""

    max_chars: int


class AttachmentRules(_Frozen):
    """ATT-TYPE, ATT-SIZE, ATT-NAME and ATT-REQUIRED (004 §6.2, 002 §三, 000 §2, §13–14)."""

    max_bytes: int
    allowed_types: list[str]
    """File types by their usual extension, lower case without the dot."""
    allowed_mime: list[str]
    """The same types as MIME names, for content sniffing."""
    name_pattern: str
    """Regular expression a `时间-内容` name must match at its start."""
    merge_pages_over: int
    """Items with more pages than this must be one merged PDF (000 §2(2))."""
    required_kinds: list[str]
    """其他附件 kinds every application carries."""
    required_kinds_by_series: dict[str, list[str]] = Field(default_factory=dict)
    """Further kinds by series."""

    def required_for(self, series: str) -> list[str]:
        """All required 其他附件 kinds for an application of `series`."""
        return [*self.required_kinds, *self.required_kinds_by_series.get(series, [])]


class TitleTimeRule(_Frozen):
    """TITLE-TIME (000 §5(1))."""

    switch_on: date
    """Certificates before this count from the effective date, later ones from the pass date."""


class EduReportRule(_Frozen):
    """EDU-REPORT (000 §4(1), §4(6))."""

    switch_year: int
    """Graduates of this year or later need the record; earlier ones the report."""
    record_kind: str
    report_kind: str
    record_validity_months: int
    record_also_from: int = 2001
    """Earlier graduates may also show the record from this year on (000 §4(6)1 注)."""


class EduSpecial(_Frozen):
    """EDU-SPECIAL (003 §3.9): a special 学历 name and the enrolment years it is allowed for."""

    name: str
    """Matched as part of the 学历 written on the form."""
    enrolled_from: int | None = None
    enrolled_to: int | None = None
    course_years_min: int | None = None
    course_years_max: int | None = None
    """Length of the course in years: with the graduation year it bounds the enrolment year."""
    note: str = ""


class DrugMidRule(_Frozen):
    """DRUG-MID (000 §1(1))."""

    level: Level
    education: list[str]
    years_since_assistant: int
    ce_years: int
    assessment_years: int


class DrugRules(_Frozen):
    """DRUG-EDU and DRUG-MID (000 §1(1))."""

    series: str
    major_keywords: list[str]
    """A 药品技术 applicant's major should contain one of these."""
    mid: DrugMidRule


class DirectEngRule(_Frozen):
    """One DIRECT-ENG route (002 §14)."""

    level: Level
    title: str
    education: list[str]
    years: int
    """Years of engineering work required."""


class DirectEngRules(_Frozen):
    """DIRECT-ENG: the Weihai enterprise green channel (002 §14)."""

    series: str
    unit_natures: list[str]
    rules: list[DirectEngRule]

    def years_required(self, level: str, education: str) -> int | None:
        """Fewest years of work that let this education apply directly at `level`, or None."""
        years = [r.years for r in self.rules if r.level == level and education in r.education]
        return min(years) if years else None


class EarlyMengRule(_Frozen):
    """EARLY-MENG (000 §4(5))."""

    series: list[str]
    years_early: int


class ChangeSeriesRule(_Frozen):
    """CHANGE-SERIES (002 §10)."""

    min_years_in_post: int


class AppointmentRule(_Frozen):
    """APPT-YEARS (000 §5(1))."""

    months_per_year: int


class ReviewPractice(_Frozen):
    """Office practice: return deadline and claim lease."""

    return_deadline_working_days: int
    claim_lease_minutes: int


class Thresholds(_Frozen):
    """Every number and list the pre-checks use (domain.md §6), from thresholds.toml."""

    retirement: Retirement
    continuing_education: ContinuingEducationRules
    assessment: AssessmentRules
    work: WorkRules
    achievements: AchievementRules
    summary: SummaryRules
    attachments: AttachmentRules
    title_time: TitleTimeRule
    edu_report: EduReportRule
    edu_special: list[EduSpecial] = Field(default_factory=list)
    drug: DrugRules
    direct_eng: DirectEngRules
    early_meng: EarlyMengRule
    change_series: ChangeSeriesRule
    appointment: AppointmentRule
    review: ReviewPractice


# --------------------------------------------------------------------------------------------
# Reasons and the bundle
# --------------------------------------------------------------------------------------------


class ReasonTemplate(_Frozen):
    """A standard return reason (domain.md §7)."""

    id: str
    """Stable identifier, used in stored return notices."""
    text: str
    """The reason as the applicant reads it."""
    checks: list[str] = Field(default_factory=list)
    """Pre-check IDs whose flag suggests this reason."""


class Config(_Frozen):
    """Catalogue, routing, thresholds and reasons: the whole shipped-and-overridden configuration."""

    catalogue: Catalogue
    routing: RoutingTable
    thresholds: Thresholds
    reasons: list[ReasonTemplate]
    """In file order; a TOML table keyed by id is accepted."""

    @field_validator("reasons", mode="before")
    @classmethod
    def _reasons_by_id(cls, value: Any) -> Any:
        return _keyed_rows(value, "id")

    def reason(self, reason_id: str) -> ReasonTemplate | None:
        """The reason with this id, or None."""
        return next((r for r in self.reasons if r.id == reason_id), None)

    def reasons_for_check(self, check_id: str) -> list[ReasonTemplate]:
        """Reasons that fit a flagged pre-check, in file order."""
        return [r for r in self.reasons if check_id in r.checks]
