"""What the terminal's replies mean for the previews, and the answer kept per terminal type."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from zcreview.preview.graphics import parse_cell_size
from zcreview.preview.probe import CACHE_FILE, DEFAULT_CELL, GraphicsQuestion

KITTY = b"\x1b_Gi=31;OK\x1b\\\x1bP>|kitty(0.35.2)\x1b\\\x1b[6;18;9t\x1b[?62;c"
SIXEL_DA1 = b"\x1bP>|XTerm(390)\x1b\\\x1b[6;16;8t\x1b[?62;4;22c"
XTERM_NO_SIXEL = b"\x1bP>|XTerm(390)\x1b\\\x1b[?64;1;2;6;9;15;18;21;22c"
ENV = {"TERM": "xterm-256color"}


def ask(home: Path | None, setting: str = "auto", env: dict[str, str] = ENV) -> GraphicsQuestion:
    return GraphicsQuestion(setting, home, env)


@pytest.mark.parametrize(
    ("reply", "protocol", "cell"),
    [
        (KITTY, "kitty", (9, 18)),
        (SIXEL_DA1, "sixel", (8, 16)),
        (XTERM_NO_SIXEL, "none", DEFAULT_CELL),
    ],
)
def test_recorded_replies_choose_the_protocol(
    tmp_path: Path, reply: bytes, protocol: str, cell: tuple[int, int]
) -> None:
    found = ask(tmp_path).answer(reply)
    assert (found.protocol, found.cell, found.source) == (protocol, cell, "probe")


def test_silence_means_half_blocks_and_is_not_cached(tmp_path: Path) -> None:
    question = ask(tmp_path)
    assert question.asks
    assert question.meanwhile().protocol == "none"
    found = question.answer(b"")
    assert (found.protocol, found.source) == ("none", "none")
    # Replies cut short by the timeout (no DA1) are not a complete answer either.
    assert question.answer(KITTY[:-7]).source == "none"
    assert not (tmp_path / CACHE_FILE).exists()


def test_a_complete_answer_is_cached_and_stands_in_until_the_next_one(tmp_path: Path) -> None:
    question = ask(tmp_path)
    assert question.answer(KITTY).protocol == "kitty"
    assert (tmp_path / CACHE_FILE).is_file()
    # The next start draws with it before the terminal answers, and if it does not.
    for found in (question.meanwhile(), question.answer(b"")):
        assert (found.protocol, found.cell, found.source) == ("kitty", (9, 18), "cache")
    # Another terminal type has its own entry.
    other = ask(tmp_path, env={"TERM": "foot"})
    assert other.meanwhile().protocol == "none"


def test_the_terminal_is_asked_again_though_its_type_is_cached(tmp_path: Path) -> None:
    """Plain xterm and `xterm -ti vt340` both say TERM=xterm; only the second draws sixels.
    What plain xterm answered must not stop the vt340 one from being offered sixel."""
    question = ask(tmp_path, env={"TERM": "xterm"})
    assert question.answer(XTERM_NO_SIXEL).protocol == "none"
    # xterm -ti vt340, as recorded under Xvfb (XTerm 379): DA1 lists 4, no cell size answer.
    found = question.answer(b"\x1bP>|XTerm(379)\x1b\\\x1b[?63;1;2;3;4;6;9;15;16;22;29c")
    assert (found.protocol, found.source) == ("sixel", "probe")
    assert '"sixel"' in (tmp_path / CACHE_FILE).read_text(encoding="utf-8")
    assert question.meanwhile().protocol == "sixel"


def test_the_cell_size_falls_back_to_the_tty_window_size(tmp_path: Path) -> None:
    """xterm refuses `CSI 16 t` by default but fills the tty's pixel size: 80×24 cells in
    484×316 pixels (its 6×13 font and a border) is a 6×13 cell, not the 10×20 guess."""
    import fcntl
    import struct
    import termios

    master, slave = os.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 484, 316))
        assert ask(tmp_path).answer(XTERM_NO_SIXEL, slave).cell == (6, 13)
        assert ask(tmp_path).answer(SIXEL_DA1, slave).cell == (8, 16)  # the reply wins
    finally:
        os.close(master)
        os.close(slave)


def test_the_setting_asks_nothing(tmp_path: Path) -> None:
    ask(tmp_path).answer(KITTY)  # a cached cell size is still used
    for setting in ("kitty", "sixel", "none"):
        question = ask(tmp_path, setting)
        assert not question.asks
        for found in (question.meanwhile(), question.answer(SIXEL_DA1)):
            assert (found.protocol, found.cell, found.source) == (setting, (9, 18), "setting")


def test_a_dumb_or_unnamed_terminal_is_not_asked(tmp_path: Path) -> None:
    for env in ({"TERM": "dumb"}, {"TERM": ""}, {}):
        question = ask(tmp_path, env=env)
        assert not question.asks
        assert question.meanwhile().protocol == "none"
    assert ask(None).meanwhile().protocol == "none"  # no office home: nothing cached


def test_an_unreadable_cache_is_no_cache(tmp_path: Path) -> None:
    (tmp_path / CACHE_FILE).write_text("{not json", encoding="utf-8")
    assert ask(tmp_path).meanwhile().source == "none"
    assert ask(tmp_path).answer(SIXEL_DA1).protocol == "sixel"  # and is replaced
    assert ask(tmp_path).meanwhile().source == "cache"


def test_cell_size_reply_parsing() -> None:
    assert parse_cell_size(b"\x1b[6;20;10t") == (10, 20)
    assert parse_cell_size(b"junk\x1b[6;0;10t") is None
    assert parse_cell_size(b"\x1b[?62c") is None
