"""Textual's Linux driver, asking the terminal about pixel graphics without holding up the start.

Once Textual has the terminal, `AskingDriver` writes the graphics question
(`zcreview.preview.graphics.capability_query`) and its input thread takes the terminal's
replies out of the input (`zcreview.preview.reply_filter`) until DA1 has answered or
`zcreview.preview.probe.TIMEOUT` has passed; keys and Textual's own replies go on to Textual's
parser as before. The answer then reaches the app as a `TerminalAnswered` message. The first
paint never waits for it: until then the app draws with the cached answer (or half-blocks).
A reply later than the timeout (a slow link) is still taken out, for `LATE` seconds, and its
answer sent too.

`run_input_thread` is Textual 8.2's loop with the filter between reading and decoding; the
project pins Textual to 8.2.x for it.
"""

from __future__ import annotations

import os
import selectors
import time
from codecs import getincrementaldecoder
from typing import TYPE_CHECKING, ClassVar

from textual._loop import loop_last
from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message

from zcreview.preview.graphics import capability_query
from zcreview.preview.probe import TIMEOUT, GraphicsQuestion, TerminalGraphics
from zcreview.preview.reply_filter import ReplyFilter

if TYPE_CHECKING:
    from textual.app import App

LATE = 30.0
"""Seconds after the timeout during which a late reply is still taken out of the input."""


class TerminalAnswered(Message):
    """The terminal answered the graphics question (or did not, in time): what it draws."""

    def __init__(self, graphics: TerminalGraphics) -> None:
        super().__init__()
        self.graphics = graphics


class AskingDriver(LinuxDriver):
    """Asks `question` once the terminal is in application mode; build it with `asking_driver`."""

    question: ClassVar[GraphicsQuestion]

    def __init__(
        self,
        app: App[object],
        *,
        debug: bool = False,
        mouse: bool = True,
        size: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(app, debug=debug, mouse=mouse, size=size)
        self._asked = False
        self._replies: ReplyFilter | None = None
        """Set while the question is outstanding (read by the input thread)."""
        self._deadline = 0.0

    def start_application_mode(self) -> None:
        super().start_application_mode()  # type: ignore[no-untyped-call]
        # Once per run (not again after a suspend), and only when Textual took the terminal.
        if self._asked or self._writer_thread is None or not self.input_tty:
            return
        self._asked = True
        self._deadline = time.monotonic() + TIMEOUT
        self._replies = ReplyFilter()  # before the question: the reply may come at once
        self.write(capability_query().decode("ascii"))
        self.flush()

    # ----- the input thread ---------------------------------------------------------------

    def _take_replies(self, data: bytes) -> bytes:
        """``data`` as read, without the terminal's replies while the question is outstanding."""
        replies = self._replies
        if replies is None:
            return data
        data = replies.feed(data)
        if replies.done:
            self._answered(replies)
        return data

    def _after_select(self, idle: bool) -> bytes:
        """Bytes held back that go on now: a lone ESC after a quiet spell (the Escape key),
        everything once the question has timed out."""
        replies = self._replies
        if replies is None:
            return b""
        released = replies.idle() if idle else b""
        now = time.monotonic()
        if not replies.late and now >= self._deadline:
            released += replies.finish()
            self._send_answer(
                replies
            )  # the cached one (or half-blocks); a late reply answers again
        elif replies.late and now >= self._deadline + LATE:
            self._replies = None
        return released

    def _answered(self, replies: ReplyFilter) -> None:
        self._replies = None
        self._send_answer(replies)

    def _send_answer(self, replies: ReplyFilter) -> None:
        self.send_message(TerminalAnswered(self.question.answer(replies.replies, self.fileno)))

    def run_input_thread(self) -> None:
        """Wait for input and dispatch events (Textual 8.2.8's loop, with `_take_replies`
        between `os.read` and the decoder, and `_after_select` after each select)."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)

        fileno = self.fileno
        EVENT_READ = selectors.EVENT_READ

        parser = XTermParser(self._debug)
        feed = parser.feed
        tick = parser.tick

        utf8_decoder = getincrementaldecoder("utf-8")().decode
        decode = utf8_decoder
        read = os.read

        def process_selector_events(
            selector_events: list[tuple[selectors.SelectorKey, int]],
            final: bool = False,
        ) -> None:
            for last, (_selector_key, mask) in loop_last(selector_events):
                if mask & EVENT_READ:
                    data = read(fileno, 1024 * 4)
                    if not data:
                        # This can occur if the stdin is piped
                        break
                    unicode_data = decode(self._take_replies(data), final=final and last)
                    if not unicode_data:
                        # Only replies, or part of a character (an empty feed means EOF)
                        continue
                    for event in feed(unicode_data):
                        self.process_message(event)
            unicode_data = decode(self._after_select(idle=not selector_events))
            if unicode_data:
                for event in feed(unicode_data):
                    self.process_message(event)
            for event in tick():
                self.process_message(event)

        try:
            while not self.exit_event.is_set():
                process_selector_events(selector.select(0.1))
            selector.unregister(self.fileno)
            process_selector_events(selector.select(0.1), final=True)

        finally:
            selector.close()
            try:
                for _event in feed(""):
                    pass
            except (EOFError, ParseError):
                pass


def asking_driver(question: GraphicsQuestion) -> type[AskingDriver]:
    """The driver class for an app that asks this terminal `question`."""
    return type("AskingDriver", (AskingDriver,), {"question": question})
