"""The queue's status line: where the cursor is, what the list shows and how it is sorted."""

from __future__ import annotations

from rich.text import Text

from zcreview.domain.workflow import STATE_ORDER
from zcreview.screens.widgets.queue_rows import SORT_LABELS
from zcreview.storage.queue import QueueFilter


def queue_status(
    flt: QueueFilter, index: int, total: int, marked: int, *, ascii_mode: bool = False
) -> Text:
    """`第 i / n 条 · scope · states · search · due · marks · sort` for the list's cursor."""
    sep = " | " if ascii_mode else " · "
    parts = [f"第 {index + 1 if total else 0} / {total} 条"]
    scope = [str(flt.year) + "年度" if flt.year else "", flt.level or "", flt.series or ""]
    parts.append(" ".join(p for p in scope if p) or "全部")
    if flt.states:
        parts.append("状态：" + "、".join(s.value for s in STATE_ORDER if s.value in flt.states))
    if flt.search:
        parts.append(f"搜索：{flt.search}")
    if flt.due_by is not None:
        parts.append(f"期限：{flt.due_by:%m-%d} 前到期")
    if marked:
        parts.append(f"已标记 {marked} 份（a 通过，Esc 清除）")
    arrow = ("v" if flt.descending else "^") if ascii_mode else ("↓" if flt.descending else "↑")
    parts.append(f"排序：{SORT_LABELS.get(flt.sort, flt.sort)}{arrow}")
    # Text, not markup: the search string is what the reviewer typed.
    return Text(sep.join(parts))
