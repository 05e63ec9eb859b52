"""ASSESS-YEARS, ASSESS-GRADE, ASSESS-UNIT: the yearly assessments since the current title."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from zcreview.domain.checks.base import CheckContext, CheckResult, Reporter, check
from zcreview.domain.checks.common import missing_recent_years, same_unit, unit_of, years_text
from zcreview.domain.checks.seniority import normal_assessment_years, years_less
from zcreview.domain.model import Application


def required_assessment_years(ctx: CheckContext) -> int | None:
    """How many recent yearly assessments this application needs, or None (no rule): the
    configured years, one less for an early application 000 §4(5) allows (EARLY-MENG)."""
    n = normal_assessment_years(ctx)
    return None if n is None else max(0, n - years_less(ctx))


@check("ASSESS-YEARS", "年度考核年数", "000 §7")
def assess_years(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    n = required_assessment_years(ctx)
    if n is None:
        return
    optional = ctx.config.thresholds.assessment.current_year_optional
    present = {a.year for a in ctx.app.assessments}
    missing = missing_recent_years(present, ctx.year, n, current_optional=optional)
    b = ctx.app.basic
    early = f"，提前{less}年" if (less := years_less(ctx)) else ""
    who = f"{b.level}{b.method}（{'/'.join(ctx.edu_groups) or '学历不明'}{early}）"
    if missing:
        yield r.fail(
            f"{who}须提交近{n}年年度考核，缺少{years_text(missing)}的考核"
            + (f"（{ctx.year}年度可不填）" if optional else ""),
            "assessments",
        )
    else:
        yield r.ok(f"{who}近{n}年年度考核齐全", "assessments")


@check("ASSESS-GRADE", "考核等次合格（称职）以上", "000 §1(1), §7")
def assess_grade(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    rows = ctx.app.assessments
    if not rows:
        return
    passing = ctx.prep.passing_grades
    ok = True
    for i, a in enumerate(rows):
        if a.grade.strip() not in passing:
            ok = False
            yield r.fail(
                f"{a.year}年度考核等次为“{a.grade}”，应为{'、'.join(sorted(passing))}",
                f"assessments[{i}].grade",
            )
    if ok:
        yield r.ok(f"{len(rows)}个年度考核等次均为合格（称职）以上", "assessments")


def unit_in_year(app: Application, year: int, separator: str) -> tuple[str, str] | None:
    """(unit, field path) of the last employer in `year`: the social-security unit while its
    period covers the year, else the work-history row running at the latest point of the year."""
    b = app.basic
    first, last = date(year, 1, 1), date(year, 12, 31)
    ss_from, ss_to = b.social_security_from, b.social_security_to
    if (
        b.social_security_unit
        and (ss_from is None or ss_from <= last)
        and (ss_to is None or ss_to >= first)
    ):
        return b.social_security_unit, "basic.social_security_unit"
    best: tuple[date, int] | None = None
    for i, w in enumerate(app.work_history):
        if (
            w.start <= last
            and (w.end is None or w.end >= first)
            and (best is None or w.start > best[0])
        ):
            best = (w.start, i)
    if best is None:
        return None
    row = app.work_history[best[1]]
    return unit_of(row.unit_dept_post, separator), f"work_history[{best[1]}].unit_dept_post"


@check("ASSESS-UNIT", "考核单位与当年社保缴费单位一致", "000 §7")
def assess_unit(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    rows = ctx.app.assessments
    if not rows:
        return
    sep = ctx.config.thresholds.work.separator
    ok = True
    for i, a in enumerate(rows):
        found = unit_in_year(ctx.app, a.year, sep)
        if found is not None and same_unit(a.unit, found[0]):
            continue  # the common case: no path or message to build
        ok = False
        path = f"assessments[{i}].unit"
        if found is None:
            yield r.unknown(f"{a.year}年度的社保缴费单位和工作单位均无记录，无法核对考核单位", path)
            continue
        unit, source = found
        if source.startswith("basic."):
            yield r.fail(
                f"{a.year}年度考核单位“{a.unit}”与社保缴费单位“{unit}”不一致", path, source
            )
        else:
            # The form keeps only the latest social-security unit; earlier years go by work history.
            yield r.warn(
                f"{a.year}年度考核单位“{a.unit}”与当年工作单位“{unit}”不一致，"
                "请核对当年社保缴费单位",
                path,
                source,
            )
    if ok:
        yield r.ok("各年度考核单位与社保缴费（工作）单位一致", "assessments")
