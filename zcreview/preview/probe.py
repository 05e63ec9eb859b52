"""Ask the terminal once which pixel protocol it draws and how big a cell is; cache the answer.

Over SSH only ``TERM`` is forwarded, so support is asked of the terminal itself (kitty query,
XTVERSION, cell size, DA1) before the TUI takes the terminal over, with a timeout long enough
for a slow link. It is asked at every start: ``TERM`` does not tell terminals apart (plain
``xterm`` and ``xterm -ti vt340`` both say ``xterm``, only the second draws sixels), and an
answering terminal replies within one round trip while the app loads. The last complete answer
is kept per terminal type in the office home and used when the terminal does not answer in
time. A user's ``graphics = kitty|sixel|none`` skips the question altogether. Nothing here ever
blocks longer than the timeout: no terminal, no answer or any error means half-blocks.

The cell size comes from the terminal's ``CSI 16 t`` answer, else from the pixel size the
kernel keeps for the tty (``TIOCGWINSZ``; xterm fills it but refuses ``16 t`` by default).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from zcreview.preview.graphics import (
    Protocol,
    capability_query,
    choose_protocol,
    parse_capabilities,
    parse_cell_size,
    parse_terminal_name,
    response_complete,
)

DEFAULT_CELL: Final = (10, 20)
"""Cell size in pixels assumed when the terminal does not say (a common 10×20 font)."""

TIMEOUT: Final = 0.6
"""Seconds to wait for the replies: a round trip on a slow link fits; a silent terminal costs
this once per start (silent answers are not cached)."""

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
    seconds: float


def query_terminal(fd_in: int, fd_out: int, timeout: float = TIMEOUT) -> ProbeReply:
    """Write the capability query to ``fd_out`` and read the replies from ``fd_in``.

    ``fd_in`` is put in raw mode (no echo, no line buffering) for the duration and restored
    after. Returns when DA1 has answered or ``timeout`` seconds have passed. Raises OSError
    (or termios.error) when the descriptors are not a usable terminal.
    """
    started = time.monotonic()
    buf = b""
    with _raw(fd_in):
        os.write(fd_out, capability_query())
        deadline = started + timeout
        while not response_complete(buf):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([fd_in], [], [], left)
            if not ready:
                break
            chunk = os.read(fd_in, 4096)
            if not chunk:
                break
            buf += chunk
    return ProbeReply(
        frozenset(parse_capabilities(buf)),
        parse_cell_size(buf) or window_cell(fd_in),
        parse_terminal_name(buf),
        response_complete(buf),
        time.monotonic() - started,
    )


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


@contextlib.contextmanager
def _raw(fd: int) -> Iterator[None]:
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd, termios.TCSANOW)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)


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


def detect_graphics(
    setting: str,
    home: Path | None,
    *,
    env: Mapping[str, str] | None = None,
    tty_path: str = "/dev/tty",
    fds: tuple[int, int] | None = None,
    timeout: float = TIMEOUT,
) -> TerminalGraphics:
    """The graphics this terminal supports, for the user's ``setting`` (auto|kitty|sixel|none).

    A forced setting is taken as is (no question asked; the cached cell size is used if
    known). "auto" asks the terminal on ``fds`` (read, write) or on ``tty_path`` and caches a
    complete answer in ``home``; when the terminal does not answer in time, the last answer
    cached for this terminal type is used. Never raises.
    """
    env = os.environ if env is None else env
    path = home / CACHE_FILE if home is not None else None
    key = terminal_key(env)
    cached = _from_cache(_read_cache(path).get(key), setting) if path is not None else None
    if setting != "auto":
        cell = cached.cell if cached is not None else DEFAULT_CELL
        return TerminalGraphics(choose_protocol(setting, set()), cell, "setting")
    if env.get("TERM", "") in ("", "dumb"):
        return TerminalGraphics()
    reply = _ask(tty_path, fds, timeout)
    if reply is None or not reply.complete:
        # A silent or slow terminal: what it said last time, else half-blocks.
        return cached if cached is not None else TerminalGraphics()
    if path is not None:
        _write_cache(path, key, reply)
    return TerminalGraphics(
        choose_protocol(setting, set(reply.capabilities)),
        reply.cell or DEFAULT_CELL,
        "probe",
        reply.name,
    )


def _ask(tty_path: str, fds: tuple[int, int] | None, timeout: float) -> ProbeReply | None:
    try:
        if fds is not None:
            return query_terminal(fds[0], fds[1], timeout)
        fd = os.open(tty_path, os.O_RDWR | os.O_NOCTTY)
        try:
            return query_terminal(fd, fd, timeout) if os.isatty(fd) else None
        finally:
            os.close(fd)
    except Exception:  # no terminal, not a tty, a closed descriptor: half-blocks
        return None
