"""The left-hand tree: 年度 → 申报级别 → 职称系列, each with its counts per state."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from zcreview.domain.workflow import STATE_ORDER, State
from zcreview.screens.text import clean
from zcreview.storage import queue as queue_db
from zcreview.storage.queue import TreeCount
from zcreview.storage.store import Store

SHORT_STATE: dict[str, str] = {
    State.PENDING.value: "待审",
    State.IN_REVIEW.value: "审中",
    State.PASSED.value: "通过",
    State.RETURNED.value: "退回",
    State.RESUBMITTED.value: "补正",
    State.REPORTED.value: "上报",
    State.RETURNED_FROM_ABOVE.value: "上退",
    State.ABANDONED.value: "逾期",
    State.FINISHED.value: "结束",
}
"""Two-character state names: the tree is narrow."""

ASCII_GUIDES = ("  ", "| ", "`-", "|-")


@dataclass(frozen=True)
class Selection:
    """What a tree node selects; None means any."""

    year: int | None = None
    level: str | None = None
    series: str | None = None


WAITING: frozenset[str] = frozenset(
    {State.PENDING.value, State.RESUBMITTED.value, State.RETURNED_FROM_ABOVE.value}
)
"""States that wait for a decision at this office: the tree's 待审 count."""


def count_label(title: str, counts: dict[str, int], *, ascii_mode: bool) -> Text:
    """`工程技术  待审 120 · 通过 30`: what waits for a decision and what passed, when non-zero.

    The tree is narrow; the full breakdown per state is in the status line (`breakdown`).
    """
    sep = " / " if ascii_mode else " · "
    label = Text(clean(title), style="bold")
    waiting = sum(n for state, n in counts.items() if state in WAITING)
    passed = counts.get(State.PASSED.value, 0)
    parts = [f"待审 {waiting}" if waiting else "", f"通过 {passed}" if passed else ""]
    shown = sep.join(p for p in parts if p)
    if shown:
        label.append("  ")
        label.append(shown, style="dim")
    return label


def breakdown(counts: dict[str, int], *, ascii_mode: bool) -> str:
    """Every non-zero state in workflow order, then the total: for the status line."""
    sep = " / " if ascii_mode else " · "
    known = [s.value for s in STATE_ORDER]
    order = known + sorted(set(counts) - set(known))
    parts = [f"{clean(state)} {counts[state]}" for state in order if counts.get(state)]
    parts.append(f"共 {sum(counts.values())}")
    return sep.join(parts)


LEVEL_ORDER: tuple[str, ...] = ("正高级", "副高级", "中级", "助理级", "员级")
"""`zcreview.domain.model.LEVELS`, highest first (a test keeps them equal): importing the
pydantic application model only to sort the tree would cost the start-up about 50 ms."""


def _level_key(level: str) -> tuple[int, str]:
    known = level in LEVEL_ORDER
    return (LEVEL_ORDER.index(level) if known else len(LEVEL_ORDER), level)


class QueueTree(Tree[Selection]):
    """Counts per state for every 年度 / 级别 / 系列 that has applications."""

    HELP = "### 左侧树（年度 / 级别 / 系列）"

    DEFAULT_CSS = """
    QueueTree {
        background: $surface;
        scrollbar-size-vertical: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "下移", show=False),
        Binding("k", "cursor_up", "上移", show=False),
        Binding("g", "scroll_home", "第一项", show=False),
        Binding("G", "scroll_end", "最后一项", show=False),
        Binding("enter", "select_cursor", "选择", id="tree.select", tooltip="按这一项筛选列表"),
    ]

    @dataclass
    class Chosen(Message):
        """The reviewer chose a node: show its applications."""

        selection: Selection

    @dataclass
    class _Counts(Message):
        counts: list[TreeCount]

    def __init__(self, store: Store, *, ascii_mode: bool = False, id: str | None = None) -> None:
        super().__init__(Text("全部"), data=Selection(), id=id)
        self._store = store
        self._ascii = ascii_mode
        self.counts: dict[Selection, dict[str, int]] = {}
        if ascii_mode:
            # Box-drawing guides and triangles are ambiguous-width in CJK terminals.
            self.ICON_NODE = "+ "
            self.ICON_NODE_EXPANDED = "- "
            self.LINES = dict.fromkeys(("default", "bold", "double"), ASCII_GUIDES)
        # Indentation without guide lines: one style run per line instead of three (bytes over
        # SSH), and nothing ambiguous-width to draw.
        self.show_guides = False
        self.guide_depth = 2
        self.show_root = True
        self.auto_expand = False

    def render_lines(self, crop: Region) -> list[Strip]:
        # Guides and padding come as many same-style segments; joined, a line costs fewer bytes.
        return [strip.simplify() for strip in super().render_lines(crop)]

    @work(thread=True, exclusive=True, group="queue-tree")
    def reload(self) -> None:
        """Count again in a worker; the tree is rebuilt when the counts arrive."""
        with self._store.reading() as session:
            counts = queue_db.tree_counts(session=session)
        self.post_message(self._Counts(counts))

    def on_queue_tree__counts(self, message: _Counts) -> None:
        message.stop()
        self.show_counts(message.counts)

    def show_counts(self, counts: Iterable[TreeCount]) -> None:
        """Rebuild the tree from grouped counts, keeping what was expanded and highlighted."""
        expanded = {n.data for n in self._nodes_walk() if n.is_expanded and n.data is not None}
        first_build = not self.root.children
        highlighted = self.cursor_node.data if self.cursor_node is not None else None

        per_node: dict[Selection, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.counts = per_node
        years: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for c in counts:
            for sel in (
                Selection(),
                Selection(c.year),
                Selection(c.year, c.level),
                Selection(c.year, c.level, c.series),
            ):
                per_node[sel][c.state] += c.count
            years[c.year][c.level].add(c.series)

        self.clear()
        self.root.set_label(count_label("全部", per_node[Selection()], ascii_mode=self._ascii))
        self.root.data = Selection()
        newest = max(years) if years else None
        for year in sorted(years, reverse=True):
            sel_y = Selection(year)
            y_node = self.root.add(
                count_label(f"{year}年度", per_node[sel_y], ascii_mode=self._ascii), data=sel_y
            )
            for level in sorted(years[year], key=_level_key):
                sel_l = Selection(year, level)
                l_node = y_node.add(
                    count_label(level, per_node[sel_l], ascii_mode=self._ascii), data=sel_l
                )
                for series in sorted(years[year][level]):
                    sel_s = Selection(year, level, series)
                    l_node.add_leaf(
                        count_label(series, per_node[sel_s], ascii_mode=self._ascii), data=sel_s
                    )
                if (first_build and year == newest) or sel_l in expanded:
                    l_node.expand()
            if first_build or sel_y in expanded:
                y_node.expand()
        self.root.expand()
        if highlighted is not None:
            self.call_after_refresh(self.select_selection, highlighted, False)

    def describe(self, selection: Selection) -> str:
        """`2025年度 中级 工程技术：待审核 113 · 审核中 23 · … · 共 300` for the status line."""
        scope = [
            f"{selection.year}年度" if selection.year else "",
            clean(selection.level or ""),
            clean(selection.series or ""),
        ]
        name = " ".join(p for p in scope if p) or "全部"
        return f"{name}：{breakdown(self.counts.get(selection, {}), ascii_mode=self._ascii)}"

    def select_selection(self, selection: Selection, post: bool = True) -> None:
        """Move the cursor to the node of `selection` (if present)."""
        for node in self._nodes_walk():
            if node.data == selection:
                self.move_cursor(node, animate=False)
                if post:
                    self.post_message(self.Chosen(selection))
                return

    def _nodes_walk(self) -> Iterable[TreeNode[Selection]]:
        stack = [self.root]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(node.children)

    def on_tree_node_selected(self, event: Tree.NodeSelected[Selection]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.Chosen(event.node.data))
