"""Flag an item for correction: pick a return reason by typing (fuzzy), add free text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from zcreview.domain.catalogue import ReasonTemplate
from zcreview.screens.field_picker import step_options
from zcreview.screens.text import clean

FREE_TEXT = "-"
"""Option id of "no template, my own words only"."""


@dataclass(frozen=True)
class FlagChoice:
    """The reviewer's answer: a template (id and text) and/or a note; or remove the flag."""

    reason_id: str
    reason: str
    note: str
    remove: bool = False


def rank_reasons(
    query: str, reasons: Sequence[ReasonTemplate], suggested: Sequence[str] = ()
) -> list[ReasonTemplate]:
    """Reasons matching `query` (fuzzy, in order of fit); suggested ones first on a tie.

    With an empty query: suggested reasons first, then the rest in file order.
    """
    bias = {rid: len(suggested) - i for i, rid in enumerate(suggested)}
    query = query.strip()
    if not query:
        return sorted(reasons, key=lambda r: -bias.get(r.id, 0))
    matcher = Matcher(query)
    scored = [(matcher.match(f"{r.text} {r.id}"), r) for r in reasons]
    hits = [(score, r) for score, r in scored if score > 0]
    hits.sort(key=lambda pair: (-pair[0], -bias.get(pair[1].id, 0)))
    return [r for _, r in hits]


class FlagDialog(ModalScreen[FlagChoice | None]):
    """Type to filter the reasons, ↑/↓ to choose, Enter to flag; Tab to write a note first."""

    # One-row inputs and a borderless list: at 80x24 the note and the keys stay on screen.
    DEFAULT_CSS = """
    FlagDialog { align: center middle; }
    FlagDialog #flag-box { width: 72; max-width: 96%; max-height: 100%; }
    FlagDialog #flag-reasons { height: auto; max-height: 10; margin: 0; border: none; }
    FlagDialog Input { margin: 0 0 1 0; }
    FlagDialog #flag-error { color: $error; height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "取消", id="flag.cancel"),
        Binding("down", "move(1)", "下一个原因", show=False),
        Binding("up", "move(-1)", "上一个原因", show=False),
        # Priority: the text boxes would otherwise take ^D as "delete to the right".
        Binding(
            "ctrl+d",
            "remove",
            "取消标记",
            priority=True,
            id="flag.remove",
            tooltip="删除这个条目的标记",
        ),
    ]

    AUTO_FOCUS = "#flag-filter"

    def __init__(
        self,
        label: str,
        reasons: Sequence[ReasonTemplate],
        *,
        suggested: Sequence[str] = (),
        reason_id: str = "",
        note: str = "",
        flagged: bool = False,
        title: str = "标记为需补正",
    ) -> None:
        super().__init__()
        self._label = label
        self._reasons = list(reasons)
        self._suggested = list(suggested)
        if reason_id and reason_id not in self._suggested:
            self._suggested.insert(0, reason_id)
        self._reason_id = reason_id
        self._note = note
        self._flagged = flagged
        self._title = title
        self._shown: list[ReasonTemplate] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="flag-box", classes="dialog"):
            title = Text(f"{self._title}：", style="bold")
            title.append(clean(self._label))
            yield Static(title)
            yield Input(placeholder="输入文字筛选退回原因", id="flag-filter", compact=True)
            options = OptionList(id="flag-reasons")
            options.can_focus = False  # Tab goes from the filter straight to the note
            yield options
            yield Input(
                self._note,
                placeholder="补充说明（可选，申请人可见）",
                id="flag-note",
                compact=True,
                select_on_focus=False,  # Tab then type adds to the note, as an edit should
            )
            yield Static(id="flag-error")
            hint = "回车确定  Tab 写说明  Esc 取消"
            if self._flagged:
                hint += "  ^D 取消标记"
            yield Static(Text(hint, style="dim"))

    def on_mount(self) -> None:
        self._refill("")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "remove":
            return self._flagged
        return True

    def _refill(self, query: str) -> None:
        options = self.query_one("#flag-reasons", OptionList)
        self._shown = rank_reasons(query, self._reasons, self._suggested)
        suggested = set(self._suggested)
        items: list[Option] = []
        for r in self._shown:
            text = Text(clean(r.text))
            if r.id in suggested and not query:
                text.append("  建议", style="dim")
            items.append(Option(text, id=r.id))
        items.append(Option(Text("（不用模板，只写说明）", style="dim"), id=FREE_TEXT))
        options.set_options(items)
        start = 0
        if self._reason_id and not query:
            start = next((i for i, r in enumerate(self._shown) if r.id == self._reason_id), 0)
        options.highlighted = start

    @on(Input.Changed, "#flag-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._refill(event.value)
        self.query_one("#flag-error", Static).update("")

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self._choose()

    @on(OptionList.OptionSelected)
    def _clicked(self) -> None:
        self._choose()

    def action_move(self, step: int) -> None:
        step_options(self.query_one("#flag-reasons", OptionList), step)

    def _choose(self) -> None:
        options = self.query_one("#flag-reasons", OptionList)
        note = clean(self.query_one("#flag-note", Input).value).strip()
        index = options.highlighted
        option = options.get_option_at_index(index) if index is not None else None
        if option is None or option.id == FREE_TEXT:
            if not note:
                self.query_one("#flag-error", Static).update(
                    Text("请选择一个退回原因，或在说明中写明原因")
                )
                self.query_one("#flag-note", Input).focus()
                return
            self.dismiss(FlagChoice("", "", note))
            return
        reason = next(r for r in self._shown if r.id == option.id)
        self.dismiss(FlagChoice(reason.id, reason.text, note))

    def action_remove(self) -> None:
        self.dismiss(FlagChoice("", "", "", remove=True))

    def action_cancel(self) -> None:
        self.dismiss(None)
