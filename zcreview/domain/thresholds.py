"""Typed thresholds.toml: every number and list the pre-checks use, with the date arithmetic they need."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from pydantic import Field

from zcreview.domain.config_base import Frozen
from zcreview.domain.model import Gender, Level


def _add_months(day: date, months: int) -> date:
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


class RetirementAdjustment(Frozen):
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


class Retirement(Frozen):
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


class YearRule(Frozen):
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


class ContinuingEducationRules(Frozen):
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


class AssessmentRules(Frozen):
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


class WorkRules(Frozen):
    """WORK-MAX (000 §10) and WORK-FMT (003 §3.15(1))."""

    max_rows: int
    separator: str
    """Separator of 单位/部门/职称."""
    parts: int
    """Parts of 单位/部门/职称."""


class AchievementRules(Frozen):
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


class SummaryRules(Frozen):
    """SUMMARY-LEN (000 §12)."""

    max_chars: int


class AttachmentRules(Frozen):
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


class TitleTimeRule(Frozen):
    """TITLE-TIME (000 §5(1))."""

    switch_on: date
    """Certificates before this count from the effective date, later ones from the pass date."""


class EduReportRule(Frozen):
    """EDU-REPORT (000 §4(1), §4(6))."""

    switch_year: int
    """Graduates of this year or later need the record; earlier ones the report."""
    record_kind: str
    report_kind: str
    record_validity_months: int
    record_also_from: int = 2001
    """Earlier graduates may also show the record from this year on (000 §4(6)1 注)."""


class EduSpecial(Frozen):
    """EDU-SPECIAL (003 §3.9): a special 学历 name and the enrolment years it is allowed for."""

    name: str
    """Matched as part of the 学历 written on the form."""
    enrolled_from: int | None = None
    enrolled_to: int | None = None
    course_years_min: int | None = None
    course_years_max: int | None = None
    """Length of the course in years: with the graduation year it bounds the enrolment year."""
    note: str = ""


class DrugMidRule(Frozen):
    """DRUG-MID (000 §1(1))."""

    level: Level
    education: list[str]
    years_since_assistant: int
    ce_years: int
    assessment_years: int


class DrugRules(Frozen):
    """DRUG-EDU and DRUG-MID (000 §1(1))."""

    series: str
    major_keywords: list[str]
    """A 药品技术 applicant's major should contain one of these."""
    mid: DrugMidRule


class DirectEngRule(Frozen):
    """One DIRECT-ENG route (002 §14)."""

    level: Level
    title: str
    education: list[str]
    years: int
    """Years of engineering work required."""


class DirectEngRules(Frozen):
    """DIRECT-ENG: the Weihai enterprise green channel (002 §14)."""

    series: str
    unit_natures: list[str]
    rules: list[DirectEngRule]

    def years_required(self, level: str, education: str) -> int | None:
        """Fewest years of work that let this education apply directly at `level`, or None."""
        years = [r.years for r in self.rules if r.level == level and education in r.education]
        return min(years) if years else None


class EarlyMengRule(Frozen):
    """EARLY-MENG (000 §4(5))."""

    series: list[str]
    years_early: int


class ChangeSeriesRule(Frozen):
    """CHANGE-SERIES (002 §10)."""

    min_years_in_post: int


class AppointmentRule(Frozen):
    """APPT-YEARS (000 §5(1))."""

    months_per_year: int


class ReviewPractice(Frozen):
    """Office practice: return deadline and claim lease."""

    return_deadline_working_days: int
    claim_lease_minutes: int


class Thresholds(Frozen):
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
