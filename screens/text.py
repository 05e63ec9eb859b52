"""Applicant text as terminal-safe data: control characters stripped, widths in cells."""

from __future__ import annotations

import re
import unicodedata

from rich.cells import cell_len

# CSI / OSC / other escape sequences first, so their parameters do not survive as text.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI … final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC … BEL or ST
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC
    r"|\x1b.?"  # any other escape
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
# C0/C1 controls, DEL, and invisible or direction-changing format characters that would let
# applicant text move the cursor or reorder what the reviewer sees.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"[\t\n\r\v\f]+")

ELLIPSIS = "~"
"""Truncation mark: ASCII, one cell in every terminal (… is ambiguous-width)."""


def clean(text: object) -> str:
    """`text` as a single printable line: escapes and control characters removed."""
    if text is None:
        return ""
    s = str(text)
    if s.isprintable():  # fast path: nearly all rows
        return s
    s = _ESCAPES.sub("", s)
    s = _SPACES.sub(" ", s)
    return _CONTROLS.sub("", s)


ASCII_SYMBOLS: dict[str, str] = {
    "≤": "<=",
    "≥": ">=",
    "…": "...",
    "·": ".",
    "※": "*",
    "—": "-",
    "–": "-",
    "―": "-",
    "→": "->",
    "←": "<-",
    "↑": "^",
    "↓": "v",
    "×": "x",
    "÷": "/",
    "±": "+/-",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "§": "S",
    "°": " deg",
    "√": "v",
    "○": "o",
    "●": "*",
    "★": "*",
    "☆": "*",
    "■": "#",
    "□": "[]",
    "✓": "OK",
}
"""East-Asian-ambiguous symbols (one cell in Rich, two in an "ambiguous = wide" terminal) and
what ASCII mode shows instead; anything else ambiguous falls back to its NFKC form (① → 1)
or `?`."""

_ASCII_TABLE = str.maketrans(ASCII_SYMBOLS)


def _ambiguous(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) == "A"


def ascii_symbols(text: str) -> str:
    """`text` with every East-Asian-ambiguous character replaced by an ASCII stand-in, so CJK
    terminals set to "ambiguous = wide" keep their columns (check messages, notices, seeds)."""
    if text.isascii() or not any(_ambiguous(ch) for ch in text):
        return text
    text = text.translate(_ASCII_TABLE)
    out: list[str] = []
    for ch in text:
        if _ambiguous(ch):
            folded = unicodedata.normalize("NFKC", ch)
            ch = folded if not any(_ambiguous(c) for c in folded) else "?"
        out.append(ch)
    return "".join(out)


def shown(text: str, ascii_mode: bool) -> str:
    """`text` as the screen shows it: ASCII stand-ins for ambiguous symbols in ASCII mode."""
    return ascii_symbols(text) if ascii_mode else text


def clean_block(text: object) -> str:
    """Like `clean` but keeps line breaks (work summaries are paragraphs)."""
    if text is None:
        return ""
    lines = str(text).replace("\r\n", "\n").split("\n")
    return "\n".join(clean(line) for line in lines)


def fit(text: str, width: int, *, align_right: bool = False) -> str:
    """`text` padded or truncated to exactly `width` cells (CJK counts 2), `~` when cut."""
    if width <= 0:
        return ""
    n = cell_len(text)
    if n > width:
        # Cut whole characters (a wide one never splits), mark the cut, then pad.
        cut = text
        while cut and cell_len(cut) > width - 1:
            cut = cut[: max(0, min(len(cut) - 1, width))]
        text = cut + ELLIPSIS
        n = cell_len(text)
    pad = " " * (width - n)
    return pad + text if align_right else text + pad


def human_size(size: int | None) -> str:
    """Bytes as a short Chinese-readable size (KB/MB, one decimal)."""
    if size is None:
        return "?"
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
