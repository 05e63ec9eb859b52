"""ACH-*: the 代表性成果 list: count, categories, names, dates, duplicates, serial numbers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from itertools import pairwise

from zcreview.domain.checks.base import CheckContext, CheckResult, Reporter, check
from zcreview.domain.checks.common import NONE_TITLE, current_title, ym
from zcreview.domain.checks.dates import month_index
from zcreview.domain.checks.direct import without_title
from zcreview.domain.checks.validators import cn_valid, isbn_valid, issn_valid
from zcreview.domain.model import Achievement

PAPER = "论文/著作"
AWARD = "获奖"
PATENT = "专利"
OTHER = "其他"
# Words whose kind the seed wants spelt out: a standard names its level, a 工法 its grade.
_QUALIFIED = (
    ("标准", "标准类须注明国家标准、行业标准、地方标准、团体标准或企业标准"),
    ("工法", "工法须注明级别，如“省级工法”"),
)
_DUP_STRIP_CHARS = " \t\n\u3000《》〈〉“”\"'‘’「」()（）.,，。:：;；!！?？、-—_·"
# Deleting through a character class: `str.translate` with a table looks every character of a
# Chinese name up in a dict and was several times slower.
_DUP_STRIP = re.compile("[" + "".join(re.escape(c) for c in _DUP_STRIP_CHARS) + "]")


def split_name(name: str, sep_re: re.Pattern[str]) -> tuple[str, str] | None:
    """(类型, 名称) of `类型：名称`, or None without a separator."""
    m = sep_re.search(name)
    if m is None:
        return None
    return name[: m.start()].strip(), name[m.end() :].strip()


_Facts = tuple[tuple[str, str] | None, str]
_NAME_FACTS: dict[tuple[str, str], _Facts] = {}
"""(separator pattern, achievement name) → (`split_name`, `dup_key`). The same papers and
patents are listed year after year, and the regular expressions were most of three checks."""


def _facts(ctx: CheckContext) -> list[_Facts]:
    """`split_name` and `dup_key` of every achievement, computed once per run."""
    found: list[_Facts] | None = ctx.memo.get("achievement_facts")
    if found is None:
        sep_re = ctx.prep.separator_re
        pattern = sep_re.pattern
        known = _NAME_FACTS
        if len(known) > 65536:
            known.clear()
        found = []
        for a in ctx.app.achievements:
            name = a.name
            facts = known.get((pattern, name))
            if facts is None:
                parts = split_name(name, sep_re)
                facts = known[pattern, name] = (parts, dup_key(name, parts))
            found.append(facts)
        ctx.memo["achievement_facts"] = found
    return found


def split_names(ctx: CheckContext) -> list[tuple[str, str] | None]:
    """`split_name` of every achievement, computed once per run (three checks use it)."""
    found: list[tuple[str, str] | None] | None = ctx.memo.get("achievement_names")
    if found is None:
        found = [parts for parts, _key in _facts(ctx)]
        ctx.memo["achievement_names"] = found
    return found


@check("ACH-MAX", "代表性成果条数与附件数", "000 §11, 003 §3.16")
def ach_max(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    rows = ctx.app.achievements
    rule = ctx.config.thresholds.achievements
    ok = True
    if len(rows) > rule.max_count:
        ok = False
        yield r.fail(
            f"代表性成果{len(rows)}条，最多{rule.max_count}条",
            *(f"achievements[{i}]" for i in range(rule.max_count, len(rows))),
        )
    for i, a in enumerate(rows):
        if len(a.attachments) > rule.max_files:
            ok = False
            yield r.fail(
                f"第{i + 1}条成果有{len(a.attachments)}个附件，每条最多{rule.max_files}个，"
                "同一材料的证明应合并为一个PDF",
                *(
                    f"achievements[{i}].attachments[{k}]"
                    for k in range(rule.max_files, len(a.attachments))
                ),
            )
    if ok:
        yield r.ok(f"代表性成果{len(rows)}条，附件数均不超过{rule.max_files}个", "achievements")


@check("ACH-CAT", "成果类别", "003 §3.16")
def ach_cat(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    rows = ctx.app.achievements
    if not rows:
        return
    prep = ctx.prep
    ok = True
    for i, (a, parts) in enumerate(zip(rows, split_names(ctx), strict=True)):
        path = f"achievements[{i}].category"
        if a.category not in prep.categories:
            ok = False
            yield r.fail(
                f"第{i + 1}条成果类别“{a.category}”不在{'、'.join(sorted(prep.categories))}之中",
                path,
            )
            continue
        if parts is None:
            continue
        owners = prep.type_categories.get(parts[0])
        if owners and a.category not in owners:
            ok = False
            yield r.warn(
                f"第{i + 1}条成果“{parts[0]}”应归入“{'/'.join(sorted(owners))}”类，"
                f"填在“{a.category}”类，不得混填",
                path,
            )
    if ok:
        yield r.ok("成果类别均为下拉列表选项，未见混填", "achievements")


def _name_problem(a: Achievement, parts: tuple[str, str] | None, ctx: CheckContext) -> str | None:
    """What is wrong with a `类型：名称` (split into `parts`), or None."""
    types = ctx.config.thresholds.achievements.name_types.get(a.category, [])
    if parts is None:
        if a.category == AWARD and a.name.strip():
            return None  # 000 §11(1)1: "山东省**系统先进个人" needs no separator.
        example = f"{types[0]}：…" if types else "类型：名称"
        return f"应写作“类型：名称”，如“{example}”"
    kind, title = parts
    if not kind or not title:
        return "类型和名称都不能为空"
    if a.category == PAPER and kind in types and not (title.startswith("《") and "》" in title):
        return f"论文/著作名称应加书名号，如“{kind}：《{title.strip('《》')}》”"
    if a.category == PATENT and types and kind not in types:
        return f"专利类型应为{'、'.join(types)}之一"
    if kind in types:
        return None
    for word, hint in _QUALIFIED:
        if word in kind:
            owners = ctx.prep.type_categories.get(kind)
            if owners:
                # The kind is spelt out (团体标准, 省级工法) but filed under another category:
                # the category is what is wrong, not the name.
                return (
                    f"已注明“{kind}”，但“{kind}”属于“{'/'.join(sorted(owners))}”类，"
                    f"不应填在“{a.category}”类"
                )
            return hint
    return None


@check("ACH-NAME", "成果名称“类型：名称”", "000 §11(1)")
def ach_name(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    rows = ctx.app.achievements
    if not rows:
        return
    ok = True
    for i, (a, parts) in enumerate(zip(rows, split_names(ctx), strict=True)):
        problem = _name_problem(a, parts, ctx)
        if problem:
            ok = False
            yield r.warn(f"第{i + 1}条成果名称“{a.name}”{problem}", f"achievements[{i}].name")
    if ok:
        yield r.ok("成果名称均为“类型：名称”格式", "achievements")


@check("ACH-AFTER", "成果取得于现职称之后", "000 §11")
def ach_after(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    rows = ctx.app.achievements
    if not rows:
        return
    t = current_title(ctx.app)
    since = None
    label, path = "现职称", "titles"
    if (t is None or t.title.strip() == NONE_TITLE) and without_title(ctx):
        # 002 §14: a direct applicant has no title; what qualifies them is the years of
        # professional work (000 §3(4)), so the achievements must come from that work.
        since, path = ctx.app.basic.work_start, "basic.work_start"
        event = before = "参加工作"
    else:
        if t is not None:
            if t.title.strip() == NONE_TITLE:
                since, label, path = t.qualification_on, "职业资格", "titles[0].qualification_on"
            else:
                since, path = t.obtained_on, "titles[0].obtained_on"
        if since is None:
            yield r.unknown(f"未填写获得{label}时间，无法核对成果是否取得于{label}之后", "titles")
            return
        event, before = f"获得{label}", f"取得{label}"
    ok = True
    first = month_index(since)
    for i, a in enumerate(rows):
        if month_index(a.on) < first:
            ok = False
            yield r.fail(
                f"第{i + 1}条成果时间{ym(a.on)}早于{event}时间{ym(since)}，"
                f"不得填写{before}以前的成果",
                f"achievements[{i}].on",
                path,
            )
    if ok:
        yield r.ok(f"成果均取得于{ym(since)}{event}之后", "achievements")


@check("ACH-ORDER", "成果按时间排列", "003 §3.16")
def ach_order(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    rows = ctx.app.achievements
    if len(rows) < 2:
        return
    keys = [d.year * 12 + d.month for d in (a.on for a in rows)]
    # The seeds say 按时间排列顺序 without a direction: either consistent direction passes.
    # (Comparing with the sorted list is the same test as walking the pairs, done in C.)
    if keys == sorted(keys) or keys == sorted(keys, reverse=True):
        yield r.ok("成果按时间顺序排列", "achievements")
        return
    pairs = list(pairwise(keys))
    ascending = sum(a < b for a, b in pairs) >= sum(a > b for a, b in pairs)
    i = next(k for k, (a, b) in enumerate(pairs) if (a > b if ascending else a < b))
    yield r.warn(
        f"成果未按时间排列：第{i + 1}条{ym(rows[i].on)}、第{i + 2}条{ym(rows[i + 1].on)}",
        f"achievements[{i + 1}].on",
    )


def dup_key(name: str, parts: tuple[str, str] | None) -> str:
    """The name without its type, brackets, punctuation and spaces, for spotting repeats."""
    title = parts[1] if parts is not None and parts[1] else name
    return _DUP_STRIP.sub("", title).lower()


@check("ACH-DUP", "同一成果只算一条", "000 §11, 003 §3.16")
def ach_dup(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    rows = ctx.app.achievements
    if not rows:
        return
    seen: dict[str, list[int]] = {}
    for i, (_parts, key) in enumerate(_facts(ctx)):
        if key:
            seen.setdefault(key, []).append(i)
    ok = True
    for idx in seen.values():
        if len(idx) > 1:
            ok = False
            nos = "、".join(f"第{i + 1}条" for i in idx)
            yield r.fail(
                f"{nos}成果名称相同（“{rows[idx[0]].name}”），同一项目、论文或获奖只算一条，"
                "获奖应与原成果合并",
                *(f"achievements[{i}].name" for i in idx),
            )
    if ok:
        yield r.ok("未见重复填报的成果", "achievements")


# The same journals and books recur across applications: remember recent verdicts.
_SERIALS: tuple[tuple[str, Callable[[str], bool], str], ...] = (
    ("issn", lru_cache(4096)(issn_valid), "ISSN校验位错误或格式不符（应为NNNN-NNNC）"),
    ("isbn", lru_cache(4096)(isbn_valid), "ISBN校验位错误或格式不符（ISBN-13或ISBN-10）"),
    ("cn", lru_cache(4096)(cn_valid), "国内统一刊号格式不符（应为“CN xx-xxxx/分类号”）"),
)


@check("ACH-ISSN", "刊号、书号校验", "003 §3.16(1)")
def ach_issn(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    checked = 0
    ok = True
    for i, a in enumerate(ctx.app.achievements):
        if not (a.issn or a.isbn or a.cn):  # the common case for all but papers: no number
            if a.category == PAPER:
                ok = False
                yield r.unknown(
                    f"第{i + 1}条论文/著作未填写ISSN、CN或ISBN，无法核对刊号书号",
                    f"achievements[{i}]",
                )
            continue
        filled = False
        for field, valid, msg in _SERIALS:
            value = getattr(a, field)
            if not value or not value.strip():
                continue
            filled = True
            checked += 1
            if not valid(value):
                ok = False
                yield r.fail(f"第{i + 1}条成果“{value}”：{msg}", f"achievements[{i}].{field}")
        if not filled and a.category == PAPER:
            ok = False
            yield r.unknown(
                f"第{i + 1}条论文/著作未填写ISSN、CN或ISBN，无法核对刊号书号", f"achievements[{i}]"
            )
    if ok and checked:
        yield r.ok(f"{checked}个刊号书号校验通过", "achievements")


@check("ACH-EJOURNAL", "部分专业类别不得使用电子期刊", "000 §11(4)1")
def ach_ejournal(ctx: CheckContext, r: Reporter) -> Iterator[CheckResult]:
    category = ctx.app.basic.specialty_category
    if category not in ctx.config.thresholds.achievements.ejournal_banned_categories:
        return
    ok = True
    for i, a in enumerate(ctx.app.achievements):
        if a.electronic:
            ok = False
            yield r.fail(
                f"{category}不得使用电子刊物，第{i + 1}条成果“{a.name}”为电子期刊",
                f"achievements[{i}].electronic",
            )
    if ok:
        yield r.ok(f"{category}：未使用电子刊物", "achievements")
