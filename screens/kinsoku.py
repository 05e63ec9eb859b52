"""Line breaking for Chinese text: no line starts with closing punctuation (，。、）” …) and
none ends with opening punctuation (（“《 …), as the Chinese typesetting rules (GB/T 15834,
kinsoku in Japanese) ask. Rich folds CJK text at any character, so "，" can open a line."""

from __future__ import annotations

from typing import Any

from rich._wrap import divide_line
from rich.cells import cell_len
from rich.console import Console, JustifyMethod, OverflowMethod
from rich.containers import Lines
from rich.text import Text

NO_LINE_START = frozenset("，。、；：？！）》」』】〕〉〗”’…‥·—～％‰℃,.;:?!)]}%")
"""Closing punctuation: never the first character of a line."""
NO_LINE_END = frozenset("（《「『【〔〈〖“‘([{")
"""Opening punctuation: never the last character of a line."""
_ALL = NO_LINE_START | NO_LINE_END


def _bad_break(plain: str, at: int) -> bool:
    """Breaking before `plain[at]` would start a line with closing punctuation or end one
    with opening punctuation."""
    return plain[at] in NO_LINE_START or plain[at - 1] in NO_LINE_END


def break_offsets(plain: str, width: int) -> list[int]:
    """Where to break `plain` (one logical line) to fit `width` cells, keeping the rules.

    A forbidden break moves back: the character before it goes down with the punctuation.
    If the whole line is punctuation (nowhere to move back to), the break stays.
    """
    offsets: list[int] = []
    start = 0
    while True:
        rest = divide_line(plain[start:], width, fold=True)
        if not rest:
            return offsets
        cut = start + rest[0]
        back = cut
        while back - 1 > start and _bad_break(plain, back):
            back -= 1
        if not _bad_break(plain, back):
            cut = back
        offsets.append(cut)
        start = cut


def needs_rules(lines: Lines) -> bool:
    """True if a wrapped line starts with closing or ends with opening punctuation."""
    for i, line in enumerate(lines):
        plain = line.plain.rstrip()
        if i and line.plain[:1] in NO_LINE_START:
            return True
        if i < len(lines) - 1 and plain[-1:] in NO_LINE_END:
            return True
    return False


def wrap(
    text: Text,
    console: Console,
    width: int,
    *,
    justify: JustifyMethod | None = None,
    overflow: OverflowMethod | None = "fold",
    tab_size: int = 8,
    no_wrap: bool | None = None,
) -> Lines:
    """`text.wrap(...)` with the Chinese line-breaking rules (styles kept)."""
    lines = Text.wrap(
        text, console, width, justify=justify, overflow=overflow, tab_size=tab_size, no_wrap=no_wrap
    )
    if no_wrap or _ALL.isdisjoint(text.plain) or not needs_rules(lines):
        return lines  # the common case: nothing to move, Rich's own result
    out = Lines()
    for logical in text.split(allow_blank=True):
        if cell_len(logical.plain) <= width:
            out.append(logical)
            continue
        pieces = logical.divide(break_offsets(logical.plain, width))
        for piece in pieces:
            piece.rstrip_end(width)
        if justify:
            pieces.justify(console, width, justify=justify, overflow=overflow or "fold")
        for piece in pieces:
            piece.truncate(width, overflow=overflow or "fold")
        out.extend(pieces)
    return out


class CjkText(Text):
    """Text that wraps by the Chinese rules wherever Rich wraps it (table cells, Static)."""

    def wrap(self, console: Console, width: int, **kwargs: Any) -> Lines:
        return wrap(self, console, width, **kwargs)
