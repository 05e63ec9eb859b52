"""The command palette in Chinese: its prompt and keys, and the office's own commands."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import partial
from typing import ClassVar

from rich.align import Align
from rich.text import Text
from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.widgets.option_list import Option

_CJK = re.compile(r"[\u4e00-\u9fff]")

TEXTUAL_COMMANDS: dict[str, str] = {
    "Focus Next": "下一个区域",
    "Focus Previous": "上一个区域",
    "Copy selected text": "复制所选文字",
}
"""Textual's own key bindings worth listing, under Chinese names; its other English ones
(scrolling sideways, paging sideways) do nothing useful here and are left out."""


def is_ours(description: str) -> bool:
    """A binding described in Chinese is one of ours; Textual's defaults are in English."""
    return bool(_CJK.search(description))


class ChinesePalette(CommandPalette):
    """Textual's palette with a Chinese prompt and key descriptions."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+end, shift+end", "command_list('last')", "最后一条", show=False),
        Binding("ctrl+home, shift+home", "command_list('first')", "第一条", show=False),
        Binding("down", "cursor_down", "下一条命令", show=False),
        Binding("escape", "escape", "关闭命令面板"),
        Binding("pagedown", "command_list('page_down')", "下一页", show=False),
        Binding("pageup", "command_list('page_up')", "上一页", show=False),
        Binding("up", "command_list('cursor_up')", "上一条命令", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(placeholder="搜索命令…", id="--command-palette")

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual's own says "No matches found"; the same wait and list entry, in Chinese.
        self._stop_no_matches_countdown()

        def show() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(Text("没有匹配的命令", style="not bold")),
                        disabled=True,
                        id=self._NO_MATCHES,
                    )
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show)


OFFICE_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("路径", "路径申请与审核", "open_paths"),
    ("数据上报", "选择通过未上报的申报并上报", "open_report"),
    ("立即同步", "发送待上报批次和退回，接收上报与上级退回", "sync_now"),
    ("统计", "按年度、级别、系列、状态和审核人统计", "open_stats"),
)
"""Office-wide commands, listed on every screen whether or not its keys show them."""


def app_keys(app: App[object]) -> dict[str, str]:
    """{action: its keys as shown} of the app's own bindings, with the user's `[keys]`."""
    from zcreview.screens.help import _own_bindings, remapped

    out: dict[str, str] = {}
    for binding in remapped(app, _own_bindings(app)):
        shown = app.get_key_display(binding)
        out[binding.action] = f"{out[binding.action]} / {shown}" if binding.action in out else shown
    return out


class OfficeCommands(Provider):
    """路径, 数据上报, 立即同步 and 统计 (where the app has it), by name from any screen."""

    def _commands(self) -> Iterable[tuple[str, str, str]]:
        from zcreview.screens.workstation import Workstation, is_top

        # Asked of the screen the palette was opened on (the app's check_action looks at the
        # screen on top, which is the palette itself).
        top = is_top(self.screen)
        app = self.app
        keys = app_keys(app)
        for name, help_text, action in OFFICE_COMMANDS:
            if action in keys:
                help_text = f"{help_text}（{keys[action]}）"
            if not hasattr(app, f"action_{action}"):
                continue
            if action == "sync_now" and not (isinstance(app, Workstation) and app.sync.enabled):
                continue
            if action != "sync_now" and not top:
                continue
            yield name, help_text, action

    async def discover(self) -> Hits:
        for name, help_text, action in self._commands():
            yield DiscoveryHit(name, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, action in self._commands():
            score = max(matcher.match(name), matcher.match(help_text))
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(name),
                    partial(self.app.run_action, action),
                    text=name,
                    help=help_text,
                )
