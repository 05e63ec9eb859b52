"""TITLE-TIME, TITLE-NONE, APPT-YEARS, APPT-PUBLIC: the current title and its appointment."""

from __future__ import annotations

from collections.abc import Iterator

from zcreview.domain.checks.base import CheckContext, CheckResult, Reporter, check
from zcreview.domain.checks.common import (
    APPOINTMENT_FORM,
    APPOINTMENT_FORM_WORDS,
    NONE_TITLE,
    PUBLIC_INSTITUTION,
    current_title,
    has_kind,
    ym,
)
from zcreview.domain.checks.dates import month_index, whole_years_to_year_end
from zcreview.domain.checks.direct import without_title

# Ways of obtaining a title that are not a review, so the review-date rule does not apply.
_NOT_REVIEWED = ("职称考试", "考核认定")


@check("TITLE-TIME", "获得现职称时间的填法", "000 §5(1)")
def title_time(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    t = current_title(ctx.app)
    if t is None or t.title == NONE_TITLE or not t.issued_in_shandong:
        return
    if t.obtained_by in _NOT_REVIEWED:
        return
    switch = ctx.config.thresholds.title_time.switch_on
    path = "titles[0].obtained_on"
    if t.obtained_on is None:
        yield r.unknown("未填写获得现职称时间", path)
        return
    decided_by = t.passed_on or t.obtained_on
    if decided_by >= switch:
        if t.passed_on is None:
            yield r.unknown(
                f"获得时间{ym(t.obtained_on)}在{ym(switch)}以后，但未填写评审通过时间，"
                "无法核对是否按评审通过之日填写",
                path,
            )
        elif month_index(t.obtained_on) != month_index(t.passed_on):
            yield r.fail(
                f"{ym(switch)}以后评审的职称从评审通过之日起算，应填{ym(t.passed_on)}，"
                f"表中为{ym(t.obtained_on)}",
                path,
                "titles[0].passed_on",
            )
        else:
            yield r.ok(f"按评审通过时间{ym(t.passed_on)}填写", path)
    elif t.passed_on is not None and t.obtained_on < t.passed_on:
        yield r.fail(
            f"{ym(switch)}以前的证书按公布（生效）时间起算，生效时间{ym(t.obtained_on)}"
            f"不应早于评审通过时间{ym(t.passed_on)}",
            path,
            "titles[0].passed_on",
        )
    else:
        yield r.ok(f"{ym(switch)}以前的证书，按公布（生效）时间{ym(t.obtained_on)}填写", path)


@check("TITLE-NONE", "以职业资格申报时现职称填“无”", "000 §5(2), 003 §3.10")
def title_none(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    t = current_title(ctx.app)
    if (t is None or t.title.strip() == NONE_TITLE) and without_title(ctx):
        # 002 §14: the green channel is for people with no title; 003 §3.10(1) lets them write 无
        # without any 职业资格.
        yield r.ok(
            "直接申报（002 §14），无现专业技术职称，不需填写职业资格",
            "titles" if t is None else "titles[0].title",
        )
        return
    if t is None:
        yield r.fail("未填写现专业技术职称或职业资格", "titles")
        return
    has_qual = bool((t.qualification or "").strip())
    is_none = t.title.strip() == NONE_TITLE
    if not has_qual and not is_none:
        return
    if has_qual and not is_none:
        yield r.fail(
            f"以职业资格“{t.qualification}”为评审依据的，现专业技术职称应填“无”，表中为“{t.title}”",
            "titles[0].title",
            "titles[0].qualification",
        )
    elif is_none and not has_qual:
        yield r.fail(
            "现专业技术职称为“无”，但未填写作为评审依据的职业资格", "titles[0].qualification"
        )
    elif t.qualification_on is None:
        yield r.fail(f"未填写获得职业资格“{t.qualification}”的时间", "titles[0].qualification_on")
    elif t.level or t.series or t.obtained_on:
        yield r.warn(
            "以职业资格申报的，现专业技术职称填“无”，职称级别、系列、获得时间等其他项不填",
            "titles[0].level",
        )
    else:
        yield r.ok(f"以职业资格“{t.qualification}”申报，现专业技术职称填“无”", "titles[0].title")


@check("APPT-YEARS", "聘任年限计算", "000 §5(1), 003 §3.10(3)")
def appt_years(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    t = current_title(ctx.app)
    if t is None or (t.appointed_on is None and t.appointed_years is None):
        return
    if t.appointed_on is None:
        yield r.unknown(
            f"填写了聘任年限{t.appointed_years}年，但未填写聘任时间", "titles[0].appointed_on"
        )
        return
    per_year = ctx.config.thresholds.appointment.months_per_year
    expected = whole_years_to_year_end(
        t.appointed_on, ctx.year, break_months=t.appointment_break_months, months_per_year=per_year
    )
    basis = f"自{ym(t.appointed_on)}聘任计算到{ctx.year}年12月31日"
    if t.appointment_break_months:
        basis += f"、扣除中断{t.appointment_break_months}个月"
    basis += f"，每满{per_year}个月计1年"
    if t.appointed_years is None:
        yield r.unknown(f"未填写聘任年限（{basis}应为{expected}年）", "titles[0].appointed_years")
    elif t.appointed_years != expected:
        yield r.fail(
            f"聘任年限填{t.appointed_years}年，{basis}应为{expected}年",
            "titles[0].appointed_years",
            "titles[0].appointed_on",
        )
    else:
        yield r.ok(f"聘任年限{expected}年（{basis}）", "titles[0].appointed_years")


@check("APPT-PUBLIC", "事业单位聘任信息与聘用审批表", "000 §5(1)")
def appt_public(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    if ctx.app.basic.unit_nature != PUBLIC_INSTITUTION:
        return
    t = current_title(ctx.app)
    if t is None:
        yield r.fail("事业单位申报人未填写现专业技术职称及聘任信息", "titles")
        return
    missing = [
        (label, path)
        for label, path, value in (
            ("现聘职务", "titles[0].post", t.post),
            ("聘任时间", "titles[0].appointed_on", t.appointed_on),
            ("聘任年限", "titles[0].appointed_years", t.appointed_years),
        )
        if value is None or value == ""
    ]
    if missing:
        yield r.fail(
            f"事业单位必填{'、'.join(label for label, _ in missing)}",
            *(path for _, path in missing),
        )
    if not has_kind([*t.attachments, *ctx.app.other_attachments], APPOINTMENT_FORM_WORDS):
        yield r.fail(
            f"事业单位须上传《事业单位专业技术人员{APPOINTMENT_FORM}》扫描件",
            "titles[0].attachments",
        )
    elif not missing:
        yield r.ok("现聘职务、聘任时间、聘任年限已填写，已上传聘用审批表", "titles[0].post")
