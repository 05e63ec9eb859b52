"""路径申请: pick 职称系列 and 申报级别, find the upper office by name, confirm."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from zcreview.domain.catalogue import Config
from zcreview.protocol import OfficeInfo
from zcreview.screens.text import clean
from zcreview.storage.tables import OfficeRow
from zcreview.sync.service import REUSABLE, SyncService, suggest_upper
from zcreview.sync.transport import SyncError

SEARCH_DEBOUNCE = 0.3
"""Seconds of quiet typing before the hub is asked: one request per pause on a slow link."""


@dataclass(frozen=True)
class PathChoice:
    series: str
    level: str
    upper: OfficeInfo
    year: int


class PathRequestDialog(ModalScreen[PathChoice | None]):
    """Series and level pickers, the suggested upper office pre-filled, fuzzy search at the hub."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "取消", id="path-request.cancel"),
    ]

    @dataclass
    class _Found(Message):
        query: str
        offices: list[OfficeInfo]
        error: str

    def __init__(
        self,
        config: Config,
        me: OfficeRow | None,
        service: SyncService,
        approved: dict[tuple[str, str], int],
        this_year: int,
    ) -> None:
        super().__init__()
        self._this_year = this_year
        self._config = config
        self._me = me
        self._service = service
        self._approved = approved
        self._typed = False
        self._filling = False
        self._timer: Timer | None = None
        self._offices: list[OfficeInfo] = []

    def compose(self) -> ComposeResult:
        cat = self._config.catalogue
        with Vertical(id="path-request-box", classes="dialog"):
            yield Static(Text("路径申请", style="bold"))
            with Horizontal(id="path-request-pickers"):
                yield Select(
                    [(s, s) for s in cat.series_names()],
                    prompt="职称系列",
                    compact=True,
                    id="path-series",
                )
                yield Select(
                    [(lv, lv) for lv in cat.levels],
                    prompt="申报级别",
                    compact=True,
                    id="path-level",
                )
                yield Select(
                    [(f"{y}年度", y) for y in range(self._this_year - 1, self._this_year + 2)],
                    value=self._this_year,
                    allow_blank=False,
                    compact=True,
                    id="path-year",
                )
            yield Static(id="path-hint")
            yield Input(placeholder="上级单位名称（模糊搜索）", compact=True, id="path-upper")
            yield OptionList(id="path-offices")
            yield Static(
                Text("Tab 切换    回车选定上级单位并提交    Esc 取消", style="dim"),
                id="path-keys",
            )

    def on_mount(self) -> None:
        self.query_one("#path-series", Select).focus()
        self._show_hint()

    # ----- pickers ------------------------------------------------------------------------

    def _picked(self) -> tuple[str, str]:
        series = self.query_one("#path-series", Select).value
        level = self.query_one("#path-level", Select).value
        return (
            series if isinstance(series, str) else "",
            level if isinstance(level, str) else "",
        )

    @on(Select.Changed)
    def _scope_changed(self) -> None:
        series, level = self._picked()
        suggestion, _ = suggest_upper(self._config, self._me, series, level)
        if not self._typed and suggestion:
            self._filling = True
            self.query_one("#path-upper", Input).value = suggestion
        self._show_hint()

    def _show_hint(self) -> None:
        series, level = self._picked()
        _, why = suggest_upper(self._config, self._me, series, level)
        hint = Text(f"建议：{why}" if why else "")
        year = self._approved.get((series, level))
        if year is not None:
            hint.append(
                f"\n已有 {year} 年审核通过的“{series}·{level}”路径：{REUSABLE}，无需重新申请",
                style="bold",
            )
        self.query_one("#path-hint", Static).update(hint)

    # ----- search -------------------------------------------------------------------------

    @on(Input.Changed, "#path-upper")
    def _typing(self, event: Input.Changed) -> None:
        if self._filling:
            self._filling = False
        else:
            self._typed = True
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(SEARCH_DEBOUNCE, self._search_now)

    def _search_now(self) -> None:
        query = self.query_one("#path-upper", Input).value.strip()
        if query:
            self._search(query)

    @work(thread=True, exclusive=True, group="path-search", exit_on_error=False)
    def _search(self, query: str) -> None:
        try:
            found, error = self._service.find_offices(query), ""
        except SyncError as exc:
            found, error = [], f"离线，无法搜索上级单位：{exc}"
        self.post_message(self._Found(query, found, error))

    def on_path_request_dialog__found(self, message: _Found) -> None:
        self._offices = message.offices
        options = self.query_one("#path-offices", OptionList)
        options.clear_options()
        # Office names come from the hub: data, never markup.
        options.add_options(
            [
                Option(Text(f"{clean(o.name)}  {clean(o.office_type)} {clean(o.office_level)}"))
                for o in message.offices
            ]
        )
        if message.error or not message.offices:
            note = message.error or f"没有找到名称含“{message.query}”的单位"
            self.query_one("#path-keys", Static).update(Text(note, style="bold red"))
        else:
            self.query_one("#path-keys", Static).update(
                Text(f"找到 {len(message.offices)} 个单位：↓ 选择，回车提交", style="dim")
            )

    @on(Input.Submitted, "#path-upper")
    def _submitted(self, event: Input.Submitted) -> None:
        query = event.value.strip()
        exact = [o for o in self._offices if query in (o.name, o.credit_code)]
        if len(exact) == 1 or len(self._offices) == 1:
            self._choose((exact or self._offices)[0])
        elif self._offices:
            self.query_one("#path-offices", OptionList).focus()
        else:
            self._search_now()

    @on(OptionList.OptionSelected, "#path-offices")
    def _office_picked(self, event: OptionList.OptionSelected) -> None:
        self._choose(self._offices[event.option_index])

    def _choose(self, office: OfficeInfo) -> None:
        series, level = self._picked()
        if not series or not level:
            self.query_one("#path-keys", Static).update(
                Text("请先选择职称系列和申报级别", style="bold red")
            )
            self.query_one("#path-series" if not series else "#path-level", Select).focus()
            return
        year = self.query_one("#path-year", Select).value
        self.dismiss(
            PathChoice(series, level, office, year if isinstance(year, int) else self._this_year)
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
