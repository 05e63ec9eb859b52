"""EDU-CHSI, EDU-REPORT, EDU-SPECIAL: the 评审依据学历 and its proofs."""

from __future__ import annotations

import re
from collections.abc import Iterator

from zcreview.domain.checks.base import CheckContext, CheckResult, Reporter, check
from zcreview.domain.checks.common import PARTY_SCHOOL, has_kind
from zcreview.domain.thresholds import EduSpecial

# The 学信网 online verification code: letters and digits (16 on current reports).
_CHSI_RE = re.compile(r"^[A-Za-z0-9]{8,20}$")


def _report_words(kind: str) -> tuple[str, ...]:
    """Words that name a proof in a file name: the kind, and the kind without its 学历 prefix
    (教育部学历证书电子注册**备案表**, 中国高等教育学历**认证报告**)."""
    core = kind.removeprefix("学历")
    return (kind, core) if core != kind and len(core) >= 3 else (kind,)


def _years(first: int, last: int) -> str:
    """`2001年` or `1999—2001年`."""
    return f"{first}年" if first == last else f"{first}—{last}年"


@check("EDU-CHSI", "评审依据学历须有学信网验证码", "000 §4(1)")
def edu_chsi(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    rec = ctx.app.education.basis
    code = (rec.chsi_code or "").strip()
    path = "education.basis.chsi_code"
    if not code:
        if PARTY_SCHOOL in rec.education or PARTY_SCHOOL in rec.school:
            yield r.warn(
                "党校学历未填写学信网验证码，应上传党校学历证书电子注册备案表或查询截图", path
            )
        else:
            yield r.fail("评审依据学历未填写学信网验证码，必须填写有效期内的验证码", path)
    elif not _CHSI_RE.match(code):
        yield r.warn(f"学信网验证码“{code}”格式异常，应为字母和数字组成的在线验证码", path)
    else:
        yield r.ok(f"已填写学信网验证码{code}", path)


@check("EDU-REPORT", "学历备案表或认证报告", "000 §4(6)")
def edu_report(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    rule = ctx.config.thresholds.edu_report
    rec = ctx.app.education.basis
    grad = rec.graduated_on.year
    path = "education.basis.attachments"
    newer = grad >= rule.switch_year
    expected, other = rule.record_kind, rule.report_kind
    if not newer:
        expected, other = other, expected
    when = f"{grad}年毕业（{rule.switch_year}年{'及以后' if newer else '以前'}）"
    if not rec.attachments:
        yield r.fail(f"{when}，应上传{expected}，评审依据学历未上传任何附件", path)
    elif has_kind(rec.attachments, _report_words(expected)):
        yield r.ok(f"{when}，已上传{expected}", path)
    elif has_kind(rec.attachments, _report_words(other)):
        if newer:
            yield r.warn(f"{when}应提供{expected}，附件为{other}", path)
        elif grad >= rule.record_also_from:
            # 000 §4(6)1 注: "部分2001年毕业的也有备案表" — that year only.
            yield r.ok(f"{when}，已上传{other}（部分{grad}年毕业的也有备案表）", path)
        else:
            yield r.warn(
                f"{when}应提供{expected}，附件为{other}；"
                f"{expected}适用于{rule.switch_year}年以前毕业的，"
                f"只有部分{_years(rule.record_also_from, rule.switch_year - 1)}毕业的也有{other}",
                path,
            )
    else:
        yield r.unknown(f"{when}应有{expected}，附件名称未标明，请在附件中查看", path)


@check("EDU-SPECIAL", "特殊学历名称", "003 §3.9")
def edu_special(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    specials = ctx.config.thresholds.edu_special
    party_names = ctx.prep.party_levels
    for key in ("full_time", "basis"):
        rec = getattr(ctx.app.education, key)
        if rec is None:
            continue
        path = f"education.{key}.education"
        grad = rec.graduated_on.year
        for sp in specials:
            if sp.name == PARTY_SCHOOL:
                in_school = PARTY_SCHOOL in rec.school
                in_name = PARTY_SCHOOL in rec.education
                if in_school and not in_name:
                    yield r.fail(f"毕业院校为党校，学历填“{rec.education}”；{sp.note}", path)
                elif in_name and party_names and rec.education not in party_names:
                    yield r.warn(f"学历“{rec.education}”不规范；{sp.note}", path)
                elif in_name or in_school:
                    yield r.ok(f"党校学历填写为“{rec.education}”", path)
                continue
            if sp.name not in rec.education:
                continue
            yield _special_name(r, sp, rec.education, grad, key)


def _special_name(r: Reporter, sp: EduSpecial, education: str, grad: int, key: str) -> CheckResult:
    """A special 学历 name against its enrolment window (003 §3.9).

    The form has no enrolment date, but the graduation year bounds it: a course of
    `course_years_min`–`course_years_max` years that ended in `grad` began between
    `grad - max` and `grad - min`. When no year of that range is in the window, the name does
    not fit; otherwise only the certificate can tell, and the message says what to look at.
    """
    path = f"education.{key}.education"
    span = f"{sp.enrolled_from}—{sp.enrolled_to}年"
    if sp.enrolled_from is not None and grad < sp.enrolled_from:
        return r.fail(
            f"学历“{education}”限{span}入学（{sp.note}），但毕业时间为{grad}年",
            path,
            f"education.{key}.graduated_on",
        )
    low, high = sp.course_years_min, sp.course_years_max
    if low is None or high is None:
        if sp.enrolled_to is not None and grad > sp.enrolled_to:
            return r.unknown(
                f"学历“{education}”限{span}入学，毕业于{grad}年，表中无入学时间，请核实", path
            )
        return r.ok(f"学历“{education}”与{grad}年毕业相符", path)
    first, last = grad - high, grad - low
    length = f"学制{low}—{high}年" if low != high else f"学制{low}年"
    too_early = sp.enrolled_from is not None and last < sp.enrolled_from
    too_late = sp.enrolled_to is not None and first > sp.enrolled_to
    if too_early or too_late:
        return r.warn(
            f"学历“{education}”限{span}入学（{sp.note}）；{grad}年毕业、{length}，"
            f"入学应在{_years(first, last)}，不在{span}之中",
            path,
            f"education.{key}.graduated_on",
        )
    return r.ok(
        f"学历“{education}”：{grad}年毕业、{length}，入学可在{span}之中；"
        f"请在毕业证书上核对入学时间（{sp.note}）",
        path,
    )
