"""Years an application must show, and whether it applies a year early as a 工程类专业学位硕士.

ASSESS-YEARS and CE-YEARS take the configured years (000 §7, §9); 000 §4(5) lets a holder of an
engineering professional master's degree apply one year early when the degree matches the
specialty applied for, and then both ask one year less. EARLY-MENG reports the judgement.
"""

from __future__ import annotations

from dataclasses import dataclass

from zcreview.domain.catalogue import Config
from zcreview.domain.checks.base import CheckContext
from zcreview.domain.checks.common import NONE_TITLE, current_title
from zcreview.domain.checks.dates import whole_years_to_year_end
from zcreview.domain.model import EducationRecord

_MASTER = "硕士"
_ENGINEERING_MASTER = "工程硕士"
# Characters too common in engineering names to show that two specialties agree.
_GENERIC_CHARS = frozenset("工程技术管理专业科学应用领域与及和的类")


def normal_assessment_years(ctx: CheckContext) -> int | None:
    """Yearly assessments the configured rules ask of this application (000 §7), or None."""
    b = ctx.app.basic
    key = ("assessment", b.series, b.level, ctx.edu_groups, b.method)
    known = ctx.prep.years_of
    if key in known:
        return known[key]
    rules = ctx.config.thresholds.assessment
    found = None
    for group in ctx.edu_groups or (None,):
        n = rules.years_required(series=b.series, level=b.level, education=group, method=b.method)
        if n is not None:
            found = n
            break
    known[key] = found
    return found


def normal_ce_years(ctx: CheckContext) -> int | None:
    """Years of continuing education the configured rules ask (000 §9, 003 §3.14), or None."""
    b = ctx.app.basic
    key = ("continuing_education", b.series, b.level, ctx.edu_groups, None)
    known = ctx.prep.years_of
    if key in known:
        return known[key]
    rules = ctx.config.thresholds.continuing_education
    found = None
    for group in ctx.edu_groups or (None,):
        n = rules.years_required(series=b.series, level=b.level, education=group)
        if n is not None:
            found = n
            break
    known[key] = found
    return found


@dataclass(frozen=True, slots=True)
class Early:
    """How an application with an engineering professional master's degree stands (000 §4(5))."""

    key: str
    """`basis` or `full_time`: the record that carries the degree."""
    record: EducationRecord
    normal: int | None
    """Years in the current title the rules ask at normal seniority; None when unknown."""
    held: int | None
    """Whole years in the current title to 31 December; None without a title date."""
    years_early: int
    matches: bool
    """The degree falls in the 专业类别 of the specialty applied for."""

    @property
    def is_early(self) -> bool:
        """Applies before the normal seniority, within the year the seed allows."""
        return (
            self.normal is not None
            and self.held is not None
            and self.normal - self.years_early <= self.held < self.normal
        )

    @property
    def allowed(self) -> bool:
        """Applies early, as 000 §4(5) permits: ASSESS-YEARS and CE-YEARS ask a year less."""
        return self.is_early and self.matches


def _professional_master(ctx: CheckContext) -> tuple[str, EducationRecord] | None:
    edu = ctx.app.education
    for key, rec in (("basis", edu.basis), ("full_time", edu.full_time)):
        if rec is None:
            continue
        named = _ENGINEERING_MASTER in (rec.degree or "")
        if (rec.professional_degree or named) and _MASTER in ctx.prep.education_groups(
            ctx.config, rec
        ):
            return key, rec
    return None


def _held_years(ctx: CheckContext) -> int | None:
    t = current_title(ctx.app)
    if t is None:
        return None
    since = t.qualification_on if t.title.strip() == NONE_TITLE else t.obtained_on
    return None if since is None else whole_years_to_year_end(since, ctx.year)


_MATCHES: dict[tuple[str, str, str | None, str], bool] = {}
"""(major, series, 专业类别, 现从事专业) → `_in_group`; the same degrees recur."""


def _meaningful(text: str) -> frozenset[str]:
    return frozenset(text) - _GENERIC_CHARS


def _related(a: frozenset[str], b: str) -> bool:
    """Two names agree when they share two characters that are not generic words
    (采矿工程 and 煤矿开采 share 采 and 矿), or one name is a single such character."""
    common = a & _meaningful(b)
    return len(common) >= 2 or (len(common) == 1 and (len(a) == 1 or len(_meaningful(b)) == 1))


def specialty_group_match(
    config: Config, major: str, series: str, category: str | None, specialty: str
) -> bool:
    """Whether `major` falls in the 专业类别 of `specialty` (catalogue.toml [categories]).

    000 §4(5) wants the degree to agree with the specialty applied for; the catalogue's 专业类别
    groups the 现从事专业 choices, so a degree that matches the category or any specialty in it
    agrees. Without a category, the specialty alone decides.
    """
    key = (major, series, category, specialty)
    hit = _MATCHES.get(key)
    if hit is None:
        names = [specialty]
        if category:
            names += [category, *config.catalogue.specialties_for(series, category)]
        chars = _meaningful(major)
        hit = bool(chars) and any(_related(chars, n) for n in names)
        if len(_MATCHES) > 4096:
            _MATCHES.clear()
        _MATCHES[key] = hit
    return hit


def early_master(ctx: CheckContext) -> Early | None:
    """The early-application standing of this application; None when 000 §4(5) is not in play
    (another series, or no engineering professional master's degree)."""
    if "early" in ctx.memo:
        found: Early | None = ctx.memo["early"]
        return found
    rule = ctx.config.thresholds.early_meng
    b = ctx.app.basic
    result = None
    if b.series in rule.series:
        master = _professional_master(ctx)
        if master is not None:
            key, rec = master
            normal = normal_assessment_years(ctx)
            if normal is None:
                normal = normal_ce_years(ctx)
            result = Early(
                key=key,
                record=rec,
                normal=normal,
                held=_held_years(ctx),
                years_early=rule.years_early,
                matches=specialty_group_match(
                    ctx.config, rec.major, b.series, b.specialty_category, b.current_specialty
                ),
            )
    ctx.memo["early"] = result
    return result


def years_less(ctx: CheckContext) -> int:
    """Years fewer than the configured ones this application must show (000 §4(5))."""
    early = early_master(ctx)
    return early.years_early if early is not None and early.allowed else 0
