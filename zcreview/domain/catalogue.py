"""Typed catalogue, routing table and return reasons, and the bundle of all configuration, from TOML."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from zcreview.domain.config_base import Frozen, keyed_rows
from zcreview.domain.model import LEVELS, Level
from zcreview.domain.thresholds import Thresholds

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


# --------------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------------


class Series(Frozen):
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


class Choices(Frozen):
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


class Catalogue(Frozen):
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
        return keyed_rows(value, "name")

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


class RoutingTable(Frozen):
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
# Reasons and the bundle
# --------------------------------------------------------------------------------------------


class ReasonTemplate(Frozen):
    """A standard return reason (domain.md §7)."""

    id: str
    """Stable identifier, used in stored return notices."""
    text: str
    """The reason as the applicant reads it."""
    checks: list[str] = Field(default_factory=list)
    """Pre-check IDs whose flag suggests this reason."""


class Config(Frozen):
    """Catalogue, routing, thresholds and reasons: the whole shipped-and-overridden configuration."""

    catalogue: Catalogue
    routing: RoutingTable
    thresholds: Thresholds
    reasons: list[ReasonTemplate]
    """In file order; a TOML table keyed by id is accepted."""

    @field_validator("reasons", mode="before")
    @classmethod
    def _reasons_by_id(cls, value: Any) -> Any:
        return keyed_rows(value, "id")

    def reason(self, reason_id: str) -> ReasonTemplate | None:
        """The reason with this id, or None."""
        return next((r for r in self.reasons if r.id == reason_id), None)

    def reasons_for_check(self, check_id: str) -> list[ReasonTemplate]:
        """Reasons that fit a flagged pre-check, in file order."""
        return [r for r in self.reasons if check_id in r.checks]
