"""MAJOR-OTHER, WORKUNIT, ENTRUST, SOCIAL-UNIT: the 基本信息 fields with rules of their own."""

from __future__ import annotations

from collections.abc import Iterator

from zcreview.domain.checks.base import CheckContext, CheckResult, Reporter, check
from zcreview.domain.checks.common import has_kind, norm_unit, same_unit

ENTRUST_PROOF = "委托评审证明材料"
DISPATCH_PROOF = "派遣协议"


@check("MAJOR-OTHER", "现从事专业须从列表选择", "000 §3(1)")
def major_other(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    b = ctx.app.basic
    cat = ctx.config.catalogue
    other = cat.choices.other_specialty
    specialty = b.current_specialty.strip()
    categories, choice_set, choices = ctx.prep.specialties(
        ctx.config, b.series, b.specialty_category
    )
    if categories and b.specialty_category not in categories:
        shown = b.specialty_category or "未填写"
        yield r.fail(
            f"专业类别“{shown}”不在{b.series}的专业类别中，应从{'、'.join(categories)}中选择",
            "basic.specialty_category",
        )
        return
    if not specialty or specialty.startswith(other):
        yield r.fail(
            f"现从事专业为“{specialty or '未填写'}”，应从下拉列表选择，不得选“{other}”任意填写",
            "basic.current_specialty",
        )
        return
    if choices and specialty not in choice_set:
        yield r.warn(
            f"现从事专业“{specialty}”不在目录的{b.specialty_category or b.series}专业中"
            f"（如{'、'.join(choices[:4])}等），请核实是否为平台列表中的选项",
            "basic.current_specialty",
        )
    else:
        yield r.ok(f"现从事专业“{specialty}”为列表选项", "basic.current_specialty")


@check("WORKUNIT", "非工作单位须填写工作单位", "003 §3.6")
def work_unit(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    b = ctx.app.basic
    if b.is_work_unit:
        return
    if not (b.work_unit or "").strip():
        yield r.fail(
            "“是否是工作单位”为否，但未填写实际受聘的“工作单位”（人事代理或劳务派遣单位）",
            "basic.work_unit",
        )
    else:
        yield r.ok(f"已填写工作单位“{b.work_unit}”", "basic.work_unit")


@check("ENTRUST", "委托评审须附证明材料", "000 §3(5), 003 §3.7")
def entrust(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    b = ctx.app.basic
    if not b.entrusted:
        return
    if b.entrust_attachments or has_kind(ctx.app.other_attachments, (ENTRUST_PROOF,)):
        yield r.ok("委托评审，已上传委托评审证明材料", "basic.entrusted")
    else:
        yield r.fail(
            "“是否委托评审”为是，但未上传经市人社局批准的“委托评审证明材料”",
            "basic.entrusted",
            "basic.entrust_attachments",
        )


@check("SOCIAL-UNIT", "社保缴费单位与申报单位一致", "000 §3(6)")
def social_unit(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    b = ctx.app.basic
    if not norm_unit(b.social_security_unit):
        yield r.unknown("未填写社保缴费单位", "basic.social_security_unit")
        return
    if same_unit(b.social_security_unit, b.applying_unit):
        yield r.ok("社保缴费单位与申报单位一致", "basic.social_security_unit")
    elif has_kind(ctx.app.other_attachments, (DISPATCH_PROOF,)):
        yield r.ok(
            f"社保缴费单位“{b.social_security_unit}”与申报单位不同，已上传派遣协议",
            "basic.social_security_unit",
        )
    else:
        yield r.fail(
            f"社保缴费单位“{b.social_security_unit}”与申报单位“{b.applying_unit}”不一致，"
            "保险由派遣单位缴纳的应在其他附件上传派遣协议",
            "basic.social_security_unit",
            "basic.applying_unit",
        )
