"""The queue: a tree of 年度/级别/系列 with counts, and the applications of the selection."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import var
from textual.widgets import Header, Static

from zcreview.domain.workflow import STATE_ORDER
from zcreview.screens.confirm import ConfirmScreen
from zcreview.screens.queue_passing import QueuePassing
from zcreview.screens.queue_status import queue_status
from zcreview.screens.saved_filters import SavedFiltersActions, describe
from zcreview.screens.widgets.ascii import use_ascii_scrollbars
from zcreview.screens.widgets.queue_list import QueueList, first_window
from zcreview.screens.widgets.queue_rows import SORT_ORDER
from zcreview.screens.widgets.queue_tree import QueueTree, Selection
from zcreview.screens.widgets.quiet_footer import QuietFooter
from zcreview.screens.widgets.search_box import SearchBox
from zcreview.screens.workstation import workstation
from zcreview.storage import queue as queue_db
from zcreview.storage.queue import QueueFilter
from zcreview.storage.saved_filters import SavedFilter
from zcreview.storage.store import Store

if TYPE_CHECKING:
    from zcreview.screens.review_release import ClaimReleased

DUE_SOON_DAYS = 2
"""`d` shows returns due within this many working days."""


class QueueScreen(SavedFiltersActions, QueuePassing):
    """Owns the queue filter; the tree and the search report up, the list is bound to it."""

    SCREEN_NAME = "queue"

    HELP = """
## 审核队列

左侧按 **年度 → 申报级别 → 职称系列** 列出各状态的件数，回车按该项筛选；
右侧是所选范围内的申报。

- `/` 按姓名、姓名拼音首字母（如 `wh` 找王华）、单位或身份证号在全部申报中搜索
  （边输入边筛选）；
- `f` 或数字键 `1`–`9` 按状态筛选，`0` 清除状态筛选；`s` 换排序列，`S` 反转排序；
- `d` 只看两个工作日内到期（含已逾期）的退回，按补正期限排序；
- 回车审核所选申报（已选择审核人时领取并审核，否则只读查看），`v` 只读查看；
- `a` 不打开详情直接审核通过：领取后确认（显示预审 ✓/⚠/✗ 件数），`y` 通过，
  `n` 取消并释放；
- 空格标记一条并下移；有标记时 `a` 一次确认后通过所标记的（有 ✗ 或他人在审的跳过并
  说明），命令面板可导出所标记的一览表，Esc 清除标记；
- 审核和详情中 `J` / `K` 查看下一份 / 上一份；命令面板（`ctrl+p`）可导出当前筛选的
  审核结果一览表；
- `F` 把当前筛选（范围、状态、搜索、期限）存为一个名字，`'` 调出已保存的筛选
  （各审核人各自保存）；
- `T` 打开统计（件数、审核人工作量、补正期限、上报批次）。
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        # The screen's, not the list's: the review screen is then on top before the next key
        # typed ahead is looked up, so `Enter q` opens and leaves instead of asking to quit.
        Binding("enter", "open", "打开", id="queue.open", tooltip="审核（或只读查看）这份申报"),
        Binding("slash", "search", "搜索", id="queue.search", tooltip="按姓名、单位或身份证号筛选"),
        Binding(
            "escape",
            "clear_search",
            "清除搜索",
            show=False,
            id="queue.clear-search",
            tooltip="清除搜索，回到所选范围",
        ),
        Binding(
            "space",
            "mark",
            "标记",
            show=False,
            id="queue.mark",
            tooltip="标记/取消标记这一条并下移；a 通过、导出作用于所标记的",
        ),
        Binding(
            "U",
            "report_marked",
            "数据上报",
            show=False,
            id="queue.report",
            tooltip="数据上报；有标记时选好所标记的通过未上报申报",
        ),
        Binding("f", "state_filter", "状态", id="queue.states", tooltip="选择要显示的状态"),
        Binding("s", "cycle_sort", "排序", id="queue.sort", tooltip="换一个排序列"),
        Binding(
            "d",
            "due_soon",
            "临近期限",
            show=False,
            id="queue.due-soon",
            tooltip="只看两个工作日内到期（含已逾期）的退回，再按一次取消",
        ),
        Binding("S", "reverse_sort", "反序", show=False, id="queue.reverse"),
        Binding(
            "F",
            "save_filter",
            "保存筛选",
            show=False,
            id="queue.save-filter",
            tooltip="把当前的范围、状态、搜索和期限筛选存为一个名字",
        ),
        Binding(
            "apostrophe",
            "recall_filter",
            "调出筛选",
            show=False,
            id="queue.recall-filter",
            tooltip="从已保存的筛选中选一个调出",
        ),
        Binding("0", "clear_states", "全部状态", show=False, id="queue.all-states"),
        *[
            Binding(str(i), f"toggle_state({i - 1})", f"状态：{state.value}", show=False)
            for i, state in enumerate(STATE_ORDER, 1)
        ],
        Binding("b", "toggle_tree", "侧栏", show=False, id="queue.tree", tooltip="显示/隐藏左侧树"),
        Binding("R", "reload", "刷新", show=False, id="queue.reload", tooltip="重新读取队列"),
        Binding("v", "view", "只读查看", show=False, id="queue.view", tooltip="只读查看，不领取"),
        Binding(
            "a", "pass_application", "通过", id="queue.pass", tooltip="领取并审核通过（需确认）"
        ),
        Binding("q", "quit", "退出", id="queue.quit"),
    ]

    AUTO_FOCUS = "#queue-list"

    queue_filter: var[QueueFilter] = var(QueueFilter)

    class FirstPage(Message):
        """The first page of rows and the count are on screen (posted once, after the repaint):
        start-up work that the first paint does not need can run now."""

    @dataclass
    class _Initials(Message):
        text: str
        names: frozenset[str]

    def __init__(self, store: Store, *, ascii_mode: bool = False) -> None:
        super().__init__()
        self._store = store
        self._ascii = ascii_mode
        self._position = (0, 0)
        self._can_pass = False
        self._passing = False
        self._tree_loaded = False
        self._scope: tuple[int | None, str | None, str | None] | None = None
        """The tree's node while a search looks through the whole office."""
        self._pending_open: str | None = None
        """`open` or `view` pressed before the rows or the reviewer's name had arrived: done
        as soon as both are there, so one Enter is always enough."""

    def compose(self) -> ComposeResult:
        # The first screenful is read here when the office can answer at once: the first
        # frame then holds the rows and the status line, instead of a "loading" frame and a
        # second full one a worker's round trip later.
        first = first_window(self._store, self.queue_filter, self.app.size.height)
        if first is not None:
            self._position = (0, first[1])
        yield Header(icon="")
        with Horizontal(id="queue-body"):
            yield QueueTree(self._store, ascii_mode=self._ascii, id="queue-tree")
            with Vertical(id="queue-main"):
                yield QueueList(
                    self._store, ascii_mode=self._ascii, first=first, id="queue-list"
                ).data_bind(QueueScreen.queue_filter)
                yield SearchBox(
                    placeholder="搜索 姓名 / 拼音首字母 / 单位 / 身份证号（回车保留，Esc 清除）",
                    id="search",
                )
        yield Static(self._list_status(marked=0), id="status")
        yield QuietFooter()

    def on_mount(self) -> None:
        self._show_status()
        if self._ascii:
            use_ascii_scrollbars(self)
        for name in ("reviewer", "identified"):
            if hasattr(self.app, name):
                self.watch(self.app, name, self._identity_known, init=False)

    def on_screen_resume(self) -> None:
        self._run_pending_open()

    @on(QueueTree.Chosen)
    def _tree_chosen(self, event: QueueTree.Chosen) -> None:
        # Chosen while searching: the search narrows to the node (and keeps it on clearing).
        sel: Selection = event.selection
        self._scope = None
        self.queue_filter = replace(
            self.queue_filter, year=sel.year, level=sel.level, series=sel.series
        )
        self.query_one(QueueList).focus()

    # ----- list ---------------------------------------------------------------------------

    @on(QueueList.Highlighted)
    def _highlighted(self, event: QueueList.Highlighted) -> None:
        self._position = (event.index, event.total)
        self._show_status()
        # Only when `a` appears or goes: a footer repaint on every ↓ costs bytes over SSH.
        if self._passable() != self._can_pass:
            self._can_pass = not self._can_pass
            self.refresh_bindings()
        if event.row is not None:
            self._run_pending_open()

    @on(QueueList.Counted)
    def _counted(self, event: QueueList.Counted) -> None:
        self._show_status()
        self._run_pending_open()
        if not self._tree_loaded:
            # The tree counts after the list's first page is on screen: both queries and the
            # tree's build would otherwise compete with the first paint.
            self._tree_loaded = True
            self.query_one(QueueTree).reload()
            self.call_after_refresh(self.post_message, self.FirstPage())

    def _ready_to_open(self, action: str) -> bool:
        """Rows of the current filter on screen and the reviewer known; else remember the
        key (a first Enter typed while the queue loads must not be lost)."""
        queue = self.query_one(QueueList)
        identified = getattr(self.app, "identified", True)
        if queue.loaded and queue.current is not None and identified:
            self._pending_open = None
            return True
        if not queue.loaded or (queue.total and queue.current is None) or not identified:
            self._pending_open = action
        return False

    def _identity_known(self) -> None:
        self.call_after_refresh(self._run_pending_open)

    def _run_pending_open(self) -> None:
        action = self._pending_open
        if action is None or self.app.screen is not self:
            return
        queue = self.query_one(QueueList)
        if not queue.loaded or not getattr(self.app, "identified", True):
            return
        if queue.current is not None:
            self._pending_open = None
            getattr(self, f"action_{action}")()
        elif not queue.total:
            self._pending_open = None  # nothing to open: a later reload must not open one

    def action_open(self) -> None:
        queue = self.query_one(QueueList)
        if not self._ready_to_open("open"):
            return
        if getattr(self.app, "reviewer", None):
            # A named reviewer reviews (claim, checks, flags, decisions); others only read.
            from zcreview.screens.review import open_review

            review = open_review(self.app, queue.queue_filter, queue.cursor, queue.total)
            self.app.push_screen(review, partial(self._back_from_review, queue.cursor))
            return
        self._open_detail(queue.cursor)

    def action_view(self) -> None:
        queue = self.query_one(QueueList)
        if self._ready_to_open("view"):
            self._open_detail(queue.cursor)

    def _open_detail(self, index: int) -> None:
        # Imported on first use: the application model and section tables cost ~0.2 s at start.
        from zcreview.screens.detail import DetailScreen

        queue = self.query_one(QueueList)
        detail = DetailScreen(
            self._store, queue.queue_filter, index, queue.total, ascii_mode=self._ascii
        )
        self.app.push_screen(detail, self._back_from_detail)

    def _back_from_review(self, opened_at: int, index: int | None) -> None:
        # Decisions changed states and counts: read the tree and the list again (and once
        # more when the claim the review screen held is given back: `on_claim_released`).
        self.action_reload()
        if index != opened_at:  # walked with J/K; else a key typed ahead may have moved on
            self._back_from_detail(index)

    def on_claim_released(self, message: ClaimReleased) -> None:
        self.action_reload()

    def _back_from_detail(self, index: int | None) -> None:
        if index is not None:
            self.query_one(QueueList).go_to(index)

    def on_descendant_focus(self) -> None:
        self._show_status()

    @on(QueueTree.NodeHighlighted)
    def _tree_highlighted(self) -> None:
        self._show_status()

    def _show_status(self) -> None:
        tree = self.query_one(QueueTree)
        node = tree.cursor_node
        if tree.has_focus and node is not None and node.data is not None:
            # In the tree, the status line carries the full per-state counts of the node.
            self._set_status(Text(tree.describe(node.data)))
            return
        self._set_status(self._list_status(len(self.query_one(QueueList).marked)))

    def _list_status(self, marked: int) -> Text:
        index, total = self._position
        return queue_status(self.queue_filter, index, total, marked, ascii_mode=self._ascii)

    def _set_status(self, text: Text) -> None:
        # No layout pass: the line is one row high whatever it says, and a layout pass would
        # repaint the scrollbars too (about 1 KB per ↓ over SSH).
        self.query_one("#status", Static).update(text, layout=False)

    def watch_queue_filter(self) -> None:
        if self.query(QueueTree):  # not while composing: `compose` reads the filter first
            self._show_status()

    # ----- actions ------------------------------------------------------------------------

    def action_search(self) -> None:
        """`/` starts a new search (the old text goes, as in less and vim)."""
        search = self.query_one(SearchBox)
        search.display = True
        search.value = ""
        search.focus()

    def _set_search(self, text: str) -> None:
        """A search looks through the whole office, not just the tree's node: the person is
        found wherever they are. Clearing it goes back to the node chosen before."""
        flt = self.queue_filter
        if text == flt.search:
            return
        if text and not flt.search:
            self._scope = (flt.year, flt.level, flt.series)
            flt = replace(flt, year=None, level=None, series=None)
        elif not text and flt.search and self._scope is not None:
            year, level, series = self._scope
            flt = replace(flt, year=year, level=level, series=series)
            self._scope = None
        self.queue_filter = replace(flt, search=text, names=frozenset())
        if text:
            self._find_by_initials(text)

    @work(thread=True, exclusive=True, group="queue-initials", exit_on_error=False)
    def _find_by_initials(self, text: str) -> None:
        """Letters only (`wh`): also the names whose pinyin initials they spell (王华)."""
        from zcreview.domain.pinyin import is_initials_query, matches_initials

        if not is_initials_query(text):
            return
        with self._store.reading() as session:
            names = queue_db.distinct_names(session=session)
        found = [n for n in names if matches_initials(n, text)][: queue_db.MAX_INITIALS_NAMES]
        self.post_message(self._Initials(text, frozenset(found)))

    def on_queue_screen__initials(self, message: _Initials) -> None:
        if message.text == self.queue_filter.search and message.names:
            self.queue_filter = replace(self.queue_filter, names=message.names)

    @on(SearchBox.Search)
    def _search(self, event: SearchBox.Search) -> None:
        self._set_search(event.text)

    @on(SearchBox.Done)
    @on(SearchBox.Cancelled)
    def _search_closed(self, event: SearchBox.Done | SearchBox.Cancelled) -> None:
        text = event.text if isinstance(event, SearchBox.Done) else ""
        self._set_search(text)
        # The line stays visible while a search is in force, as a reminder.
        self.query_one(SearchBox).display = bool(text)
        self.query_one(QueueList).focus()

    def action_clear_search(self) -> None:
        """Esc in the list or the tree: drop the search in force, else the marks."""
        if not self.queue_filter.search:
            self.query_one(QueueList).clear_marks()
            self._show_status()
            self.notify("已清除标记", timeout=2, markup=False)
            return
        box = self.query_one(SearchBox)
        box.value = ""
        box.display = False
        self._set_search("")

    def action_state_filter(self) -> None:
        def chosen(states: frozenset[str] | None) -> None:
            if states is not None:
                self.queue_filter = replace(self.queue_filter, states=states)

        # Loaded on first use: its SelectionList is not part of the first paint.
        from zcreview.screens.state_filter import StateFilterScreen

        self.app.push_screen(StateFilterScreen(self.queue_filter.states), chosen)

    def action_toggle_state(self, position: int) -> None:
        state = STATE_ORDER[position].value
        states = self.queue_filter.states ^ {state}
        self.queue_filter = replace(self.queue_filter, states=states)
        # The number keys add and take away: say which, and what is shown now.
        verb = "加入" if state in states else "去掉"
        now = "、".join(s.value for s in STATE_ORDER if s.value in states) or "全部状态"
        self.notify(f"状态筛选{verb}“{state}”，现在显示：{now}（0 清除）", timeout=3, markup=False)

    def action_due_soon(self) -> None:
        """`d`: returns whose deadline falls within 2 working days (or has passed)."""
        if self.queue_filter.due_by is not None:
            self.queue_filter = replace(self.queue_filter, due_by=None)
            self.notify("已取消“临近期限”筛选", timeout=3, markup=False)
            return
        due_by = self._due_by(DUE_SOON_DAYS)
        self.queue_filter = replace(self.queue_filter, due_by=due_by, sort="deadline")
        self.notify(
            f"只看 {due_by:%m-%d} 及以前到期的退回（两个工作日内，含已逾期），按期限排序；d 取消",
            timeout=4,
            markup=False,
        )

    def apply_saved_filter(self, saved: SavedFilter) -> None:
        """Show what `saved` describes ("due soon" counted again from today)."""
        due_by = None
        if saved.due_within is not None:
            due_by = self._due_by(saved.due_within)
        self._scope = None
        self.queue_filter = QueueFilter(
            year=saved.year,
            level=saved.level,
            series=saved.series,
            states=frozenset(saved.states),
            search=saved.search,
            sort=saved.sort,
            descending=saved.descending,
            due_by=due_by,
        )
        box = self.query_one(SearchBox)
        box.value = saved.search
        box.display = bool(saved.search)
        if saved.search:
            self._find_by_initials(saved.search)
        self.query_one(QueueList).focus()
        self.notify(f"已调出筛选“{saved.name}”：{describe(saved)}", timeout=4, markup=False)

    def _due_by(self, days: int) -> date:
        from zcreview.domain.corrections import add_working_days, local_today

        services = workstation(self.app).services
        policy = services.policy()
        today = local_today(services.now())
        return add_working_days(today, days, policy.holidays, policy.extra_workdays)

    def action_clear_states(self) -> None:
        self.queue_filter = replace(self.queue_filter, states=frozenset())

    def action_cycle_sort(self) -> None:
        i = SORT_ORDER.index(self.queue_filter.sort) if self.queue_filter.sort in SORT_ORDER else -1
        self.queue_filter = replace(self.queue_filter, sort=SORT_ORDER[(i + 1) % len(SORT_ORDER)])

    def action_reverse_sort(self) -> None:
        self.queue_filter = replace(self.queue_filter, descending=not self.queue_filter.descending)

    def action_toggle_tree(self) -> None:
        tree = self.query_one(QueueTree)
        tree.display = not tree.display
        if not tree.display:
            self.query_one(QueueList).focus()

    def action_reload(self) -> None:
        self.query_one(QueueTree).reload()
        self.query_one(QueueList).reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pass_application":
            if not getattr(self.app, "reviewer", None):
                return False  # read-only browsing: no 通过 at all
            # Dim rather than gone on a row that cannot be passed from the list: the footer
            # keeps its layout, and only the key is restyled as the cursor moves.
            return True if self._passable() else None
        if action == "clear_search":
            return bool(self.queue_filter.search or self.query_one(QueueList).marked)
        return True

    def action_quit(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.app.exit(0)

        self.app.push_screen(ConfirmScreen("退出 zcreview？"), answered)
