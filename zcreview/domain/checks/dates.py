"""Date arithmetic of the seed rules: whole months, whole years to 31 December, gaps, overlaps.

The platform records most periods by month (`2018.07`), so periods are compared as inclusive
ranges of months: a row that ends in June and one that starts in June or July are continuous.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

MonthSpan = tuple[int, int]
"""An inclusive range of month indices (see `month_index`)."""


def month_index(d: date) -> int:
    """Months since year 0, so consecutive months differ by one."""
    return d.year * 12 + d.month - 1


def month_label(index: int) -> str:
    """`2018年7月` for a month index."""
    return f"{index // 12}年{index % 12 + 1}月"


def months_between(start: date, end: date) -> int:
    """Whole months from `start` to `end` (negative when `end` is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and end.day < start.day:
        months -= 1
    elif months < 0 and end.day > start.day:
        months += 1
    return months


def full_years(start: date, end: date) -> int:
    """Completed years from `start` to `end`, as an age is counted; 0 when `end` is earlier."""
    return max(0, months_between(start, end)) // 12


def whole_years_to_year_end(
    start: date, year: int, *, break_months: int = 0, months_per_year: int = 12
) -> int:
    """Whole years of `months_per_year` months from `start` to 31 December of `year`.

    This is 聘任年限 (000 §5(1), 003 §3.10(3)): counted to the end of the application year,
    breaks deducted, each full 12 months one year, never below zero.
    """
    months = months_between(start, date(year + 1, 1, 1)) - break_months
    return max(0, months) // months_per_year


def span_of(start: date, end: date | None, until: date) -> MonthSpan:
    """The month span of a period; an open end (至今) runs to `until`."""
    return month_index(start), month_index(end if end is not None else until)


def overlap_months(a: MonthSpan, b: MonthSpan) -> int:
    """Months two spans share beyond a common boundary month (0 when they only touch)."""
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def overlapping_pairs(spans: Sequence[MonthSpan]) -> list[tuple[int, int]]:
    """Index pairs `(i, j)`, `i < j`, of spans that overlap by more than a boundary month."""
    order = sorted(range(len(spans)), key=lambda i: spans[i])
    pairs: list[tuple[int, int]] = []
    for pos, i in enumerate(order):
        for j in order[pos + 1 :]:
            if spans[j][0] >= spans[i][1]:
                break
            if overlap_months(spans[i], spans[j]) > 0:
                pairs.append((min(i, j), max(i, j)))
    return sorted(pairs)


def gaps(spans: Sequence[MonthSpan]) -> list[MonthSpan]:
    """Months between the earliest start and the latest end that no span covers."""
    holes: list[MonthSpan] = []
    covered_to: int | None = None
    for start, end in sorted(spans):
        if covered_to is not None and start > covered_to + 1:
            holes.append((covered_to + 1, start - 1))
        covered_to = end if covered_to is None else max(covered_to, end)
    return holes


def covered_months(spans: Sequence[MonthSpan]) -> int:
    """Months covered by at least one span (the union, not the sum)."""
    total = 0
    covered_to: int | None = None
    for start, end in sorted(spans):
        if end < start:
            continue
        if covered_to is None or start > covered_to:
            total += end - start + 1
            covered_to = end
        elif end > covered_to:
            total += end - covered_to
            covered_to = end
    return total


def reaches_age_by(birth: date, years: int, extra_months: int, by: date) -> bool:
    """Whether someone born on `birth` reaches `years` years plus `extra_months` on or before `by`."""
    return months_between(birth, by) >= years * 12 + extra_months
