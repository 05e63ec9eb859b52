"""Text extracted from a page, capped and judged: can a reviewer trust it, or is it a broken font's noise?"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from zcreview.preview.failure import MAX_TEXT_CHARS, MSG_TEXT_TRUNCATED, MSG_TEXT_UNRELIABLE


@dataclass(frozen=True, slots=True)
class PageText:
    """Text of one page and whether it can be trusted."""

    text: str
    low_quality: bool = False
    note: str | None = None


@functools.lru_cache(maxsize=8192)
def _is_common_han(ch: str) -> bool:
    # Real Chinese/Japanese documents are almost entirely made of characters in these
    # national sets; wrong code points from a font without ToUnicode mostly are not.
    for encoding in ("gb2312", "big5", "shift_jis"):
        try:
            ch.encode(encoding)
        except UnicodeEncodeError:
            continue
        return True
    return False


def assess_text(text: str) -> tuple[bool, str | None]:
    """Return (low_quality, note) for extracted text.

    Flags text with private-use code points, replacement characters, control characters,
    Kangxi radicals or a high share of rare ideographs: the signs of a CJK font without a
    ToUnicode map, where the extracted characters are not the ones on the page.
    """
    cjk = 0
    suspicious = 0
    for ch in text:
        code = ord(ch)
        if 0x4E00 <= code <= 0x9FFF:
            cjk += 1
            if not _is_common_han(ch):
                suspicious += 1
        elif 0x3040 <= code <= 0x30FF:
            cjk += 1
        elif (
            0x3400 <= code <= 0x4DBF  # Extension A
            or 0x20000 <= code <= 0x3FFFF  # Extensions B and later
            or 0x2E80 <= code <= 0x2FDF  # radicals, which broken maps produce instead of 人
            or 0xE000 <= code <= 0xF8FF  # private use
            or code >= 0xF0000
            or code == 0xFFFD
        ):
            cjk += 1
            suspicious += 1
        elif code < 0x20 and ch not in "\n\r\t":
            suspicious += 1
            cjk += 1
    if suspicious >= 1 and suspicious * 5 >= cjk:
        return True, MSG_TEXT_UNRELIABLE
    return False, None


def make_page_text(raw: str) -> PageText:
    """Wrap extracted text: cap its length and judge its quality."""
    note = None
    if len(raw) > MAX_TEXT_CHARS:
        raw = raw[:MAX_TEXT_CHARS]
        note = MSG_TEXT_TRUNCATED
    low, quality_note = assess_text(raw)
    return PageText(raw, low, quality_note or note)
