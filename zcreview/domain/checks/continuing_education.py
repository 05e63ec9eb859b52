"""CE-HOURS, CE-YEARS: 继续教育 学时 per year and the years covered."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from zcreview.domain.checks.base import CheckContext, CheckResult, Reporter, check
from zcreview.domain.checks.common import missing_recent_years, years_text
from zcreview.domain.checks.seniority import normal_ce_years, years_less


def _fmt(hours: float) -> str:
    return f"{hours:g}"


@check("CE-HOURS", "继续教育学时", "000 §9, 002 §9")
def ce_hours(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    rows = ctx.app.continuing_education
    if not rows:
        return
    rules = ctx.config.thresholds.continuing_education
    # Hours are required per year; a year may be split over several rows, and a row spanning
    # several years must carry several years' hours.
    by_year: dict[int, list[float]] = {}  # year -> [公需, 专业, years spanned]
    rows_of: dict[int, list[int]] = {}
    for i, row in enumerate(rows):
        y = row.start.year
        acc = by_year.get(y)
        if acc is None:
            by_year[y] = acc = [0.0, 0.0, 1]
            rows_of[y] = []
        acc[0] += row.public_hours
        acc[1] += row.professional_hours
        acc[2] = max(acc[2], row.end.year - y + 1)
        rows_of[y].append(i)
    ok = True
    # Read the three minimums once: pydantic attribute access in the loop added up.
    hours_pub, hours_pro, hours_total = (
        rules.hours_public,
        rules.hours_professional,
        rules.hours_total,
    )
    for year in sorted(by_year):
        pub, pro, years = by_year[year]
        span = int(years)
        need_pub, need_pro = hours_pub * span, hours_pro * span
        need_total = hours_total * span
        if not (pub < need_pub or pro < need_pro or pub + pro < need_total):
            continue  # the common case: no message to build
        short = []
        if pub < need_pub:
            short.append(f"公需{_fmt(pub)}学时（应≥{_fmt(need_pub)}）")
        if pro < need_pro:
            short.append(f"专业{_fmt(pro)}学时（应≥{_fmt(need_pro)}）")
        if pub + pro < need_total:
            short.append(f"合计{_fmt(pub + pro)}学时（应≥{_fmt(need_total)}）")
        ok = False
        label = f"{year}年" if span == 1 else f"{year}年起{span}年"
        paths = (f"continuing_education[{i}]" for i in rows_of[year])
        yield r.fail(f"{label}继续教育学时不足：{'，'.join(short)}", *paths)
    if ok:
        yield r.ok(
            _ok_message(len(by_year), hours_pub, hours_pro, hours_total), "continuing_education"
        )


@lru_cache(maxsize=256)
def _ok_message(years: int, pub: float, pro: float, total: float) -> str:
    """The CE-HOURS OK message; it depends on the count of years and the minimums only."""
    return f"{years}个年度继续教育均达到公需{_fmt(pub)}、专业{_fmt(pro)}、合计{_fmt(total)}学时"


def required_ce_years(ctx: CheckContext) -> int | None:
    """Years of continuing education this application needs, or None when no rule applies:
    the configured years, one less for an early application 000 §4(5) allows (EARLY-MENG)."""
    n = normal_ce_years(ctx)
    return None if n is None else max(0, n - years_less(ctx))


def ce_years_present(ctx: CheckContext) -> set[int]:
    """Years covered by at least one continuing-education row."""
    years: set[int] = set()
    for row in ctx.app.continuing_education:
        years.update(range(row.start.year, max(row.start.year, row.end.year) + 1))
    return years


@check("CE-YEARS", "继续教育年度", "000 §9, 003 §3.14")
def ce_years(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    n = required_ce_years(ctx)
    if n is None:
        return
    missing = missing_recent_years(ce_years_present(ctx), ctx.year, n, current_optional=True)
    b = ctx.app.basic
    if missing:
        yield r.fail(
            f"{'提前' if years_less(ctx) else ''}申报{b.level}须有近{n}个年度的继续教育，缺少{years_text(missing)}",
            "continuing_education",
        )
    else:
        yield r.ok(f"近{n}个年度继续教育记录齐全", "continuing_education")
