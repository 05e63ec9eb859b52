"""Running the workstation in this terminal: Textual's process-wide settings, the app with its
services, and the driver that asks the terminal about pixel graphics."""

from __future__ import annotations

import gc
import os
import sys

from textual.scrollbar import ScrollBar

from zcreview.screens.app import OfficeContext, make_app
from zcreview.screens.sync_runner import SyncRunner
from zcreview.screens.widgets.ascii import AsciiScrollBarRender
from zcreview.settings import Settings

SSH_FPS = 20
"""Frame rate cap: key repeat over SSH writes half the bytes at 20 fps that it does at 60."""

_RICH_COLOR_SYSTEMS = {"standard": "standard", "256": "256", "truecolor": "truecolor"}


def configure_textual(settings: Settings) -> None:
    """Apply the terminal settings Textual reads from its environment at import time.

    An explicit TEXTUAL_COLOR_SYSTEM / TEXTUAL_FPS in the environment still wins.
    """
    import textual.constants
    import textual.screen

    if settings.color_system == "none":
        os.environ.setdefault("NO_COLOR", "1")  # read by App.__init__
    elif "TEXTUAL_COLOR_SYSTEM" not in os.environ:
        system = _RICH_COLOR_SYSTEMS.get(settings.color_system, "auto")
        textual.constants.COLOR_SYSTEM = system  # type: ignore[misc]
    if settings.ascii_mode:
        # Partial-cell scrollbar glyphs (▁▂▃) and the check boxes' half blocks (▐X▌) are
        # ambiguous-width; ASCII mode uses colour only and brackets.
        from textual.widgets._toggle_button import ToggleButton

        ScrollBar.renderer = AsciiScrollBarRender
        ToggleButton.BUTTON_LEFT, ToggleButton.BUTTON_RIGHT = "[", "]"
    if "TEXTUAL_FPS" not in os.environ:
        textual.constants.MAX_FPS = SSH_FPS  # type: ignore[misc]
        textual.screen.UPDATE_PERIOD = 1 / SSH_FPS  # type: ignore[misc]


def run_app(ctx: OfficeContext, reviewer: str | None = None) -> int:
    """Run the workstation in this terminal; returns the exit code.

    The terminal is asked about pixel graphics by the app's driver once it has the terminal
    (`zcreview.screens.terminal_driver`): the first paint does not wait for the answer, the
    previews use this terminal type's cached answer (or half-blocks) until it comes.
    """
    from zcreview.preview.probe import GraphicsQuestion
    from zcreview.screens.review_services import ReviewServices

    configure_textual(ctx.settings)
    question = GraphicsQuestion(ctx.settings.graphics, ctx.settings.home)
    services = ReviewServices(ctx.store, ctx.settings, terminal=question.meanwhile())
    app = make_app(ctx, services, SyncRunner(ctx.settings, ctx.store), reviewer=reviewer)
    if question.asks and _interactive():
        from zcreview.screens.terminal_driver import asking_driver

        app.driver_class = asking_driver(question)
    try:
        result = app.run(mouse=ctx.settings.mouse)
    finally:
        gc.enable()  # when the app ended before its first page
        ctx.store.dispose()
    if isinstance(result, int):
        return result
    return app.return_code or 0


def _interactive() -> bool:
    """Whether Textual's Linux driver reads a terminal (its input is a tty on a POSIX system)."""
    stdin = sys.__stdin__
    return os.name == "posix" and stdin is not None and stdin.isatty()
