"""What the terminal can draw in pixels and how big a cell is: its answer, and the cache of it.

Over SSH only ``TERM`` is forwarded, so support is asked of the terminal itself (kitty query,
XTVERSION, cell size, DA1: `zcreview.preview.graphics.capability_query`). The workstation's
terminal driver writes the question once it has the terminal and takes the replies out of its
input (`zcreview.preview.reply_filter`), so the first paint never waits for them. It is asked
at every start: ``TERM`` does not tell terminals apart (plain ``xterm`` and ``xterm -ti vt340``
both say ``xterm``, only the second draws sixels). Until the answer comes, and when it does not
come within `TIMEOUT`, the last complete answer kept per terminal type in the office home
stands in for it, else half-blocks. A user's ``graphics = kitty|sixel|none`` skips the question
altogether.

The cell size comes from the terminal's ``CSI 16 t`` answer, else from the pixel size the
kernel keeps for the tty (``TIOCGWINSZ``; xterm fills it but refuses ``16 t`` by default).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from zcreview.preview.graphics import (
    Protocol,
    choose_protocol,
    parse_capabilities,
    parse_cell_size,
    parse_terminal_name,
    response_complete,
)

DEFAULT_CELL: Final = (10, 20)
"""Cell size in pixels assumed when the terminal does not say (a common 10×20 font)."""

TIMEOUT: Final = 0.6
"""Seconds from writing the question until its replies count as missing: a round trip on a slow
link fits. Nothing waits for them; the cached answer (or half-blocks) is used meanwhile."""

CACHE_FILE: Final = "terminal-graphics.json"

Source = Literal["setting", "probe", "cache", "none"]


@dataclass(frozen=True)
class TerminalGraphics:
    """What the preview pane may draw: the protocol, a cell's pixel size, and where it came from."""

    protocol: Protocol = "none"
    cell: tuple[int, int] = DEFAULT_CELL
    source: Source = "none"
    name: str | None = None


@dataclass(frozen=True)
class ProbeReply:
    """The terminal's answers to `capability_query`; ``complete`` is False on a timeout."""

    capabilities: frozenset[str]
    cell: tuple[int, int] | None
    name: str | None
    complete: bool


def parse_reply(replies: bytes, fd: int | None = None) -> ProbeReply:
    """The answers in ``replies`` (the terminal's reply bytes, nothing else); the cell size
    falls back to the window size of the tty ``fd`` when the terminal did not say."""
    return ProbeReply(
        frozenset(parse_capabilities(replies)),
        parse_cell_size(replies) or (window_cell(fd) if fd is not None else None),
        parse_terminal_name(replies),
        response_complete(replies),
    )


@dataclass(frozen=True)
class GraphicsQuestion:
    """The question for this terminal: the user's ``[ui] graphics`` setting (auto|kitty|sixel|
    none), the office home that keeps the answers, and the environment naming the terminal."""

    setting: str
    home: Path | None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def asks(self) -> bool:
        """Whether the terminal is asked at all: not for a forced setting nor a dumb terminal."""
        return self.setting == "auto" and self.env.get("TERM", "") not in ("", "dumb")

    def meanwhile(self) -> TerminalGraphics:
        """What to draw until the terminal answers (or when it is not asked): a forced setting
        as is, else the answer cached for this terminal type, else half-blocks. Reads one small
        file; cheap enough before the first paint."""
        cached = self._cached()
        if self.setting != "auto":
            cell = cached.cell if cached is not None else DEFAULT_CELL
            return TerminalGraphics(choose_protocol(self.setting, set()), cell, "setting")
        if not self.asks or cached is None:
            return TerminalGraphics()
        return cached

    def answer(self, replies: bytes, fd: int | None = None) -> TerminalGraphics:
        """What the terminal's ``replies`` say it draws. A complete answer (through DA1) is
        kept for this terminal type in the office home; an incomplete one (the question timed
        out) is not, and what this terminal type said last time stands instead (`meanwhile`).
        ``fd``: the tty, for the cell size when the replies lack it. Never raises."""
        if not self.asks:
            return self.meanwhile()
        reply = parse_reply(replies, fd)
        if not reply.complete:
            return self.meanwhile()
        if self.home is not None:
            _write_cache(self.home / CACHE_FILE, terminal_key(self.env), reply)
        return TerminalGraphics(
            choose_protocol(self.setting, set(reply.capabilities)),
            reply.cell or DEFAULT_CELL,
            "probe",
            reply.name,
        )

    def _cached(self) -> TerminalGraphics | None:
        if self.home is None:
            return None
        entry = _read_cache(self.home / CACHE_FILE).get(terminal_key(self.env))
        return _from_cache(entry, self.setting)


def window_cell(fd: int) -> tuple[int, int] | None:
    """A cell's (width, height) from the tty's window size in pixels, when the terminal set it."""
    import fcntl
    import struct
    import termios

    try:
        rows, cols, width, height = struct.unpack(
            "HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, bytes(8))
        )
    except OSError:
        return None
    if not (rows and cols and width and height):
        return None
    cell = (width // cols, height // rows)
    return cell if all(0 < v <= 200 for v in cell) else None


def terminal_key(env: Mapping[str, str]) -> str:
    """Cache key: TERM, plus TERM_PROGRAM where the session forwards it."""
    term = env.get("TERM", "") or "unknown"
    program = env.get("TERM_PROGRAM", "")
    return f"{term}|{program}" if program else term


def _read_cache(path: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _from_cache(entry: object, setting: str) -> TerminalGraphics | None:
    if not isinstance(entry, dict):
        return None
    caps = entry.get("capabilities")
    cell = entry.get("cell")
    name = entry.get("name")
    if not isinstance(caps, list) or not all(isinstance(c, str) for c in caps):
        return None
    size = DEFAULT_CELL
    if isinstance(cell, list) and len(cell) == 2 and all(isinstance(v, int) for v in cell):
        size = (cell[0], cell[1])
    return TerminalGraphics(
        choose_protocol(setting, set(caps)),
        size,
        "cache",
        name if isinstance(name, str) else None,
    )


def _write_cache(path: Path, key: str, reply: ProbeReply) -> None:
    data = _read_cache(path)
    data[key] = {
        "capabilities": sorted(reply.capabilities),
        "cell": list(reply.cell) if reply.cell else None,
        "name": reply.name,
    }
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(path)
