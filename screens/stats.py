"""统计: counts by 年度/级别/系列/state (and reporting office), reviewers per day, deadlines,
batches, and a bar chart of decisions per day. Read through `zcreview.storage.stats`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from zcreview.screens.text import ascii_symbols
from zcreview.screens.widgets.ascii import use_ascii_scrollbars
from zcreview.screens.workstation import workstation
from zcreview.stats_report import stats_export_payload
from zcreview.storage.stats import OfficeStats

DUE_DAYS = 2
"""Returns "due soon" within this many working days, as the queue's `d`."""


class StatsScreen(Screen[None]):
    """The office's statistics, fitted to the terminal's width."""

    SCREEN_NAME = "stats"

    HELP = """
## 统计

本单位申报按 **年度、申报级别、职称系列和状态** 的件数（上级单位另按上报单位），
审核人每日打开、通过、退回的件数，两个工作日内到期和已逾期的退回，数据上报批次，
以及每日审核决定的条形图。`R` 重新统计，`x` 导出 XLSX，`q` 返回队列。
命令行：`zcreview stats [--json | --xlsx 文件]`。
"""

    AUTO_FOCUS = "#stats-body"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q,escape", "close", "返回", id="stats.close"),
        Binding("R", "reload", "重新统计", id="stats.reload", tooltip="重新读取统计数字"),
        Binding("x", "export", "导出 XLSX", id="stats.export", tooltip="把统计导出为 XLSX"),
        Binding("j", "scroll(1)", "下滚", show=False, id="stats.down"),
        Binding("k", "scroll(-1)", "上滚", show=False, id="stats.up"),
    ]

    @dataclass
    class _Ready(Message):
        stats: OfficeStats

    def __init__(self) -> None:
        super().__init__()
        self.stats: OfficeStats | None = None
        self.text = ""
        """What the screen shows, as plain text (one line per row)."""
        self._width = 0

    @property
    def _ascii(self) -> bool:
        return bool(getattr(self.app, "ascii_mode", False))

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        with VerticalScroll(id="stats-body"):
            yield Static(Text("统计中…"), id="stats-text")
        yield Footer()

    def on_mount(self) -> None:
        if self._ascii:
            use_ascii_scrollbars(self)
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="stats")
    def _load(self) -> None:
        from zcreview.stats_report import due_by
        from zcreview.storage.stats import office_stats

        services = workstation(self.app).services
        today = services.today()
        with services.store.session() as session:
            stats = office_stats(
                session=session,
                today=today,
                due_by=due_by(today, DUE_DAYS, services.policy()),
                due_days=DUE_DAYS,
            )
        self.post_message(self._Ready(stats))

    def on_stats_screen__ready(self, message: _Ready) -> None:
        self.stats = message.stats
        self._show()

    def on_resize(self) -> None:
        if self.stats is not None and self._body_width() != self._width:
            self._show()

    def _body_width(self) -> int:
        body = self.query_one("#stats-body", VerticalScroll)
        return max(40, (body.scrollable_content_region.width or self.size.width) - 1)

    def _show(self) -> None:
        from zcreview.stats_report import sections

        assert self.stats is not None
        self._width = self._body_width()
        text = Text(no_wrap=True, overflow="crop")
        plain: list[str] = []
        for section in sections(self.stats, self._width, ascii_mode=self._ascii):
            lines = [ascii_symbols(x) if self._ascii else x for x in section.lines]
            if plain:
                text.append("\n")
                plain.append("")
            text.append(section.title + "\n", style="bold")
            text.append("\n".join(lines) + "\n")
            plain += [section.title, *lines]
        self.text = "\n".join(plain)
        # Text, not markup: office, unit and reviewer names are data.
        self.query_one("#stats-text", Static).update(text)

    def action_scroll(self, lines: int) -> None:
        body = self.query_one("#stats-body", VerticalScroll)
        body.scroll_to(y=body.scroll_y + lines, animate=False, immediate=True)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_export(self) -> None:
        if self.stats is not None:
            self._export(self.stats)

    @work(thread=True, exclusive=True, group="stats-export")
    def _export(self, stats: OfficeStats) -> None:
        from zcreview.domain.corrections import to_local
        from zcreview.stats_report import write_xlsx

        services = workstation(self.app).services
        now = to_local(datetime.now(UTC))
        office = str(getattr(self.app, "office_name", "") or "")
        try:
            path = services.exports_dir() / f"统计-{now:%Y%m%d-%H%M%S}.xlsx"
            caption = "，".join(p for p in (office, f"统计于 {now:%Y-%m-%d %H:%M}") if p)
            write_xlsx(stats, path, caption=caption)
            # Names of applicants with returns due leave the database: record who took them.
            from zcreview.screens.exports_ui import _record

            actor = getattr(self.app, "reviewer", None) or "只读浏览"
            _record(services, actor, None, stats_export_payload(stats, path))
        except OSError as exc:
            self.app.call_from_thread(
                self.notify, f"导出失败：{exc}", severity="error", markup=False
            )
            return
        self.app.call_from_thread(self.notify, f"已导出：{path}", title="统计", markup=False)
