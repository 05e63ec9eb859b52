"""Whether an application takes the Weihai enterprise green channel (002 §14): direct application."""

from __future__ import annotations

from zcreview.domain.checks.base import CheckContext
from zcreview.domain.checks.common import NONE_TITLE, current_title, title_level


def applies_directly(ctx: CheckContext) -> bool:
    """An enterprise engineer applying for a title the green channel names, with no title or one
    at least two levels below it (not with a 职业资格 as the basis: that is a normal application).

    Such an applicant may hold no title at all (002 §14, 003 §3.10(1) "无现专业技术职称，可在
    ‘现专业技术职称’直接填‘无’"), so TITLE-NONE and ATT-REQUIRED ask for no 职业资格 then.
    """
    if "direct" in ctx.memo:
        known: bool = ctx.memo["direct"]
        return known
    ctx.memo["direct"] = found = _applies_directly(ctx)
    return found


def _applies_directly(ctx: CheckContext) -> bool:
    rules = ctx.config.thresholds.direct_eng
    b = ctx.app.basic
    if b.series != rules.series or b.unit_nature not in rules.unit_natures:
        return False
    if b.title not in ctx.prep.direct_titles.get(b.level, frozenset()):
        return False
    t = current_title(ctx.app)
    if t is None:
        return True
    if t.title.strip() == NONE_TITLE and (t.qualification or "").strip():
        return False
    levels = ctx.prep.level_index
    held = title_level(ctx.config, t, b.series)
    return not (held in levels and levels[held] <= levels[b.level] + 1)


def without_title(ctx: CheckContext) -> bool:
    """A direct applicant with no title row, or 无 and no 职业资格 (002 §14, 003 §3.10(1))."""
    t = current_title(ctx.app)
    if t is None:
        return applies_directly(ctx)
    return (
        t.title.strip() == NONE_TITLE
        and not (t.qualification or "").strip()
        and applies_directly(ctx)
    )
