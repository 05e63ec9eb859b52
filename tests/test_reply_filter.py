"""The terminal's replies to the graphics question come out of the input; keys stay, in order."""

from __future__ import annotations

import pytest

from zcreview.preview.reply_filter import MAX_REPLY, ReplyFilter

DA1 = b"\x1b[?62;4;22c"
CELL = b"\x1b[6;16;8t"
XTVERSION = b"\x1bP>|XTerm(390)\x1b\\"
KITTY_OK = b"\x1b_Gi=31;OK\x1b\\"
WHOLE = KITTY_OK + XTVERSION + CELL + DA1
"""A full answer, in the order terminals give it (DA1 last)."""
SYNC_MODE = b"\x1b[?2026;2$y"
"""Textual's own question's answer (synchronized output supported): Textual's, not ours."""
KEYS = b"j/\xe7\x8e\x8b\x1b[A\x1b[<0;12;5M\x1b[6~"
"""j, /, 王 (UTF-8), up, a mouse press, PageDown."""


def run(chunks: list[bytes], *, idle_after: bool = False) -> tuple[bytes, ReplyFilter]:
    """Feed `chunks` in turn; returns what passed and the filter."""
    replies = ReplyFilter()
    out = b"".join(replies.feed(chunk) for chunk in chunks)
    if idle_after:
        out += replies.idle()
    return out, replies


def splits(data: bytes) -> list[list[bytes]]:
    """`data` cut in two at every position, and byte by byte."""
    return [[data[:i], data[i:]] for i in range(len(data) + 1)] + [[bytes([b]) for b in data]]


@pytest.mark.parametrize("chunks", splits(WHOLE))
def test_a_reply_split_anywhere_is_reassembled(chunks: list[bytes]) -> None:
    out, replies = run(chunks)
    assert out == b""
    assert replies.replies == WHOLE
    assert replies.done


@pytest.mark.parametrize("chunks", splits(b"ab" + CELL + b"c" + DA1 + b"d"))
def test_keys_before_between_and_after_replies_pass_in_order(chunks: list[bytes]) -> None:
    out, replies = run(chunks)
    assert out == b"abcd"
    assert replies.replies == CELL + DA1


def test_keys_mouse_and_text_pass_unchanged() -> None:
    out, replies = run([KEYS, KITTY_OK, KEYS, DA1, KEYS])
    assert out == KEYS * 3
    assert replies.replies == KITTY_OK + DA1


@pytest.mark.parametrize("chunks", splits(SYNC_MODE + DA1))
def test_textuals_own_replies_pass_through(chunks: list[bytes]) -> None:
    out, replies = run(chunks)
    assert out == SYNC_MODE
    assert replies.replies == DA1


@pytest.mark.parametrize("reply", [XTVERSION, KITTY_OK])
def test_control_string_replies_are_taken(reply: bytes) -> None:
    out, replies = run([b"x", reply[:5], reply[5:], b"y"])
    assert out == b"xy"
    assert replies.replies == reply
    assert not replies.done  # only DA1 ends the answer


def test_after_da1_nothing_more_is_taken() -> None:
    """DA1 is the last reply: what looks like a reply after it is input (a late paste …)."""
    out, replies = run([DA1 + CELL, DA1])
    assert out == CELL + DA1
    assert replies.replies == DA1


def test_a_lone_escape_is_held_until_idle_then_passes() -> None:
    replies = ReplyFilter()
    assert replies.feed(b"q\x1b") == b"q"
    assert replies.held == b"\x1b"
    assert replies.idle() == b"\x1b"  # the Escape key
    assert replies.held == b""
    assert replies.idle() == b""


def test_escape_then_a_key_is_not_a_reply() -> None:
    """Alt+x and Escape pressed twice reach Textual as typed."""
    out, replies = run([b"\x1bx", b"\x1b", b"\x1b"], idle_after=True)
    assert out == b"\x1bx\x1b\x1b"
    assert replies.replies == b""


def test_a_partial_reply_is_not_released_by_idle_but_by_finish() -> None:
    """A reply cut by a slow link waits for its rest; the timeout lets it go as input."""
    replies = ReplyFilter()
    assert replies.feed(b"\x1b[?62;4") == b""
    assert replies.idle() == b""
    assert replies.feed(b";22c") == b""
    assert replies.done and replies.replies == DA1
    replies = ReplyFilter()
    assert replies.feed(b"k\x1b[6;16") == b"k"
    assert replies.finish() == b"\x1b[6;16"
    assert replies.late and not replies.done
    assert replies.feed(b";8t") == b";8t"  # after the timeout: input as it comes
    assert replies.feed(b"\x1b[?62") == b"\x1b[?62"  # nothing is held back any more


def test_timeout_with_nothing() -> None:
    replies = ReplyFilter()
    assert replies.idle() == b""
    assert replies.finish() == b""
    assert replies.late and not replies.done and replies.replies == b""


def test_a_late_reply_whole_in_one_read_is_still_taken_out() -> None:
    """A slow link: the answer comes after the timeout, in one read with keys around it.
    Let through, its `?` would open the help and its digits toggle state filters."""
    replies = ReplyFilter()
    replies.finish()
    late = b"\x1bP>|XTerm(390)\x1b\\\x1b[6;16;8t" + DA1
    assert replies.feed(b"j" + late + b"k") == b"jk"
    assert replies.done and replies.replies == late
    assert replies.feed(DA1) == DA1  # after DA1's reply nothing more is taken out


@pytest.mark.parametrize(
    "sequence",
    [
        b"\x1b[6;5~",  # ctrl+PageDown
        b"\x1b[6;5u",  # a kitty keyboard report
        b"\x1b[6;;8t",  # not a cell size
        b"\x1b[65;1R",  # a cursor position report
        b"\x1b[?1u",  # a kitty keyboard flags report
        b"\x1bPq#0;2;0;0;0\x1b\\",  # a DCS that is not XTVERSION
        b"\x1b_Ga=d\x1bx",  # an APC broken by another escape
        b"\x1b[200~pasted\x1b[201~",  # bracketed paste
    ],
)
def test_lookalikes_pass_through(sequence: bytes) -> None:
    for chunks in splits(sequence):
        out, replies = run([*chunks, DA1])
        assert out == sequence, chunks
        assert replies.replies == DA1


def test_an_endless_control_string_is_not_held_for_ever() -> None:
    replies = ReplyFilter()
    body = b"\x1bP>|" + b"x" * MAX_REPLY
    assert replies.feed(body) == body
    assert replies.held == b""
