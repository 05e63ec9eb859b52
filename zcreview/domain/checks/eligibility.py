"""ELIG-CIVIL, ELIG-RETIRE, ELIG-EXCL: who may apply at all this year."""

from __future__ import annotations

from collections.abc import Iterator

from zcreview.domain.checks.base import CheckContext, CheckResult, Reporter, check
from zcreview.domain.checks.common import ymd

# 单位性质 whose staff are usually 公务员 or 参公; a hint only, the flag on the form decides.
_CIVIL_NATURES = ("机关",)


@check("ELIG-CIVIL", "公务员及参公人员不得申报", "000 §1(2), 002 §3(4)")
def elig_civil(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    b = ctx.app.basic
    if b.civil_servant:
        yield r.fail(
            "申报人为公务员或参照公务员法管理人员，不得参加职称申报评审", "basic.civil_servant"
        )
    elif b.unit_nature in _CIVIL_NATURES:
        yield r.warn(
            f"单位性质为“{b.unit_nature}”，请核实申报人不是公务员或参照公务员法管理人员",
            "basic.unit_nature",
        )
    else:
        yield r.ok("申报人不是公务员或参公人员", "basic.civil_servant")


@check("ELIG-RETIRE", "当年达到退休年龄不得申报", "000 §1(2)")
def elig_retire(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    b = ctx.app.basic
    retirement = ctx.config.thresholds.retirement
    # The form does not say whether the post is 专技, 管理 or 工人: the configured default applies.
    day, months = ctx.prep.retirement(ctx.config, b.gender, b.birth_date)
    if day is None or months is None:
        yield r.unknown(f"退休年龄表中没有性别“{b.gender}”的年龄", "basic.gender")
        return
    age = f"{months // 12}岁" + (f"{months % 12}个月" if months % 12 else "")
    if day <= ctx.year_end:
        yield r.fail(
            f"出生于{ymd(b.birth_date)}，按{retirement.default_post}岗位退休年龄{age}，"
            f"于{ymd(day)}达到退休年龄，在{ctx.year}年12月31日以前，不得申报",
            "basic.birth_date",
        )
    else:
        yield r.ok(f"按退休年龄{age}，{ymd(day)}退休，晚于{ctx.year}年12月31日", "basic.birth_date")


@check("ELIG-EXCL", "同一年度职称申报与考核认定只能选一项", "004 §3.3")
def elig_excl(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    kind = ctx.app.basic.application_kind
    same_year = [p for p in ctx.peers if p.year == ctx.year]
    other_kind = [p for p in same_year if p.application_kind != kind]
    if other_kind:
        yield r.fail(
            f"同一身份证号{ctx.year}年度已有“{other_kind[0].application_kind}”，"
            f"与本次“{kind}”只能选一项",
            "basic.application_kind",
        )
    elif same_year:
        yield r.warn(
            f"同一身份证号{ctx.year}年度另有{len(same_year)}份“{kind}”，请核实是否重复申报",
            "basic.id_number",
        )
    else:
        yield r.ok(f"{ctx.year}年度未见同一身份证号的其他申报", "basic.application_kind")
