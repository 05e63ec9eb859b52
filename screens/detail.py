"""Read-only view of one application, every section in platform order; J/K walk the queue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import get_current_worker

from zcreview.domain.model import SECTIONS, Application
from zcreview.screens.text import clean
from zcreview.screens.widgets.ascii import use_ascii_scrollbars
from zcreview.screens.widgets.sections import SectionStyle, section_body, section_heading
from zcreview.storage import queue as queue_db
from zcreview.storage.applications import get_row, load_revision, short_id
from zcreview.storage.queue import QueueFilter
from zcreview.storage.store import Store


@dataclass(frozen=True)
class Loaded:
    """What the worker read for one position of the queue."""

    index: int
    app_id: str
    state: str
    holder: str | None
    application: Application | None
    error: str | None = None


class DetailScreen(Screen[int]):
    """Every section of one application, read-only. Dismisses with the last queue index shown."""

    HELP = """
## 申报详情（只读）

按平台顺序显示申报的每一部分及其附件。`J` / `K` 在不离开详情的情况下
查看队列中的下一份 / 上一份申报；`q` 或 `Esc` 返回队列。
"""

    AUTO_FOCUS = "#detail-body"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q,escape", "back", "返回", id="detail.back"),
        Binding("J", "walk(1)", "下一份", id="detail.next", tooltip="队列中的下一份申报"),
        Binding("K", "walk(-1)", "上一份", id="detail.previous", tooltip="队列中的上一份申报"),
        Binding("j", "scroll(1)", "下滚", show=False),
        Binding("k", "scroll(-1)", "上滚", show=False),
        Binding("g", "scroll_edge(-1)", "顶部", show=False),
        Binding("G", "scroll_edge(1)", "底部", show=False),
        Binding("right_square_bracket", "section(1)", "下一部分", show=False),
        Binding("left_square_bracket", "section(-1)", "上一部分", show=False),
    ]

    index: var[int] = var(0, init=False)

    @dataclass
    class _Result(Message):
        loaded: Loaded

    def __init__(
        self,
        store: Store,
        queue_filter: QueueFilter,
        index: int,
        total: int,
        *,
        ascii_mode: bool = False,
    ) -> None:
        super().__init__()
        self._store = store
        self._filter = queue_filter
        self._total = total
        self._ascii = ascii_mode
        self._style = SectionStyle(ascii_mode=ascii_mode)
        self.set_reactive(DetailScreen.index, index)
        self.loaded: Loaded | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        with VerticalScroll(id="detail-body"):
            yield Static(Text("载入中", style="dim"), id="detail-title")
            for key, _title in SECTIONS:
                yield Static(id=f"section-{key}", classes="section")
        yield Footer()

    def on_mount(self) -> None:
        self._load(self.index)
        if self._ascii:
            use_ascii_scrollbars(self)

    def watch_index(self, index: int) -> None:
        self._load(index)

    @work(thread=True, exclusive=True, group="detail-load")
    def _load(self, index: int) -> None:
        worker = get_current_worker()
        with self._store.session() as session:
            rows = queue_db.page(self._filter, index, 1, session=session)
            if not rows:
                self.post_message(
                    self._Result(Loaded(index, "", "", None, None, "队列中没有这一条"))
                )
                return
            row = rows[0]
            try:
                app = load_revision(row.id, session=session)
                error = None
            except (LookupError, ValueError) as exc:
                app, error = None, f"无法读取这份申报: {exc}"
            head = get_row(row.id, session=session)
        if worker.is_cancelled:
            return
        state = head.state if head is not None else row.state
        holder = head.holder if head is not None else row.holder
        self.post_message(self._Result(Loaded(index, row.id, state, holder, app, error)))

    def on_detail_screen__result(self, message: _Result) -> None:
        loaded = message.loaded
        if loaded.index != self.index:
            return
        self.loaded = loaded
        self._show(loaded)
        self.refresh_bindings()

    def _show(self, loaded: Loaded) -> None:
        title = Text()
        title.append(f"第 {loaded.index + 1} / {self._total} 条  ", style="dim")
        app = loaded.application
        if app is not None:
            b = app.basic
            title.append(clean(b.name), style="bold")
            title.append(f"  {clean(b.id_number)}  {clean(b.applying_unit)}  ")
            title.append(f"{b.year} {clean(b.level)} {clean(b.series)} {clean(b.title)}  ")
        title.append(f"状态：{loaded.state}", style="bold")
        title.append(f"  编号 {short_id(loaded.app_id)}", style="dim")
        if loaded.holder:
            title.append(f"（{clean(loaded.holder)} 审核中）")
        if loaded.error:
            title.append("\n" + loaded.error, style="bold")
        self.query_one("#detail-title", Static).update(title)
        for number, (key, heading) in enumerate(SECTIONS, 1):
            body = (
                section_body(app, key, self._style) if app is not None else Text("-", style="dim")
            )
            self.query_one(f"#section-{key}", Static).update(
                Group(section_heading(number, heading, self._style), body)
            )
        self.query_one("#detail-body", VerticalScroll).scroll_home(animate=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "walk" and parameters:
            step = int(str(parameters[0]))
            target = self.index + step
            return 0 <= target < self._total
        return True

    def action_walk(self, step: int) -> None:
        target = self.index + step
        if 0 <= target < self._total:
            self.index = target

    def action_scroll(self, lines: int) -> None:
        self.query_one("#detail-body", VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_scroll_edge(self, direction: int) -> None:
        body = self.query_one("#detail-body", VerticalScroll)
        if direction > 0:
            body.scroll_end(animate=False)
        else:
            body.scroll_home(animate=False)

    def action_section(self, step: int) -> None:
        body = self.query_one("#detail-body", VerticalScroll)
        sections = list(self.query(".section").results(Static))
        top = body.scroll_y
        offsets = [s.virtual_region.y for s in sections]
        after = [y for y in offsets if y > top]
        before = [y for y in offsets if y < top]
        if step > 0 and after:
            body.scroll_to(y=after[0], animate=False)
        elif step < 0 and before:
            body.scroll_to(y=before[-1], animate=False)

    def action_back(self) -> None:
        self.dismiss(self.index)
