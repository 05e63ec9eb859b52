"""Saved queue filters: `F` saves the filter in force under a name, `'` lists the saved ones
(Enter recalls, `x` deletes). Kept per reviewer in the office database."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from zcreview.domain.workflow import STATE_ORDER
from zcreview.screens.text import clean
from zcreview.storage.queue import QueueFilter
from zcreview.storage.saved_filters import MAX_NAME, SavedFilter

DEFAULT_CSS = """
#saved-box { width: 64; max-width: 95%; }
#saved-box Input { margin: 1 0 0 0; }
"""


def saved_from(flt: QueueFilter, name: str, due_within: int | None) -> SavedFilter:
    """The queue filter in force as a saved filter (marks are not part of it)."""
    return SavedFilter(
        name=name,
        year=flt.year,
        level=flt.level,
        series=flt.series,
        states=tuple(s.value for s in STATE_ORDER if s.value in flt.states),
        search=flt.search,
        sort=flt.sort,
        descending=flt.descending,
        due_within=due_within if flt.due_by is not None else None,
    )


def describe(saved: SavedFilter) -> str:
    """`2025年度 中级 工程技术 · 状态：待审核 · 搜索：王 · 两个工作日内到期`."""
    parts = [
        " ".join(
            p
            for p in (
                f"{saved.year}年度" if saved.year else "",
                saved.level or "",
                saved.series or "",
            )
            if p
        )
        or "全部"
    ]
    if saved.states:
        parts.append("状态：" + "、".join(saved.states))
    if saved.search:
        parts.append(f"搜索：{clean(saved.search)}")
    if saved.due_within is not None:
        parts.append(f"{saved.due_within} 个工作日内到期")
    return "，".join(parts)


class SaveFilterDialog(ModalScreen[str | None]):
    """Ask a name for the filter in force; Enter saves (a saved name is replaced)."""

    DEFAULT_CSS = DEFAULT_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "取消", id="save-filter.cancel"),
    ]

    def __init__(self, summary: str, names: list[str]) -> None:
        super().__init__()
        self._summary = summary
        self._names = names

    def compose(self) -> ComposeResult:
        with Vertical(id="saved-box", classes="dialog"):
            yield Static(Text("保存当前筛选", style="bold"))
            yield Static(Text(self._summary))
            yield Input(placeholder="名称，如“本周待审工程”", max_length=MAX_NAME, id="filter-name")
            hint = "回车保存，Esc 取消"
            if self._names:
                hint += "；同名的筛选会被替换"
            yield Static(Text(hint, style="dim"), id="save-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        name = clean(event.value).strip()
        if not name:
            self.query_one("#save-hint", Static).update(
                Text("请输入名称（Esc 取消）", style="bold")
            )
            return
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SavedFiltersPicker(ModalScreen[tuple[str, str] | None]):
    """The reviewer's saved filters: Enter recalls one, `x` deletes it, Esc closes.

    Dismisses with ("recall", name) or ("delete", name)."""

    DEFAULT_CSS = DEFAULT_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "cancel", "关闭", id="saved-filters.close"),
        Binding("x", "delete", "删除", id="saved-filters.delete", tooltip="删除所选的筛选"),
        Binding("j", "down", "下移", show=False),
        Binding("k", "up", "上移", show=False),
    ]

    def __init__(self, filters: list[SavedFilter]) -> None:
        super().__init__()
        self._filters = filters

    def compose(self) -> ComposeResult:
        with Vertical(id="saved-box", classes="dialog"):
            yield Static(Text("调出已保存的筛选", style="bold"))
            options = []
            for i, f in enumerate(self._filters):
                label = Text(f"{i + 1}. {clean(f.name)}", style="bold")
                label.append(f"\n   {describe(f)}", style="")
                options.append(Option(label, id=str(i)))
            yield OptionList(*options, id="saved-list")
            yield Static(Text("回车调出，x 删除，Esc 关闭", style="dim"))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        assert event.option.id is not None
        self.dismiss(("recall", self._filters[int(event.option.id)].name))

    def action_delete(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is not None:
            self.dismiss(("delete", self._filters[index].name))

    def action_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)


class SavedFiltersActions:
    """The queue's `F` and `'`: mixed into QueueScreen (which owns the filter and the store)."""

    def _reviewer_or_say(self) -> str | None:
        from textual.screen import Screen

        assert isinstance(self, Screen)
        reviewer = getattr(self.app, "reviewer", None)
        if not reviewer:
            self.notify(
                "只读浏览时没有自己的筛选（请先选择审核人）", severity="warning", markup=False
            )
        return reviewer

    def action_save_filter(self) -> None:
        from zcreview.screens.queue import DUE_SOON_DAYS, QueueScreen
        from zcreview.storage.saved_filters import save_filter, saved_filters

        assert isinstance(self, QueueScreen)
        reviewer = self._reviewer_or_say()
        if reviewer is None:
            return
        store = self._store
        flt = self.queue_filter
        with store.session() as session:
            names = [f.name for f in saved_filters(reviewer, session=session)]

        def named(name: str | None) -> None:
            if not name:
                return
            saved = saved_from(flt, name, DUE_SOON_DAYS)
            with store.session() as session:
                replaced = save_filter(reviewer, saved, session=session)
                session.commit()
            verb = "已替换" if replaced else "已保存"
            self.notify(f"{verb}筛选“{name}”：{describe(saved)}（' 调出）", timeout=4, markup=False)

        summary = describe(saved_from(flt, "", DUE_SOON_DAYS))
        self.app.push_screen(SaveFilterDialog(summary, names), named)

    def action_recall_filter(self) -> None:
        from zcreview.screens.queue import QueueScreen
        from zcreview.storage.saved_filters import delete_filter, saved_filters

        assert isinstance(self, QueueScreen)
        reviewer = self._reviewer_or_say()
        if reviewer is None:
            return
        store = self._store
        with store.session() as session:
            filters = saved_filters(reviewer, session=session)
        if not filters:
            self.notify("还没有保存的筛选（F 保存当前筛选）", timeout=4, markup=False)
            return

        def chosen(answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            what, name = answer
            if what == "delete":
                with store.session() as session:
                    delete_filter(reviewer, name, session=session)
                    session.commit()
                self.notify(f"已删除筛选“{name}”", timeout=3, markup=False)
                return
            found = next((f for f in filters if f.name == name), None)
            if found is not None:
                self.apply_saved_filter(found)

        self.app.push_screen(SavedFiltersPicker(filters), chosen)
