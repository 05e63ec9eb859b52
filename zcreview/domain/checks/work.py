"""WORK-START, PRO-YEARS, WORK-MAX, WORK-GAP, WORK-FMT, SUMMARY-LEN: 工作经历 and 工作总结."""

from __future__ import annotations

from collections.abc import Iterator

from zcreview.domain.checks.base import CheckContext, CheckResult, Reporter, check
from zcreview.domain.checks.common import ym
from zcreview.domain.checks.dates import (
    MonthSpan,
    covered_months,
    full_years,
    month_index,
    month_label,
    span_of,
)

_FULLWIDTH_SEPARATORS = ("／", "\\", "-", "—", "－", "|")


@check("WORK-START", "参加工作时间与工作经历一致", "000 §3(3)")
def work_start(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    rows = ctx.app.work_history
    start = ctx.app.basic.work_start
    if not rows:
        yield r.unknown("未填写工作经历，无法核对参加工作时间", "basic.work_start", "work_history")
        return
    first = min(range(len(rows)), key=lambda i: rows[i].start)
    if month_index(rows[first].start) != month_index(start):
        yield r.fail(
            f"参加工作时间{ym(start)}与工作经历第一条的开始时间{ym(rows[first].start)}不一致"
            "（在校期间实习不算）",
            "basic.work_start",
            f"work_history[{first}].start",
        )
    else:
        yield r.ok(f"参加工作时间{ym(start)}与工作经历一致", "basic.work_start")


@check("PRO-YEARS", "专业工作年限", "000 §3(4), 003 §3.8")
def pro_years(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    b = ctx.app.basic
    ref = ctx.reference_date
    claimed = b.professional_years
    since_start = full_years(b.work_start, ref)
    if claimed > since_start:
        yield r.fail(
            f"专业工作年限填{claimed}年，但自参加工作时间{ym(b.work_start)}至{ym(ref)}"
            f"仅满{since_start}年",
            "basic.professional_years",
            "basic.work_start",
        )
        return
    rows = ctx.app.work_history
    if not rows:
        yield r.unknown(
            "未填写工作经历，无法核对扣除间断后的专业工作年限", "basic.professional_years"
        )
        return
    end = month_index(ref)
    spans = [
        (s, min(e, end))
        for s, e in (span_of(w.start, w.end, ref) for w in rows if w.professional)
        if s <= end
    ]
    months = covered_months(spans)
    if claimed > months // 12:
        yield r.warn(
            f"专业工作年限填{claimed}年，工作经历中从事专业技术工作的时间累计{months // 12}年"
            f"{months % 12}个月；间断及未从事专业技术工作的时间应扣除",
            "basic.professional_years",
            "work_history",
        )
    else:
        yield r.ok(
            f"专业工作年限{claimed}年，不超过工作经历中的专业技术工作时间（{months // 12}年"
            f"{months % 12}个月）",
            "basic.professional_years",
        )


@check("WORK-MAX", "工作经历不超过规定条数", "000 §10")
def work_max(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    rows = ctx.app.work_history
    limit = ctx.config.thresholds.work.max_rows
    if len(rows) > limit:
        yield r.fail(
            f"工作经历{len(rows)}条，最多{limit}条；同一单位不同岗位可合并",
            *(f"work_history[{i}]" for i in range(limit, len(rows))),
        )
    else:
        yield r.ok(f"工作经历{len(rows)}条，不超过{limit}条", "work_history")


@check("WORK-GAP", "工作经历连贯", "000 §10, 003 §3.15")
def work_gap(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    rows = ctx.app.work_history
    if not rows:
        return
    ref = ctx.reference_date
    ok = True
    spans = []
    for i, w in enumerate(rows):
        if w.end is not None and w.end < w.start:
            ok = False
            yield r.fail(
                f"第{i + 1}条工作经历结束时间{ym(w.end)}早于开始时间{ym(w.start)}",
                f"work_history[{i}].end",
            )
        spans.append(span_of(w.start, w.end, ref))
    holes, runs = _gaps_and_overlaps([(s, i) for i, s in enumerate(spans) if s[0] <= s[1]])
    for hole, before, after in holes:
        ok = False
        yield r.fail(
            f"工作经历在{month_label(hole[0])}至{month_label(hole[1])}间断"
            f"（第{before + 1}条至第{after + 1}条之间），应连续填写",
            f"work_history[{before}].end",
            f"work_history[{after}].start",
        )
    for run in runs:
        ok = False
        if len(run) == 2:
            a, b = run
            yield r.fail(
                f"第{a + 1}条与第{b + 1}条工作经历时间重叠"
                f"（{ym(rows[a].start)}起与{ym(rows[b].start)}起）",
                f"work_history[{a}]",
                f"work_history[{b}]",
            )
            continue
        named = run[:_MAX_NAMED]
        more = f"等{len(run)}条" if len(run) > len(named) else ""
        first = min(run, key=lambda i: spans[i][0])
        yield r.fail(
            f"第{'、'.join(str(i + 1) for i in named)}条{more}工作经历时间相互重叠"
            f"（{ym(rows[first].start)}起）",
            *(f"work_history[{i}]" for i in named),
        )
    last = max(range(len(rows)), key=lambda i: spans[i][1])
    last_end = rows[last].end
    if last_end is not None and spans[last][1] < month_index(ref) - 1:
        ok = False
        yield r.warn(
            f"最后一条工作经历于{ym(last_end)}结束，其后至今没有记录",
            f"work_history[{last}].end",
        )
    if ok:
        yield r.ok(f"{len(rows)}条工作经历连续，无间断、无重叠", "work_history")


_MAX_NAMED = 10
"""Rows named in one overlap result; a run of more is summarised by its count."""


def _gaps_and_overlaps(
    valid: list[tuple[MonthSpan, int]],
) -> tuple[list[tuple[MonthSpan, int, int]], list[list[int]]]:
    """Holes (span, row before, row after) and overlap runs (row indices), in one sorted pass.

    A run is a cluster of rows each overlapping an earlier one by more than a boundary month:
    it is reported once, not once per pair, so the work and the output stay linear in rows.
    """
    holes: list[tuple[MonthSpan, int, int]] = []
    runs: list[list[int]] = []
    order = sorted(valid, key=lambda v: (v[0][0], v[1]))
    run: list[int] = []
    members: set[int] = set()
    reach: int | None = None  # the row reaching furthest so far (lowest index among equals)
    covered_to = 0
    for (start, end), i in order:
        if run and start >= covered_to:  # nothing before can overlap this row: the run is over
            runs.append(sorted(run))
            run, members = [], set()
        if reach is not None and start < covered_to and end > start:
            # Overlapping any earlier row means overlapping the one reaching furthest.
            if reach not in members:
                run.append(reach)
                members.add(reach)
            run.append(i)
            members.add(i)
        if reach is not None and start > covered_to + 1:
            holes.append(((covered_to + 1, start - 1), reach, i))
        if reach is None or end > covered_to:
            reach, covered_to = i, end
        elif end == covered_to and i < reach:
            reach = i
    if run:
        runs.append(sorted(run))
    return holes, sorted(runs)


@check("WORK-FMT", "“单位/部门/职称”格式", "003 §3.15(1)")
def work_fmt(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    rows = ctx.app.work_history
    if not rows:
        return
    rule = ctx.config.thresholds.work
    ok = True
    for i, w in enumerate(rows):
        text = w.unit_dept_post.strip()
        parts = text.split(rule.separator)
        if len(parts) == rule.parts and all(p.strip() for p in parts):
            continue
        ok = False
        used = next((s for s in _FULLWIDTH_SEPARATORS if s in text), None)
        hint = f"，请用“{rule.separator}”分隔而不是“{used}”" if used and len(parts) == 1 else ""
        yield r.warn(
            f"第{i + 1}条工作经历“{text}”应写作“单位{rule.separator}部门{rule.separator}职称”"
            f"{rule.parts}段{hint}；没有职称填“无”",
            f"work_history[{i}].unit_dept_post",
        )
    if ok:
        yield r.ok(
            f"工作经历均为“单位{rule.separator}部门{rule.separator}职称”格式", "work_history"
        )


@check("SUMMARY-LEN", "工作总结字数", "000 §12")
def summary_len(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    text = ctx.app.work_summary
    limit = ctx.config.thresholds.summary.max_chars
    # 字数 counts what is written, not line breaks and spaces.
    n = len("".join(text.split()))
    if n == 0:
        yield r.warn("未填写任现职以来主要专业技术工作成绩及表现", "work_summary")
    elif n > limit:
        yield r.fail(f"工作总结{n}字，超过{limit}字", "work_summary")
    else:
        yield r.ok(f"工作总结{n}字，不超过{limit}字", "work_summary")
