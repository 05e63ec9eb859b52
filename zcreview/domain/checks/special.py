"""DRUG-EDU, DRUG-MID, DIRECT-ENG, EARLY-MENG, CHANGE-SERIES: rules of particular routes."""

from __future__ import annotations

from collections.abc import Iterator

from zcreview.domain.checks.base import CheckContext, CheckResult, Reporter, check
from zcreview.domain.checks.common import (
    NONE_TITLE,
    current_title,
    missing_recent_years,
    schooling_group,
    title_level,
    years_text,
    ym,
)
from zcreview.domain.checks.continuing_education import ce_years_present
from zcreview.domain.checks.dates import full_years, whole_years_to_year_end
from zcreview.domain.checks.direct import applies_directly
from zcreview.domain.checks.seniority import early_master

_ASSISTANT = "助理级"
_CHANGE_METHOD = "改系列"
_CHANGE_EXCEPTIONAL = "改系列破格"


def _drug_applies(ctx: CheckContext) -> bool:
    return ctx.app.basic.series == ctx.config.thresholds.drug.series


@check("DRUG-EDU", "药品技术学历专业", "000 §1(1)")
def drug_edu(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    if not _drug_applies(ctx):
        return
    keywords = ctx.config.thresholds.drug.major_keywords
    edu = ctx.app.education
    for key, rec in (("basis", edu.basis), ("full_time", edu.full_time)):
        if rec is not None and any(k in rec.major for k in keywords):
            yield r.ok(f"学历专业“{rec.major}”属药学、药品工程相关专业", f"education.{key}.major")
            return
    yield r.warn(
        f"药品技术系列学历限药学、药品工程相关或相近专业，评审依据学历专业为“{edu.basis.major}”，"
        "请核实是否为相近专业",
        "education.basis.major",
    )


@check("DRUG-MID", "药品技术中级（大专）年限", "000 §1(1)")
def drug_mid(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    rule = ctx.config.thresholds.drug.mid
    b = ctx.app.basic
    if not _drug_applies(ctx) or b.level != rule.level:
        return
    if schooling_group(ctx.config, ctx.app.education.basis) not in rule.education:
        return  # The 学历 itself (大学专科) decides here, not a degree.
    ok = True
    assistant = next(
        (
            (i, t)
            for i, t in enumerate(ctx.app.titles)
            if title_level(ctx.config, t, b.series) == _ASSISTANT
        ),
        None,
    )
    if assistant is None:
        ok = False
        yield r.unknown("未找到助理级职称，无法核对取得助理级后满6年", "titles")
    else:
        i, t = assistant
        since = t.obtained_on or t.qualification_on
        if since is None:
            ok = False
            yield r.unknown(f"未填写取得“{t.title}”的时间", f"titles[{i}].obtained_on")
        else:
            years = whole_years_to_year_end(since, ctx.year)
            if years < rule.years_since_assistant:
                ok = False
                yield r.fail(
                    f"大专学历申报药品技术中级，取得助理级职称后须满{rule.years_since_assistant}年，"
                    f"自{ym(since)}至{ctx.year}年底仅{years}年",
                    f"titles[{i}].obtained_on",
                )
    ce_missing = missing_recent_years(
        ce_years_present(ctx), ctx.year, rule.ce_years, current_optional=True
    )
    if ce_missing:
        ok = False
        yield r.fail(
            f"须有近{rule.ce_years}年继续教育，缺少{years_text(ce_missing)}", "continuing_education"
        )
    optional = ctx.config.thresholds.assessment.current_year_optional
    grades = {a.year: a.grade.strip() for a in ctx.app.assessments}
    missing = missing_recent_years(
        set(grades), ctx.year, rule.assessment_years, current_optional=optional
    )
    window = range(ctx.year - rule.assessment_years, ctx.year + 1)
    failing = [y for y in window if y in grades and grades[y] not in ctx.prep.passing_grades]
    if missing or failing:
        ok = False
        parts = [f"缺少{years_text(missing)}"] if missing else []
        parts += [f"{y}年度为“{grades[y]}”" for y in failing]
        yield r.fail(
            f"须近{rule.assessment_years}年年度考核均为合格（称职）以上：{'，'.join(parts)}",
            "assessments",
        )
    if ok:
        yield r.ok(
            f"取得助理级后满{rule.years_since_assistant}年，继续教育和考核满{rule.ce_years}年",
            "titles",
        )


@check("DIRECT-ENG", "企业工程技术人才直接申报", "002 §14")
def direct_eng(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    if not applies_directly(ctx):
        return
    rules = ctx.config.thresholds.direct_eng
    b = ctx.app.basic
    needs = [(n, g) for g in ctx.edu_groups if (n := rules.years_required(b.level, g)) is not None]
    routes = "；".join(
        f"{'/'.join(rule.education)}满{rule.years}年"
        for rule in rules.rules
        if rule.level == b.level
    )
    if not needs:
        yield r.fail(
            f"直接申报{b.title}的学历要求为：{routes}；评审依据学历“{ctx.app.education.basis.education}”"
            "不符合",
            "education.basis.education",
        )
        return
    years, group = min(needs)
    if b.professional_years < years:
        yield r.fail(
            f"{group}学历直接申报{b.title}须从事相关专业工程技术工作满{years}年，"
            f"专业工作年限为{b.professional_years}年",
            "basic.professional_years",
        )
    else:
        yield r.ok(
            f"{group}学历、专业工作年限{b.professional_years}年，符合直接申报{b.title}（{routes}）",
            "basic.professional_years",
        )


@check("EARLY-MENG", "工程类专业学位硕士提前1年", "000 §4(5)")
def early_meng(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    early = early_master(ctx)
    if early is None or early.normal is None:
        return
    t = current_title(ctx.app)
    if t is None:
        return  # no title to count seniority from: the direct routes decide (DIRECT-ENG)
    b = ctx.app.basic
    rec, k = early.record, early.years_early
    major = f"education.{early.key}.major"
    if early.held is None:
        yield r.unknown("未填写获得现职称（职业资格）时间，无法判断是否提前申报", "titles[0]")
        return
    if early.held >= early.normal:
        return  # normal seniority: 000 §4(5) ties the degree only to applying early
    held = f"任现职至{ctx.year}年底{early.held}年，正常须满{early.normal}年"
    if not early.is_early:
        yield r.fail(
            f"工程类专业学位硕士可提前{k}年申报，仍须任现职满{early.normal - k}年；{held}",
            "titles[0].obtained_on",
        )
        return
    category = b.specialty_category or b.series
    if early.matches:
        yield r.ok(
            f"提前{k}年申报（{held}）：专业学位“{rec.major}”与拟评审专业“{b.current_specialty}”"
            f"同属{category}",
            major,
        )
    else:
        yield r.warn(
            f"提前{k}年申报（{held}），但专业学位“{rec.major}”不在拟评审专业“{b.current_specialty}”"
            f"所属的{category}之中；专业学位与拟评审工程类职称专业一致的才可提前{k}年申报，请核实",
            major,
            "basic.current_specialty",
        )


@check("CHANGE-SERIES", "改系列申报条件", "002 §10")
def change_series(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    b = ctx.app.basic
    if b.method != _CHANGE_METHOD and b.exceptional != _CHANGE_EXCEPTIONAL:
        return
    t = current_title(ctx.app)
    if t is None or t.title.strip() == NONE_TITLE:
        yield r.fail("改系列申报须有现专业技术职称", "titles")
        return
    ok = True
    held = title_level(ctx.config, t, t.series or b.series)
    if b.method == _CHANGE_METHOD:
        if held is None:
            ok = False
            yield r.unknown(f"无法确定现职称“{t.title}”的级别", "titles[0].level")
        elif held != b.level:
            ok = False
            yield r.fail(
                f"改系列申报的职称应与原职称同层级：现职称为{held}，申报{b.level}",
                "basic.level",
                "titles[0].level",
            )
    if t.series and t.series == b.series:
        ok = False
        yield r.warn(f"申报系列与现职称系列同为“{b.series}”，不属于改系列", "basic.series")
    start = t.appointed_on
    source = "titles[0].appointed_on"
    if start is None:
        current = [i for i, w in enumerate(ctx.app.work_history) if w.end is None]
        if current:
            start = ctx.app.work_history[current[-1]].start
            source = f"work_history[{current[-1]}].start"
    need = ctx.config.thresholds.change_series.min_years_in_post
    if start is None:
        ok = False
        yield r.unknown("未填写聘任时间，也无当前工作经历，无法核对在现岗位工作年限", source)
    elif (years := full_years(start, ctx.reference_date)) < need:
        ok = False
        yield r.fail(
            f"改系列须在现聘专业技术岗位上工作{need}年以上，自{ym(start)}至{ym(ctx.reference_date)}"
            f"仅{years}年",
            source,
        )
    levels = ctx.prep.level_index
    mine = levels.get(b.level, len(levels))
    higher = [
        p
        for p in ctx.peers
        if p.year == ctx.year
        and p.application_kind == b.application_kind
        and p.level is not None
        and levels.get(p.level, len(levels)) < mine
    ]
    if higher:
        ok = False
        yield r.fail(
            f"改系列当年度不得申报高一级职称，{ctx.year}年度另有{higher[0].level}申报",
            "basic.method",
        )
    if ok:
        yield r.ok(f"改系列：与现职称同为{held}，在现岗位满{need}年", "basic.method")
