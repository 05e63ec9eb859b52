"""The application shell: wires settings, the office store and the screens together."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, cast

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.content import Content
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import var
from textual.screen import Screen

from zcreview.screens.queue import QueueScreen
from zcreview.screens.reviewer_picker import ReviewerPicker
from zcreview.screens.sync_runner import SyncRunner
from zcreview.screens.text import ascii_symbols, clean
from zcreview.screens.workstation import is_top
from zcreview.settings import Settings
from zcreview.storage.identity import office_identity
from zcreview.storage.store import Store

if TYPE_CHECKING:
    from zcreview.preview.graphics import Protocol as PixelProtocol
    from zcreview.screens.review_services import ReviewServices
    from zcreview.screens.terminal_driver import TerminalAnswered

_ASCII_KEYS = {
    "up": "Up",
    "down": "Down",
    "left": "Left",
    "right": "Right",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "home": "Home",
    "end": "End",
    "enter": "Enter",
    "escape": "Esc",
    "space": "Space",
    "tab": "Tab",
}


class OfficeContext(Protocol):
    """What the app needs from `zcreview.context.Context` (not imported: the CLI layer is above)."""

    settings: Settings
    store: Store


class _DrawsPixels(Protocol):
    """A preview pane (`zcreview.screens.widgets.preview_pane.PreviewPane`)."""

    def use_terminal(self, protocol: PixelProtocol, cell: tuple[int, int]) -> None: ...


def _export_commands() -> type[Provider]:
    # Loaded when the palette opens, not at start-up (it brings in the review storage).
    from zcreview.screens.exports_ui import ExportListProvider

    return ExportListProvider


def _office_commands() -> type[Provider]:
    from zcreview.screens.palette import OfficeCommands

    return OfficeCommands


def _paths_screen() -> Screen[Any]:
    from zcreview.screens.paths import PathsScreen

    return PathsScreen()


def _report_screen() -> Screen[Any]:
    from zcreview.screens.report import ReportScreen

    return ReportScreen()


def _stats_screen() -> Screen[Any]:
    from zcreview.screens.stats import StatsScreen

    return StatsScreen()


def _outbox_screen() -> Screen[Any]:
    from zcreview.screens.outbox import OutboxScreen

    return OutboxScreen()


class ZcReviewApp(App[int]):
    """The reviewer's workstation. Build it with `make_app`; it opens nothing by itself.

    It holds the session's review services and its sync runner, which screens reach through
    `zcreview.screens.workstation`.
    """

    CSS_PATH = "zcreview.tcss"
    COMMANDS = App.COMMANDS | {_export_commands, _office_commands}
    TITLE = "职称申报审核"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # noqa: RUF012 (Textual declares it an instance variable)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "帮助", id="app.help", tooltip="本页按键与说明"),
        Binding("ctrl+l", "redraw", "重绘屏幕", show=False, id="app.redraw"),
        Binding(
            "T",
            "open_stats",
            "统计",
            show=False,
            id="app.stats",
            tooltip="按年度、级别、系列、状态和审核人统计",
        ),
        Binding(
            "ctrl+p",
            "command_palette",
            "命令",
            show=False,
            priority=True,
            id="app.palette",
            tooltip="按名称查找并执行命令",
        ),
        # Off the footer (the queue's is full at 80 columns); in `?` help and the palette.
        Binding("P", "open_paths", "路径", show=False, id="app.paths", tooltip="路径申请与审核"),
        Binding(
            "U",
            "open_report",
            "数据上报",
            show=False,
            id="app.report",
            tooltip="选择通过未上报的申报并上报",
        ),
        Binding(
            "dollar_sign",
            "sync_now",
            "立即同步",
            show=False,
            id="app.sync",
            tooltip="发送待上报批次和退回，接收上报与上级退回",
        ),
    ]
    SCREEN_FACTORIES: ClassVar[dict[str, Callable[[], Screen[Any]]]] = {
        "paths": _paths_screen,
        "report": _report_screen,
        "outbox": _outbox_screen,
        "stats": _stats_screen,
    }
    """Screens opened by name (`open_screen`, `open_top`); each module loads on first use."""

    identified: var[bool] = var(False, init=False)
    """True once the office and its reviewers are read (the queue holds an early Enter)."""
    reviewer: var[str | None] = var(None, init=False)
    """The named reviewer of this session; None = read-only browsing."""

    @dataclass
    class _Identity(Message):
        office: str
        reviewers: list[str]

    def __init__(
        self,
        ctx: OfficeContext,
        services: ReviewServices,
        sync: SyncRunner,
        *,
        reviewer: str | None = None,
    ) -> None:
        settings = ctx.settings
        # 16-colour terminals get the ANSI theme: the terminal's own palette, no RGB guessing.
        ansi = settings.color_system == "standard"
        super().__init__(ansi_color=True if ansi else None)
        self.ctx = ctx
        self.settings: Settings = settings
        self.store = ctx.store
        self.services = services
        self.sync = sync
        self.ascii_mode = settings.ascii_mode
        self.requested_reviewer = reviewer or settings.reviewer
        self.office_name = ""
        # Animation over SSH costs ~25x the bytes of a plain repaint (terminal.md).
        self.animation_level = "none"
        if ansi:
            self.theme = "ansi-dark"
        if self.ascii_mode:
            self.add_class("-ascii")
        if settings.keys:
            from zcreview.screens.keymap import check_keymap

            check_keymap(settings.keys, settings.settings_path)
            self.set_keymap(settings.keys)

    # ----- start-up -----------------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        # The queue is the app's first screen rather than one pushed over Textual's default:
        # a screen pushed while the app starts is composed inside its start-up batch, and the
        # frame drawn there is never written, so the terminal waited for a second one.
        return QueueScreen(self.store, ascii_mode=self.ascii_mode)

    def on_mount(self) -> None:
        # Read at once where the office can answer (a current SQLite office): the title bar's
        # first frame then names the reviewer and the office, and an Enter typed at once is
        # not held for the reviewer's name; elsewhere a worker reads it ("载入中" meanwhile).
        found = self.store.read_at_once(lambda reader: office_identity(session=reader))
        if found is not None:
            self._take_identity(found.office, found.reviewers)
        else:
            self.sub_title = "载入中"
            self._identify()
        self.sync.attach(self, self._show_identity, self._reload_queue)

    def on_queue_screen_first_page(self) -> None:
        # The CLI holds the cyclic garbage collector off while the workstation loads: its full
        # passes over the freshly imported heap cost about a tenth of a second just before the
        # first paint. What was loaded stays (frozen, never scanned again); collection resumes.
        gc.freeze()
        gc.enable()
        self._open_store()

    @work(thread=True, exclusive=True, group="store")
    def _open_store(self) -> None:
        """Open the database engine (SQLAlchemy, the schema check) now that the queue is on
        screen, so the first review does not wait for it; the queue read without it."""
        try:
            _ = self.store.engine
        except Exception as exc:  # any failure: the reviewer is told, the queue stays usable
            self.call_from_thread(
                self.notify,
                f"无法打开办公数据库：{exc}",
                title="数据库",
                severity="error",
                timeout=30,
                markup=False,
            )

    def on_unmount(self) -> None:
        self.sync.close()

    @work(thread=True, exclusive=True, group="identity")
    def _identify(self) -> None:
        with self.store.reading() as session:
            found = office_identity(session=session)
        self.post_message(self._Identity(found.office, found.reviewers))

    def on_zc_review_app__identity(self, message: _Identity) -> None:
        self._take_identity(message.office, message.reviewers)

    def _take_identity(self, office: str, names: list[str]) -> None:
        self.office_name = clean(office)
        self.identified = True
        wanted = self.requested_reviewer
        if wanted and wanted in names:
            self.reviewer = wanted
        elif len(names) == 1 and not wanted:
            self.reviewer = names[0]
        elif names:
            note = f"未登记的审核人：{clean(wanted)}" if wanted else ""
            # After a refresh: a screen pushed while the app starts would lose its first frame.
            picker = ReviewerPicker(names, note)
            self.call_after_refresh(self.push_screen, picker, self._picked)
        else:
            self.notify(
                "本单位尚未登记审核人，队列只能只读浏览。\n登记：zcreview reviewer add 姓名",
                title="没有审核人",
                severity="warning",
                timeout=20,
                markup=False,
            )
        self._show_identity()

    def _picked(self, name: str | None) -> None:
        self.reviewer = name
        self._show_identity()

    def watch_reviewer(self) -> None:
        self._show_identity()

    def _show_identity(self) -> None:
        who = f"审核人：{clean(self.reviewer)}" if self.reviewer else "只读浏览（未选择审核人）"
        sep = " | " if self.ascii_mode else " · "
        self.sub_title = sep.join(p for p in (who, self.office_name, self.sync.text) if p)

    # ----- sync: the runner's messages come to the app, which hands them back -------------

    def on_sync_runner_started(self, message: SyncRunner.Started) -> None:
        self.sync.started(message)

    def on_sync_runner_progressed(self, message: SyncRunner.Progressed) -> None:
        self.sync.progressed(message)

    def on_sync_runner_finished(self, message: SyncRunner.Finished) -> None:
        self.sync.finished(message)

    def _reload_queue(self) -> None:
        """The queue lists what a sync brought; reload it wherever it is in the stack."""
        for screen in self.screen_stack:
            if isinstance(screen, QueueScreen):
                screen.action_reload()

    # ----- the terminal's answer about pixel graphics (`terminal_driver`) ------------------

    def on_terminal_answered(self, message: TerminalAnswered) -> None:
        """Previews draw with what the terminal said; until now they used its cached answer.
        A review screen not on screen takes it up when it comes back (`use_terminal`)."""
        self.services.terminal = message.graphics
        protocol, cell = self.services.graphics_protocol(), self.services.cell_pixels()
        for screen in self.screen_stack:
            panes = screen.query("PreviewPane")  # by name: the preview loads on first use
            for pane in panes:
                cast("_DrawsPixels", pane).use_terminal(protocol, cell)
            if panes:
                screen.refresh_bindings()

    # ----- screens by name ----------------------------------------------------------------

    def open_screen(self, name: str) -> None:
        self.push_screen(self.SCREEN_FACTORIES[name]())

    def open_top(self, name: str) -> None:
        """Open a top screen over the queue: the one already open comes forward instead."""
        from zcreview.screens.workstation import screen_name

        if screen_name(self.screen) == name:
            return
        while is_top(self.screen) and screen_name(self.screen) != "queue":
            self.pop_screen()
        self.open_screen(name)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("open_paths", "open_report", "open_stats"):
            return is_top(self.screen)
        if action == "sync_now":
            return self.sync.enabled
        return super().check_action(action, parameters)

    def action_open_paths(self) -> None:
        self.open_top("paths")

    def action_open_report(self) -> None:
        self.open_top("report")

    def action_sync_now(self) -> None:
        self.sync.sync_now()

    # ----- global actions -----------------------------------------------------------------

    def action_help(self) -> None:
        # Imported on first use: the help pages are built from every binding of the screen.
        from zcreview.screens.help import HelpScreen, help_markdown

        if isinstance(self.screen, HelpScreen):
            return
        markdown = help_markdown(self, self.screen)
        self.push_screen(HelpScreen(markdown, ascii_mode=self.ascii_mode))

    def action_open_stats(self) -> None:
        self.open_top("stats")

    def action_redraw(self) -> None:
        """Repaint every cell: for a terminal garbled by a flaky link (like ^L in a shell)."""
        self.screen.refresh(layout=True)

    def action_command_palette(self) -> None:
        from zcreview.screens.palette import ChinesePalette

        if self.use_command_palette and not ChinesePalette.is_open(self):  # type: ignore[arg-type]
            self.push_screen(ChinesePalette())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette lists the keys of the current screen, under the same descriptions,
        then the app's own commands, all in Chinese (Textual's English ones are left out)."""
        from zcreview.screens.palette import OFFICE_COMMANDS, TEXTUAL_COMMANDS, is_ours

        seen: set[str] = {"command_palette", *(action for _, _, action in OFFICE_COMMANDS)}
        for active in screen.active_bindings.values():
            binding = active.binding
            title = binding.description
            if not is_ours(title):
                title = TEXTUAL_COMMANDS.get(title, "")
            if not title or not active.enabled or binding.action in seen:
                continue
            seen.add(binding.action)
            key = self.get_key_display(binding)
            yield SystemCommand(
                title,
                f"{binding.tooltip}（{key}）" if binding.tooltip else f"按键 {key}",
                partial(self.run_action, binding.action, active.node),
            )
        yield SystemCommand("主题", "更换配色主题", self.action_change_theme)
        yield SystemCommand(
            "截图",
            "把当前屏幕保存为 SVG 图片",
            lambda: self.set_timer(0.1, self.deliver_screenshot),
        )
        yield SystemCommand("退出 zcreview", "立即退出工作台", self.action_quit)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notice of every screen: ASCII stand-ins for ambiguous symbols in ASCII mode."""
        if self.ascii_mode:
            message, title = ascii_symbols(message), ascii_symbols(title)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def format_title(self, title: str, sub_title: str) -> Content:
        if not sub_title:
            return Content(title)
        sep = " - " if self.ascii_mode else " — "
        if self.ascii_mode:  # the office's name and the reviewer's are data
            sub_title = ascii_symbols(sub_title)
        return Content.assemble(Content(title), (sep, "dim"), Content(sub_title).stylize("dim"))

    def get_key_display(self, binding: Binding) -> str:
        modifiers, key = binding.parse_key()
        if self.ascii_mode and not binding.key_display and key in _ASCII_KEYS:
            # Textual shows arrows and ⏎, which are ambiguous-width in CJK terminals.
            return "+".join([*modifiers, _ASCII_KEYS[key]]).replace("ctrl+", "^")
        return super().get_key_display(binding)


def make_app(
    ctx: OfficeContext,
    services: ReviewServices,
    sync: SyncRunner,
    *,
    reviewer: str | None = None,
) -> ZcReviewApp:
    """The app over `ctx` (settings and an opened store) with its review services and sync
    runner; nothing runs until `.run()`."""
    return ZcReviewApp(ctx, services, sync, reviewer=reviewer)
