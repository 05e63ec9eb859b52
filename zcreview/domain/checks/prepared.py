"""Configuration turned into the sets and compiled patterns the checks look things up in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from zcreview.domain.catalogue import Config
from zcreview.domain.checks.common import PARTY_SCHOOL, education_groups
from zcreview.domain.model import LEVELS, EducationRecord


@dataclass(frozen=True, slots=True)
class Prepared:
    """Lookups derived once per configuration, so a run over 50,000 applications stays cheap."""

    name_re: re.Pattern[str]
    allowed_mime: frozenset[str]
    allowed_label: str
    """The allowed types for messages: PDF、JPG、…"""
    mime_ext: dict[str, frozenset[str]]
    passing_grades: frozenset[str]
    categories: frozenset[str]
    type_categories: dict[str, frozenset[str]]
    """Achievement name type (发明专利) → the categories that list it (专利)."""
    name_separators: tuple[str, ...]
    separator_re: re.Pattern[str]
    level_index: dict[str, int]
    """Level → position, highest first (正高级 0 … 员级 4)."""
    specialty_lists: dict[tuple[str, str | None], tuple[list[str], frozenset[str], list[str]]]
    """(series, category) → (categories, specialties, specialties in order), filled on use."""
    retirement_of: dict[tuple[str, date], tuple[date | None, int | None]]
    """(gender, birth date) → (retirement day, age in months), filled on use."""
    groups_of: dict[tuple[str, str | None, bool], tuple[str, ...]]
    """(学历, 学位, 第二学士) → `education_groups`, filled on use."""
    years_of: dict[tuple[str, str, str, tuple[str, ...], str | None], int | None]
    """(rule set, series, level, education groups, method) → required years, filled on use:
    the first-match walk over the configured rules is Python for every rule."""
    party_levels: tuple[str, ...]
    """学历 names of the catalogue that are 党校 ones (EDU-SPECIAL)."""
    direct_titles: dict[str, frozenset[str]]
    """Level → titles the direct-application rules name for it (DIRECT-ENG)."""

    def specialties(
        self, config: Config, series: str, category: str | None
    ) -> tuple[list[str], frozenset[str], list[str]]:
        """专业类别 of `series` and 现从事专业 choices for `category`, looked up once per pair."""
        key = (series, category)
        hit = self.specialty_lists.get(key)
        if hit is None:
            cat = config.catalogue
            names = cat.specialties_for(series, category)
            hit = (cat.categories_for(series), frozenset(names), names)
            self.specialty_lists[key] = hit
        return hit

    def retirement(
        self, config: Config, gender: str, birth: date
    ) -> tuple[date | None, int | None]:
        """Retirement day and age in months (None when unknown), worked out once per birth date.

        The adjustments are walked in Python for each call; birthdays recur across a year's
        applications, so the answer is kept.
        """
        key = (gender, birth)
        hit = self.retirement_of.get(key)
        if hit is None:
            if len(self.retirement_of) > 65536:
                self.retirement_of.clear()
            rules = config.thresholds.retirement
            hit = (rules.retirement_date(gender, birth), rules.age_months(gender, birth))
            self.retirement_of[key] = hit
        return hit

    def education_groups(self, config: Config, rec: EducationRecord) -> tuple[str, ...]:
        """`common.education_groups` of `rec`, worked out once per kind of record."""
        key = (rec.education, rec.degree, rec.second_bachelor)
        hit = self.groups_of.get(key)
        if hit is None:
            hit = self.groups_of[key] = education_groups(config, rec)
        return hit


# Extensions that name the same type (a `.jpg` file holds `image/jpeg`).
_EXT_SYNONYMS = {"jpeg": "jpg"}

_cache: dict[int, tuple[Config, Prepared]] = {}


def _prepare(config: Config) -> Prepared:
    th = config.thresholds
    att = th.attachments
    mime_ext: dict[str, frozenset[str]] = {}
    for mime in att.allowed_mime:
        sub = mime.rsplit("/", 1)[-1].lower()
        exts = {
            ext
            for ext in att.allowed_types
            if _EXT_SYNONYMS.get(ext, ext) == _EXT_SYNONYMS.get(sub, sub)
        }
        mime_ext[mime] = frozenset(exts or {sub})
    type_categories: dict[str, set[str]] = {}
    for category, types in th.achievements.name_types.items():
        for t in types:
            type_categories.setdefault(t, set()).add(category)
    seps = tuple(th.achievements.name_separators)
    direct_titles: dict[str, frozenset[str]] = {}
    for rule in th.direct_eng.rules:
        direct_titles[rule.level] = direct_titles.get(rule.level, frozenset()) | {rule.title}
    return Prepared(
        name_re=re.compile(att.name_pattern),
        allowed_mime=frozenset(att.allowed_mime),
        allowed_label="、".join(t.upper() for t in att.allowed_types),
        mime_ext=mime_ext,
        passing_grades=frozenset(g.strip() for g in config.catalogue.choices.passing_grades),
        categories=frozenset(config.catalogue.choices.achievement_categories),
        type_categories={t: frozenset(c) for t, c in type_categories.items()},
        name_separators=seps,
        separator_re=re.compile("|".join(re.escape(s) for s in seps) or r"\Z"),
        level_index={level: i for i, level in enumerate(config.catalogue.levels or LEVELS)},
        specialty_lists={},
        retirement_of={},
        groups_of={},
        years_of={},
        party_levels=tuple(n for n in config.catalogue.education_levels if PARTY_SCHOOL in n),
        direct_titles=direct_titles,
    )


def prepare(config: Config) -> Prepared:
    """The lookups for `config`, built on first use and kept while the object lives."""
    hit = _cache.get(id(config))
    if hit is not None and hit[0] is config:
        return hit[1]
    prepared = _prepare(config)
    if len(_cache) >= 8:
        _cache.clear()
    # The config itself is kept in the entry, so its id cannot be reused while it is cached.
    _cache[id(config)] = (config, prepared)
    return prepared
