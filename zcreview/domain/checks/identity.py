"""ID-CARD, RANK-FMT, UNIT-CODE: identity numbers and `k/n` fields."""

from __future__ import annotations

from collections.abc import Iterator

from zcreview.domain.checks.base import CheckContext, CheckResult, Reporter, check
from zcreview.domain.checks.common import ymd
from zcreview.domain.checks.validators import (
    id_birth_date,
    id_gender,
    parse_rank,
    rank_problem,
    validate_credit_code,
    validate_id_number,
)


@check("ID-CARD", "身份证号校验", "GB 11643")
def id_card(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    b = ctx.app.basic
    problem = validate_id_number(b.id_number)
    if problem:
        yield r.fail(problem, "basic.id_number")
        return
    born = id_birth_date(b.id_number)
    gender = id_gender(b.id_number)
    ok = True
    if born != b.birth_date and born is not None:
        ok = False
        yield r.fail(
            f"身份证号中的出生日期为{ymd(born)}，与填写的出生日期{ymd(b.birth_date)}不一致",
            "basic.id_number",
            "basic.birth_date",
        )
    if gender != b.gender:
        ok = False
        yield r.fail(
            f"身份证号第17位表示性别为{gender}，与填写的性别{b.gender}不一致",
            "basic.id_number",
            "basic.gender",
        )
    if ok:
        yield r.ok("身份证号校验码正确，出生日期、性别与填写一致", "basic.id_number")


_RANK_OK: dict[str, bool] = {}
"""`k/n` value → whether `parse_rank` accepts it. The values are few (1/1, 1/3, 2/5 …)."""


def _rank_ok(value: str) -> bool:
    ok = _RANK_OK.get(value)
    if ok is None:
        if len(_RANK_OK) > 4096:
            _RANK_OK.clear()
        ok = _RANK_OK[value] = parse_rank(value) is not None
    return ok


@check("RANK-FMT", "推荐排序与位次格式", "003 §3.2, 000 §11(3)")
def rank_fmt(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    app = ctx.app
    # A remembered verdict is the fast path; messages are built only for a bad value.
    ok = True
    if not _rank_ok(app.basic.unit_rank):
        ok = False
        yield r.fail(f"单位推荐排序{rank_problem(app.basic.unit_rank)}", "basic.unit_rank")
    for i, a in enumerate(app.achievements):
        if not _rank_ok(a.rank):
            ok = False
            yield r.fail(
                f"第{i + 1}条代表性成果的位次{rank_problem(a.rank)}", f"achievements[{i}].rank"
            )
    if ok:
        yield r.ok(f"单位推荐排序和{len(app.achievements)}个位次均为“k/n”格式", "basic.unit_rank")


_UNSEEN = "unseen"
_CODE_PROBLEMS: dict[str, str | None] = {}
"""统一社会信用代码 → `validate_credit_code`: one unit recommends many applicants."""


@check("UNIT-CODE", "统一社会信用代码", "003 §4.4, GB 32100")
def unit_code(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    code = ctx.app.basic.applying_unit_code
    if not code:
        yield r.unknown("未提供申报单位的统一社会信用代码", "basic.applying_unit_code")
        return
    problem = _CODE_PROBLEMS.get(code, _UNSEEN)
    if problem is _UNSEEN:
        if len(_CODE_PROBLEMS) > 4096:
            _CODE_PROBLEMS.clear()
        problem = _CODE_PROBLEMS[code] = validate_credit_code(code)
    if problem:
        yield r.fail(problem, "basic.applying_unit_code")
    else:
        yield r.ok(f"统一社会信用代码{code}校验通过", "basic.applying_unit_code")
