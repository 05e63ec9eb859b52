"""The return composer: the one-shot correction list, its deadline, and the notice as sent.

Built from the reviewer's flags; items can be edited, removed and added here without touching
the flags (Esc leaves them as they were). The preview is made by the notice basis the return
is recorded with (`NoticeBasis.notice`), so it is the text the applicant receives. `ctrl+s` returns the
application; the screen dismisses only after the return is committed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from zcreview.domain.corrections import (
    CorrectionItem,
    NoticeBasis,
    cn_date,
    deadline_problem,
    is_working_day,
    return_problems,
)
from zcreview.domain.paths import label_for_path
from zcreview.screens.exports_ui import export_notice
from zcreview.screens.field_picker import FieldPicker, step_options
from zcreview.screens.flag_dialog import FlagChoice, FlagDialog
from zcreview.screens.review_items import ReviewItem, item_label
from zcreview.screens.review_services import ReviewServices
from zcreview.screens.text import ascii_symbols, clean
from zcreview.screens.widgets.ascii import use_ascii_scrollbars
from zcreview.screens.widgets.key_bar import KeyBar
from zcreview.storage.review_results import Decision
from zcreview.storage.transitions import NotAllowed, ReviewError

WEEKDAYS = "一二三四五六日"


_DAY = re.compile(r"^\s*(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?\s*$")


def parse_deadline(text: str, today: date) -> tuple[date | None, str]:
    """(deadline, "") or (None, the reason it is not acceptable). A whole day is required."""
    m = _DAY.match(text)
    try:
        value = date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
    except ValueError:
        value = None
    if value is None:
        return None, "期限格式应为 YYYY-MM-DD，例如 2025-06-23"
    problem = deadline_problem(value, today)
    return (None, problem) if problem else (value, "")


def problems_of(items: Sequence[CorrectionItem]) -> list[str]:
    """What stops this list from being sent (what recording the return refuses), with the key
    that adds an item when there is none."""
    problems = return_problems(items)
    return [f"{problems[0]}（按 a 添加）"] if not items else problems


class ReturnComposer(Screen[Decision | str | None]):
    """Dismisses with the committed Decision, a conflict message (str), or None (cancelled)."""

    CSS_PATH = "review.tcss"

    HELP = """
## 退回告知书

左侧是本次一次性告知的补正条目（由标记生成），右侧是申请人将收到的告知书全文。
`回车` 修改所选条目的原因，`x` 删除，`a` 添加条目；`d` 修改补正期限（默认按工作日计算）；
`ctrl+s` 退回申报（提交后自动打开下一份）；`e` 导出告知书；`Esc` 取消（标记保留）。
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "退回", priority=True, id="composer.send", tooltip="提交退回"),
        Binding("enter", "edit", "修改原因", id="composer.edit"),
        Binding("x,delete", "remove", "删除条目", id="composer.remove"),
        Binding("a", "add", "添加条目", id="composer.add"),
        Binding("d", "deadline", "期限", id="composer.deadline", tooltip="修改补正期限"),
        Binding("e", "export", "导出", id="composer.export", tooltip="导出告知书（文本和PDF）"),
        Binding("escape", "cancel", "取消", id="composer.cancel", tooltip="不退回，标记保留"),
        Binding("j,down", "cursor(1)", "下一条", show=False),
        Binding("k,up", "cursor(-1)", "上一条", show=False),
    ]

    items: var[list[CorrectionItem]] = var(list, always_update=True)
    deadline: var[date | None] = var(None, init=False)

    @dataclass
    class _Sent(Message):
        decision: Decision

    @dataclass
    class _Refused(Message):
        message: str
        conflict: bool

    @dataclass
    class _Said(Message):
        message: str

    def __init__(
        self,
        services: ReviewServices,
        reviewer: str,
        *,
        version: int,
        basis: NoticeBasis,
        items: Sequence[CorrectionItem],
        choices: Sequence[ReviewItem] = (),
    ) -> None:
        super().__init__()
        self.services = services
        self.reviewer = reviewer
        self.app_id = basis.application_id
        self.version = version
        self.application = basis.application
        self.basis = basis
        """What the notice is made of besides its items and deadline, as the return stores it."""
        self.today = services.today()
        self._choices = [c for c in choices if c.kind != "text"]
        self._sending = False
        self.notice_text = ""
        self.set_reactive(ReturnComposer.items, list(items))
        self.set_reactive(ReturnComposer.deadline, services.policy().default_deadline(self.today))

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        with Horizontal(id="composer-body"):
            with Vertical(id="composer-side"):
                yield Static(id="composer-heading")
                yield OptionList(id="composer-items")
                with Horizontal(id="composer-deadline-row"):
                    yield Static("补正期限 ", id="composer-deadline-label")
                    yield Input(id="composer-deadline", max_length=12)
                yield Static(id="composer-deadline-note")
                yield Static(id="composer-error")
            with VerticalScroll(id="composer-preview"):
                yield Static(id="composer-notice")
        yield KeyBar()

    def on_mount(self) -> None:
        assert self.deadline is not None
        self.query_one("#composer-deadline", Input).value = self.deadline.isoformat()
        self._refresh_items()
        self._refresh_preview()
        self.query_one("#composer-items", OptionList).focus()
        if self.services.ascii_mode:
            use_ascii_scrollbars(self)

    # ----- state --------------------------------------------------------------------------

    def watch_items(self) -> None:
        if self.is_mounted:
            self._refresh_items()
            self._refresh_preview()

    def watch_deadline(self) -> None:
        if self.is_mounted:
            self._refresh_preview()

    def _refresh_items(self) -> None:
        options = self.query_one("#composer-items", OptionList)
        keep = options.highlighted or 0
        entries = []
        for n, item in enumerate(self.items, 1):
            line = Text(f"{n}. ", style="dim")
            line.append(clean(item.label or label_for_path(item.field_path)), style="bold")
            line.append("\n   " + clean(item.text()))
            entries.append(Option(line, id=str(n - 1)))
        options.set_options(entries)
        if entries:
            options.highlighted = min(keep, len(entries) - 1)
        heading = Text(f"补正条目 {len(self.items)} 项", style="bold")
        heading.append("  回车修改原因", style="dim")
        self.query_one("#composer-heading", Static).update(heading)

    def _refresh_preview(self) -> None:
        deadline = self.deadline
        note = self.query_one("#composer-deadline-note", Static)
        if deadline is not None:
            working = sum(
                1
                for d in range((deadline - self.today).days)
                if is_working_day(date.fromordinal(self.today.toordinal() + d + 1))
            )
            note.update(
                Text(
                    f"{cn_date(deadline)} 星期{WEEKDAYS[deadline.weekday()]}，{working} 个工作日",
                    style="dim",
                )
            )
        problems = problems_of(self.items)
        self.query_one("#composer-error", Static).update(
            Text("\n".join(problems), style="bold red") if problems else ""
        )
        _, self.notice_text = self.basis.notice(
            self.reviewer, self.items, deadline or self.today, self.services.now()
        )
        # Text, never markup: reasons and names are typed by people.
        # The stored and exported text keeps its symbols; only the screen's copy is folded.
        on_screen = self.notice_text
        if self.services.ascii_mode:
            on_screen = ascii_symbols(on_screen)
        self.query_one("#composer-notice", Static).update(Text(on_screen))

    # ----- deadline -----------------------------------------------------------------------

    @on(Input.Changed, "#composer-deadline")
    def _deadline_typed(self, event: Input.Changed) -> None:
        value, problem = parse_deadline(event.value, self.today)
        self.deadline = value
        if problem:
            self.query_one("#composer-deadline-note", Static).update(
                Text(problem, style="bold red")
            )

    @on(Input.Submitted, "#composer-deadline")
    def _deadline_done(self) -> None:
        if self.deadline is not None:
            self.query_one("#composer-items", OptionList).focus()

    def action_deadline(self) -> None:
        self.query_one("#composer-deadline", Input).focus()

    # ----- items --------------------------------------------------------------------------

    def _selected(self) -> int | None:
        found = self.query("#composer-items").results(OptionList)
        options = next(iter(found), None)
        index = options.highlighted if options is not None else None
        if index is None or not 0 <= index < len(self.items):
            return None
        return index

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("edit", "remove"):
            return self._selected() is not None
        if action == "send":
            return not self._sending
        return True

    def action_cursor(self, step: int) -> None:
        step_options(self.query_one("#composer-items", OptionList), step)

    @on(OptionList.OptionSelected, "#composer-items")
    def _selected_by_enter(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_edit()

    def _ask_reason(self, item: CorrectionItem, replace_at: int | None) -> None:
        config = self.services.config()

        def chosen(choice: FlagChoice | None) -> None:
            if choice is None:
                return
            items = list(self.items)
            if choice.remove:
                if replace_at is not None:
                    del items[replace_at]
                self.items = items
                return
            new = replace(item, reason_id=choice.reason_id, reason=choice.reason, note=choice.note)
            if replace_at is None:
                items.append(new)
            else:
                items[replace_at] = new
            self.items = items
            if replace_at is None:
                self.query_one("#composer-items", OptionList).highlighted = len(items) - 1

        self.app.push_screen(
            FlagDialog(
                item.label or label_for_path(item.field_path),
                config.reasons,
                reason_id=item.reason_id,
                note=item.note,
                flagged=replace_at is not None,
                title="补正原因",
            ),
            chosen,
        )

    def action_edit(self) -> None:
        index = self._selected()
        if index is not None:
            self._ask_reason(self.items[index], index)

    def action_remove(self) -> None:
        index = self._selected()
        if index is not None:
            items = list(self.items)
            gone = items.pop(index)
            self.items = items
            # Only this notice changes: say where the flag itself is removed.
            self.notify(
                f"已从本次告知书删除“{clean(gone.label)}”；审核页的标记仍在"
                "（退回后清除，或在审核页按 f 再按 ^D 取消标记）",
                timeout=4,
                markup=False,
            )

    def action_add(self) -> None:
        taken = {i.field_path for i in self.items}
        labels = {c.path: item_label(c) for c in self._choices}
        choices = [
            (c.path, labels[c.path], c.value if c.attachment is None else "")
            for c in self._choices
            if c.path not in taken
        ]

        def picked(path: str | None) -> None:
            if path is None:
                return
            self._ask_reason(CorrectionItem(path, labels[path], "", ""), None)

        self.app.push_screen(FieldPicker(choices), picked)

    # ----- send, export, cancel -----------------------------------------------------------

    def action_send(self) -> None:
        problems = problems_of(self.items)
        if self.deadline is None:
            problems.append("请填写有效的补正期限")
        if problems:
            self.notify("\n".join(problems), title="还不能退回", severity="warning", markup=False)
            return
        self._sending = True
        self.refresh_bindings()
        self._send(list(self.items), self.deadline)

    @work(thread=True, exclusive=True, group="composer-send")
    def _send(self, items: list[CorrectionItem], deadline: date | None) -> None:
        desk = self.services.desk(self.reviewer)
        try:
            decision = desk.return_application(self.app_id, items, self.version, deadline)
        except NotAllowed as exc:
            self.post_message(self._Refused(str(exc), conflict=False))
            return
        except ReviewError as exc:  # VersionConflict, LeaseHeld, NotFound
            self.post_message(self._Refused(str(exc), conflict=True))
            return
        self.post_message(self._Sent(decision))

    def on_return_composer__sent(self, message: _Sent) -> None:
        self.dismiss(message.decision)

    def on_return_composer__refused(self, message: _Refused) -> None:
        self._sending = False
        self.refresh_bindings()
        if message.conflict:
            self.dismiss(message.message)
            return
        self.notify(message.message, title="未能退回", severity="error", markup=False)

    def action_export(self) -> None:
        self._export(self.notice_text, clean(self.application.basic.name))

    @work(thread=True, group="composer-export")
    def _export(self, text: str, name: str) -> None:
        paths = export_notice(
            self.services, text, name, self.app_id, actor=self.reviewer, draft=True
        )
        self.post_message(self._Said("已导出告知书（草稿）：\n" + "\n".join(map(str, paths))))

    def on_return_composer__said(self, message: _Said) -> None:
        self.notify(message.message, timeout=10, markup=False)

    def action_cancel(self) -> None:
        if not self._sending:
            self.dismiss(None)
