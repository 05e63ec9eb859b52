"""Take the terminal's answers to the graphics question out of the keyboard's byte stream.

The question (`zcreview.preview.graphics.capability_query`) is written once the TUI has the
terminal, so its replies arrive on the same input as keys, mouse reports and the replies to
the TUI's own queries. While the question is outstanding, `ReplyFilter.feed` keeps exactly
these replies back and passes everything else on unchanged and in order:

- DA1 ``ESC [ ? 62 ; 4 c`` (every terminal answers; it comes last, so it ends the answer),
- the cell size ``ESC [ 6 ; height ; width t``,
- XTVERSION ``ESC P > | name ESC \\``,
- the kitty graphics answer ``ESC _ G … ESC \\``.

A reply may be split across reads: a trailing part that could still become one is held until
the next read completes or refutes it. A lone trailing ESC is also the Escape key, so `idle`
(no input for a while) lets it go; `finish` (the question timed out) lets everything go and
stops holding anything back. A reply that comes later still (a slow link) is taken out when it
arrives whole in one read, until DA1's: no key produces any of these sequences, and a late
DA1 reply let through would type `?` (help) and digits (state filters). Pure: no terminal, no
clock.
"""

from __future__ import annotations

import re
from typing import Final

ESC: Final = 0x1B
_DIGITS: Final = frozenset(b"0123456789")
_PARAMS: Final = frozenset(b"0123456789;")

MAX_REPLY: Final = 512
"""Longest reply kept back; a longer sequence is not an answer (a terminal name is short)."""

_CELL_SIZE: Final = re.compile(rb"\x1b\[6;\d+;\d+t")
_STRING_PREFIXES: Final = (b"\x1bP>|", b"\x1b_G")
"""Replies that are control strings ended by ST (``ESC \\``): XTVERSION and kitty graphics."""

_NO: Final = -1
_PARTIAL: Final = -2


def _csi(buf: bytes, start: int) -> int:
    """End of a DA1 or cell-size reply at ``buf[start:]`` (which begins ``ESC [``)."""
    n = len(buf)
    at = start + 2
    if at == n:
        return _PARTIAL
    lead = buf[at]
    if lead == ord("?"):  # DA1: ESC [ ? params c
        at += 1
        while at < n and buf[at] in _PARAMS:
            at += 1
        if at == n:
            return _PARTIAL
        return at + 1 if buf[at] == ord("c") else _NO
    if lead == ord("6"):  # cell size: ESC [ 6 ; digits ; digits t
        at += 1
        while at < n and buf[at] in _PARAMS:
            at += 1
        if at == n:
            return _PARTIAL if _could_be_cell_size(buf[start:]) else _NO
        if buf[at] == ord("t") and _CELL_SIZE.fullmatch(buf, start, at + 1):
            return at + 1
        return _NO
    return _NO


def _could_be_cell_size(part: bytes) -> bool:
    """Whether ``part`` (``ESC [ 6`` and parameters, unfinished) can still become a cell size."""
    fields = part[2:].split(b";")
    if fields[0] != b"6" or len(fields) > 3:
        return False
    # Every finished field has digits; the last one may still be empty.
    return all(fields[1:-1]) if len(fields) > 2 else True


def _string(buf: bytes, start: int, prefix: bytes) -> int:
    """End of a control string reply with ``prefix`` at ``buf[start:]``, ended by ``ESC \\``."""
    n = len(buf)
    head = buf[start : start + len(prefix)]
    if not prefix.startswith(head):
        return _NO
    if len(head) < len(prefix):
        return _PARTIAL
    esc = buf.find(b"\x1b", start + len(prefix))
    if esc < 0 or esc + 1 == n:
        return _PARTIAL if n - start <= MAX_REPLY else _NO
    if buf[esc + 1] != ord("\\") or esc + 2 - start > MAX_REPLY:
        return _NO
    return esc + 2


def _reply_end(buf: bytes, start: int) -> int:
    """Where the reply starting at ``buf[start]`` (an ESC) ends; `_PARTIAL` when ``buf`` ends
    before that is known; `_NO` when it is not one of the replies."""
    if start + 1 == len(buf):
        return _PARTIAL
    kind = buf[start + 1]
    if kind == ord("["):
        end = _csi(buf, start)
    elif kind in (ord("P"), ord("_")):
        prefix = _STRING_PREFIXES[0] if kind == ord("P") else _STRING_PREFIXES[1]
        end = _string(buf, start, prefix)
    else:
        return _NO
    if end == _PARTIAL and len(buf) - start > MAX_REPLY:
        return _NO
    return end


class ReplyFilter:
    """Splits input bytes into the terminal's replies (gathered in `replies`) and the rest."""

    def __init__(self) -> None:
        self.replies = b""
        """The reply sequences taken out so far, in order."""
        self.done = False
        """DA1 has answered: no further replies are coming and nothing more is taken out."""
        self.late = False
        """The question timed out (`finish`): nothing is held back any more, but whole
        replies are still taken out."""
        self._held = b""

    @property
    def held(self) -> bytes:
        """A trailing part of the input kept back: it may be the start of a reply."""
        return self._held

    def feed(self, data: bytes) -> bytes:
        """The input ``data`` without the replies, to pass on; may hold back a trailing part."""
        if self.done:
            return data
        buf = self._held + data
        self._held = b""
        out = bytearray()
        at = 0
        n = len(buf)
        while at < n:
            esc = buf.find(b"\x1b", at)
            if esc < 0:
                out += buf[at:]
                break
            out += buf[at:esc]
            end = _reply_end(buf, esc)
            if end == _PARTIAL and self.late:
                out += buf[esc:]  # too late to wait for the rest: it is input
                break
            if end == _PARTIAL:
                self._held = buf[esc:]
                break
            if end == _NO:
                out.append(ESC)
                at = esc + 1
                continue
            reply = buf[esc:end]
            self.replies += reply
            at = end
            if reply.endswith(b"c") and reply.startswith(b"\x1b[?"):
                self.done = True  # DA1 comes last: the rest is input
                out += buf[at:]
                break
        return bytes(out)

    def idle(self) -> bytes:
        """No input came for a while: a lone ESC held back is the Escape key; let it go."""
        if self._held == b"\x1b":
            self._held = b""
            return b"\x1b"
        return b""

    def finish(self) -> bytes:
        """The question timed out: stop holding input back (returns what was held); whole
        replies are still taken out until DA1's (`late`)."""
        held, self._held = self._held, b""
        self.late = True
        return held
