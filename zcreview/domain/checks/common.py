"""Small helpers the check modules share: formatting, unit names, kinds, education, years."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from functools import lru_cache

from zcreview.domain.catalogue import Config
from zcreview.domain.model import Application, AttachmentRef, EducationRecord, TitleRecord

NONE_TITLE = "无"
"""What the form holds in 现专业技术职称 when the applicant applies on a 职业资格 (000 §5(2))."""

PUBLIC_INSTITUTION = "事业单位"
"""The 单位性质 whose staff must show appointment data and the 聘用审批表 (000 §5(1))."""

PARTY_SCHOOL = "党校"
"""Word that marks a 党校 学历 or school (003 §3.9)."""

APPOINTMENT_FORM = "聘用审批表"
APPOINTMENT_FORM_WORDS = ("聘用审批表", "聘任审批表")

# Education groups from best to lowest; degrees can lift the group of the 学历 (a 本科 with a
# 硕士 degree, 000 §4(2)2). 第二学士 is its own group in thresholds.toml (DIRECT-ENG).
GROUP_ORDER = ("博士", "硕士", "第二学士", "本科", "专科", "中专", "高中及以下")
_DEGREE_GROUP = {"博士": "博士", "硕士": "硕士"}

_UNIT_TRANS = str.maketrans({"（": "(", "）": ")", "\u3000": "", " ": ""})
# Quotes and brackets around a form's name (推荐申报职称“六公开”监督卡) do not change its kind.
_KIND_TRANS = str.maketrans(dict.fromkeys("“”\"'‘’《》〈〉「」 \u3000", None))


# Months and days recur in every application's messages: each is formatted once.
@lru_cache(maxsize=4096)
def ym(d: date) -> str:
    """`2018年7月`."""
    return f"{d.year}年{d.month}月"


@lru_cache(maxsize=4096)
def ymd(d: date) -> str:
    """`2018年7月1日`."""
    return f"{d.year}年{d.month}月{d.day}日"


@lru_cache(maxsize=4096)
def _norm_unit(name: str) -> str:
    return name.translate(_UNIT_TRANS).strip()


def norm_unit(name: str | None) -> str:
    """A unit name for comparison: no spaces, half-width parentheses."""
    # One unit has many applicants, so its name recurs: remember recent ones.
    return _norm_unit(name) if name else ""


def same_unit(a: str | None, b: str | None) -> bool:
    """Whether two unit names agree; one may carry a department the other lacks."""
    na, nb = norm_unit(a), norm_unit(b)
    return bool(na) and bool(nb) and (na == nb or na.startswith(nb) or nb.startswith(na))


_KIND_NAMES: dict[str, str] = {}
"""Attachment name → the name without quotes and brackets. The same forms (六公开监督卡,
公示情况报告表 …) are on every application and several checks look for kinds in them."""


def has_kind(attachments: Iterable[AttachmentRef], words: Sequence[str]) -> bool:
    """Whether an attachment is of one of these kinds, by its `kind` or by its name."""
    refs = attachments if isinstance(attachments, Sequence) else list(attachments)
    # The declared kind decides cheaply; names are normalised only when no kind matches.
    for a in refs:
        if a.kind in words:
            return True
    names = _KIND_NAMES
    for a in refs:
        name = names.get(a.name)
        if name is None:
            if len(names) > 65536:
                names.clear()
            name = names[a.name] = a.name.translate(_KIND_TRANS)
        for w in words:
            if w in name:
                return True
    return False


def schooling_group(config: Config, rec: EducationRecord) -> str | None:
    """Group of the 学历 alone (not lifted by a degree): 博士 … 高中及以下, or None."""
    base = config.catalogue.education_group(rec.education)
    if base is None:
        # Names outside the catalogue: guess from the usual words so thresholds still apply.
        base = next((g for g in GROUP_ORDER if g in rec.education), None)
        if base is None and "研究生" in rec.education:
            base = "硕士"
    return base


def education_groups(config: Config, rec: EducationRecord | None) -> tuple[str, ...]:
    """Groups of an education record, best first: from the degree, the 学历, 第二学士."""
    if rec is None:
        return ()
    groups: list[str] = []
    if rec.degree:
        degree_group = next((g for k, g in _DEGREE_GROUP.items() if k in rec.degree), None)
        if degree_group:
            groups.append(degree_group)
    base = schooling_group(config, rec)
    if base:
        groups.append(base)
    if rec.second_bachelor:
        groups.append("第二学士")
    ordered = sorted(set(groups), key=lambda g: GROUP_ORDER.index(g) if g in GROUP_ORDER else 99)
    return tuple(ordered)


def title_level(config: Config, t: TitleRecord, series: str) -> str | None:
    """Level of a title record: the form's 职称级别, else looked up in the catalogue."""
    if t.level:
        return t.level
    if not t.title or t.title == NONE_TITLE:
        return None
    return config.catalogue.level_of_title(t.series or series, t.title)


def unit_of(unit_dept_post: str, separator: str) -> str:
    """The unit part of `单位/部门/职称`."""
    return unit_dept_post.split(separator, 1)[0].strip()


def missing_recent_years(
    present: set[int], year: int, n: int, *, current_optional: bool
) -> list[int]:
    """Which of the `n` most recent years lack a row.

    With `current_optional` the window is the `n` years before `year` (000 §7 "2024年度可不填写"),
    and the application year itself, when present, may stand in for the earliest of them: 000 §9
    asks 2021–2024 for the 2024 cycle, domain.md the four years before it; both pass.
    """
    if n <= 0:
        return []
    if not current_optional:
        return [y for y in range(year - n + 1, year + 1) if y not in present]
    missing = [y for y in range(year - n + 1, year) if y not in present]
    if year - n not in present and year not in present:
        missing.insert(0, year - n)
    return missing


def years_text(years: Sequence[int]) -> str:
    """`2020、2021年` for a list of years."""
    return "、".join(str(y) for y in years) + "年"


_EXT_RE = re.compile(r"\.[A-Za-z0-9]{1,5}$")


def strip_ext(name: str) -> str:
    """A file name without its extension."""
    return _EXT_RE.sub("", name.strip())


def current_title(app: Application) -> TitleRecord | None:
    return app.titles[0] if app.titles else None
