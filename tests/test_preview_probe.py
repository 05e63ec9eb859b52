"""Terminal graphics detection through a real pseudo-terminal: recorded replies, silence, cache."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from zcreview.preview.graphics import CELL_SIZE_QUERY, DA1_QUERY, parse_cell_size
from zcreview.preview.probe import CACHE_FILE, DEFAULT_CELL, detect_graphics, query_terminal

KITTY = b"\x1b_Gi=31;OK\x1b\\\x1bP>|kitty(0.35.2)\x1b\\\x1b[6;18;9t\x1b[?62;c"
SIXEL_DA1 = b"\x1bP>|XTerm(390)\x1b\\\x1b[6;16;8t\x1b[?62;4;22c"
XTERM_NO_SIXEL = b"\x1bP>|XTerm(390)\x1b\\\x1b[?64;1;2;6;9;15;18;21;22c"
ENV = {"TERM": "xterm-256color"}


@pytest.fixture
def pty() -> Iterator[tuple[int, int]]:
    """(terminal side, program side) of a pseudo-terminal pair."""
    master, slave = os.openpty()
    try:
        yield master, slave
    finally:
        os.close(master)
        os.close(slave)


def terminal(master: int, reply: bytes | None, delay: float = 0.0) -> threading.Thread:
    """A fake terminal: waits for the query (through DA1), then answers `reply` in two parts."""

    def run() -> None:
        seen = b""
        while not seen.endswith(DA1_QUERY):
            seen += os.read(master, 1024)
        assert CELL_SIZE_QUERY in seen
        if reply is None:
            return
        time.sleep(delay)
        half = len(reply) // 2
        os.write(master, reply[:half])
        time.sleep(0.02)
        os.write(master, reply[half:])

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize(
    ("reply", "protocol", "cell"),
    [
        (KITTY, "kitty", (9, 18)),
        (SIXEL_DA1, "sixel", (8, 16)),
        (XTERM_NO_SIXEL, "none", DEFAULT_CELL),
    ],
)
def test_recorded_replies_choose_the_protocol(
    pty: tuple[int, int], tmp_path: Path, reply: bytes, protocol: str, cell: tuple[int, int]
) -> None:
    master, slave = pty
    thread = terminal(master, reply, delay=0.05)
    started = time.monotonic()
    found = detect_graphics("auto", tmp_path, env=ENV, fds=(slave, slave))
    thread.join(1)
    assert found.protocol == protocol
    assert found.cell == cell
    assert found.source == "probe"
    assert time.monotonic() - started < 0.5  # returns on DA1, does not sit out the timeout


def test_silence_times_out_to_half_blocks_and_is_not_cached(
    pty: tuple[int, int], tmp_path: Path
) -> None:
    master, slave = pty
    terminal(master, None)
    started = time.monotonic()
    found = detect_graphics("auto", tmp_path, env=ENV, fds=(slave, slave), timeout=0.6)
    elapsed = time.monotonic() - started
    assert found.protocol == "none" and found.source == "none"
    assert 0.55 <= elapsed <= 0.75
    assert not (tmp_path / CACHE_FILE).exists()


def test_a_complete_answer_is_cached_and_used_when_the_terminal_is_silent(
    pty: tuple[int, int], tmp_path: Path
) -> None:
    master, slave = pty
    terminal(master, KITTY).join(0)
    assert detect_graphics("auto", tmp_path, env=ENV, fds=(slave, slave)).protocol == "kitty"
    assert (tmp_path / CACHE_FILE).is_file()
    # Nobody answers now (a slow link): after the timeout, the last answer is used.
    terminal(master, None)
    started = time.monotonic()
    again = detect_graphics("auto", tmp_path, env=ENV, fds=(slave, slave), timeout=0.3)
    assert 0.25 <= time.monotonic() - started < 0.6
    assert (again.protocol, again.cell, again.source) == ("kitty", (9, 18), "cache")


def test_the_terminal_is_asked_again_though_its_type_is_cached(
    pty: tuple[int, int], tmp_path: Path
) -> None:
    """Plain xterm and `xterm -ti vt340` both say TERM=xterm; only the second draws sixels.
    What plain xterm answered must not stop the vt340 one from being offered sixel."""
    master, slave = pty
    env = {"TERM": "xterm"}
    terminal(master, XTERM_NO_SIXEL).join(0)
    assert detect_graphics("auto", tmp_path, env=env, fds=(slave, slave)).protocol == "none"
    # xterm -ti vt340, as recorded under Xvfb (XTerm 379): DA1 lists 4, no cell size answer.
    terminal(master, b"\x1bP>|XTerm(379)\x1b\\\x1b[?63;1;2;3;4;6;9;15;16;22;29c")
    started = time.monotonic()
    found = detect_graphics("auto", tmp_path, env=env, fds=(slave, slave), timeout=5)
    assert time.monotonic() - started < 0.5
    assert (found.protocol, found.source) == ("sixel", "probe")
    assert '"sixel"' in (tmp_path / CACHE_FILE).read_text(encoding="utf-8")


def test_the_cell_size_falls_back_to_the_tty_window_size(
    pty: tuple[int, int], tmp_path: Path
) -> None:
    """xterm refuses `CSI 16 t` by default but fills the tty's pixel size: 80×24 cells in
    484×316 pixels (its 6×13 font and a border) is a 6×13 cell, not the 10×20 guess."""
    import fcntl
    import struct
    import termios

    master, slave = pty
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 484, 316))
    terminal(master, XTERM_NO_SIXEL).join(0)
    found = detect_graphics("auto", tmp_path, env=ENV, fds=(slave, slave))
    assert found.cell == (6, 13)


def test_the_setting_skips_the_question(pty: tuple[int, int], tmp_path: Path) -> None:
    _, slave = pty
    started = time.monotonic()
    for setting in ("kitty", "sixel", "none"):
        found = detect_graphics(setting, tmp_path, env=ENV, fds=(slave, slave), timeout=5)
        assert found.protocol == setting and found.source == "setting"
    assert time.monotonic() - started < 0.1


def test_no_terminal_means_half_blocks(tmp_path: Path) -> None:
    assert detect_graphics("auto", tmp_path, env=ENV, tty_path=str(tmp_path / "nope")).protocol == (
        "none"
    )
    assert detect_graphics("auto", None, env={"TERM": "dumb"}).protocol == "none"
    read, write = os.pipe()  # not a terminal: raw mode fails, no hang
    try:
        assert detect_graphics("auto", tmp_path, env=ENV, fds=(read, write)).protocol == "none"
    finally:
        os.close(read)
        os.close(write)


def test_query_leaves_the_terminal_mode_as_it_was(pty: tuple[int, int]) -> None:
    import termios

    master, slave = pty
    before = termios.tcgetattr(slave)
    terminal(master, SIXEL_DA1)
    reply = query_terminal(slave, slave, 1.0)
    assert reply.complete and "sixel" in reply.capabilities
    assert termios.tcgetattr(slave) == before


def test_cell_size_reply_parsing() -> None:
    assert parse_cell_size(b"\x1b[6;20;10t") == (10, 20)
    assert parse_cell_size(b"junk\x1b[6;0;10t") is None
    assert parse_cell_size(b"\x1b[?62c") is None
