"""Where the values of a form field occur in a page's recognised text: found, differs or not found.

Pure text work (no Textual), for the preview pane's highlighting. Values are compared after
normalising both sides (full-width to half-width, spaces removed, letters upper-cased); dates
match in the forms certificates print them (2019年7月, 2019-07, 2019.07, 二〇一九年七月);
a value that is not there but something of its shape is (another date, a number or name one
or two characters off) "differs", pointing at what the scan says instead.

Numbers and Latin letters match on token boundaries only (`30` is not found in `130`), and
"differs" needs the scan to show another value in the same slot: a whole token after a label or
a separator, of the value's kind, and long enough to tell apart. A short number such as a rank
`1/3` is either there or not: OCR reads `1/3` as `103` often, and calling that another value would
cry wolf.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel

from zcreview.domain.paths import parse_path

Verdict = Literal["found", "differs", "missing"]

_DIGITS_ZH = "〇一二三四五六七八九"
_DATE = re.compile(r"(\d{4})\s*[-./年]\s*(\d{1,2})(?:\s*[-./月]\s*(\d{1,2})\s*日?)?\s*月?")
_ZH_DATE = re.compile(
    r"([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月(?:([一二三四五六七八九十]{1,3})日)?"
)
_NUMBER = re.compile(r"[0-9A-Z]{4,}")
_SKIP_FIELDS = frozenset({"attachments", "sha256", "size", "mime"})
_QUALIFIERS = ("基本", "不")
"""Words that turn a grade into another one when written before it (基本合格, 不称职)."""


@dataclass(frozen=True, slots=True)
class Hit:
    """One place in the text: line index, character span in that line, and what it is."""

    line: int
    start: int
    end: int
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class Finding:
    """What became of one value: its verdict and the places to highlight."""

    value: str
    verdict: Verdict
    hits: tuple[Hit, ...] = ()
    seen: str = ""
    """For `differs`: what the scan says instead."""


def normalise(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()


def _zh_number(text: str) -> int:
    if all(ch in _DIGITS_ZH or ch == "零" for ch in text):
        return int("".join(str(_DIGITS_ZH.index(ch) if ch != "零" else 0) for ch in text))
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _DIGITS_ZH.index(text[1])
    if text.endswith("十"):
        return _DIGITS_ZH.index(text[0]) * 10
    if "十" in text:
        tens, units = text.split("十")
        return _DIGITS_ZH.index(tens) * 10 + _DIGITS_ZH.index(units)
    return _DIGITS_ZH.index(text)


def _dates_in(line: str) -> list[tuple[int, int, tuple[int, int, int | None]]]:
    """(start, end, (year, month, day or None)) of every date written in `line`."""
    found: list[tuple[int, int, tuple[int, int, int | None]]] = []
    for m in _DATE.finditer(line):
        year, month = int(m.group(1)), int(m.group(2))
        day = int(m.group(3)) if m.group(3) else None
        if 1 <= month <= 12:
            found.append((m.start(), m.end(), (year, month, day)))
    for m in _ZH_DATE.finditer(line):
        try:
            year, month = _zh_number(m.group(1)), _zh_number(m.group(2))
            day = _zh_number(m.group(3)) if m.group(3) else None
        except ValueError:
            continue
        found.append((m.start(), m.end(), (year, month, day)))
    return found


def _as_date(value: str) -> tuple[int, int, int | None] | None:
    dates = _dates_in(normalise(value))
    if len(dates) == 1 and dates[0][0] == 0:
        return dates[0][2]
    return None


def _near(a: str, b: str) -> bool:
    """Same length and at most two characters apart (an OCR slip or a typo), or one missing."""
    if a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= (1 if len(a) <= 3 else 2)
    if abs(len(a) - len(b)) == 1 and len(a) >= 3 and len(b) >= 3:
        short, long_ = (a, b) if len(a) < len(b) else (b, a)
        return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))
    return False


def _line_spans(line: str) -> tuple[str, list[int]]:
    """The normalised line and, for each of its characters, where it was in `line`."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(line):
        for piece in normalise(ch):
            out.append(piece)
            where.append(i)
    return "".join(out), where


def find(value: str, lines: Sequence[str]) -> Finding:
    """Look for one field value in the page's lines."""
    wanted = normalise(value)
    if not wanted:
        return Finding(value, "missing")
    day = _as_date(value)
    hits: list[Hit] = []
    near: list[Hit] = []
    seen = ""
    for index, line in enumerate(lines):
        flat, where = _line_spans(line)
        if day is not None:
            for start, end, got in _dates_in(flat):
                same = got[:2] == day[:2] and (day[2] is None or got[2] in (None, day[2]))
                related = got[0] == day[0] or (got[1] == day[1] and abs(got[0] - day[0]) <= 5)
                if not same and not related:
                    continue  # another date of the document (a birthday), not this one
                hit = Hit(index, where[start], where[end - 1] + 1, "found" if same else "differs")
                (hits if same else near).append(hit)
                if not same and not seen:
                    seen = line[hit.start : hit.end]
            continue
        pos = flat.find(wanted)
        while pos >= 0:
            hit = Hit(index, where[pos], where[pos + len(wanted) - 1] + 1, "found")
            qualifier = next((q for q in _QUALIFIERS if flat[:pos].endswith(q)), "")
            if qualifier and not wanted.startswith(_QUALIFIERS):
                # 合格 inside 基本合格 is another grade: the scan says the qualified one.
                start = where[pos - len(qualifier)]
                near.append(Hit(index, start, hit.end, "differs"))
                seen = seen or line[start : hit.end]
            elif _bounded(line, hit.start, hit.end, wanted):
                hits.append(hit)
            pos = flat.find(wanted, pos + 1)
        if hits or not _distinctive(wanted):
            continue
        for size in sorted({len(wanted) - 1, len(wanted), len(wanted) + 1}):
            for start in range(0, max(0, len(flat) - size + 1)):
                piece = flat[start : start + size]
                if not (_near(piece, wanted) and _same_kind(piece, wanted)):
                    continue
                hit = Hit(index, where[start], where[start + size - 1] + 1, "differs")
                if _slot(line, hit.start, hit.end):
                    near.append(hit)
                    seen = seen or line[hit.start : hit.end]
                    break
    if not hits and not near and day is None:
        near, seen = _same_shape(wanted, lines)
    if hits:
        return Finding(value, "found", tuple(hits))
    if near:
        return Finding(value, "differs", tuple(near[:3]), seen)
    return Finding(value, "missing")


_TOKEN = re.compile(r"[0-9A-Z][0-9A-Z\-]*[0-9A-Z]")


def _shape(text: str) -> str:
    return "".join("9" if ch.isdigit() or ch == "X" else "A" if ch.isalpha() else ch for ch in text)


def _same_shape(wanted: str, lines: Sequence[str]) -> tuple[list[Hit], str]:
    """A long number (ID, ISSN) in its slot with the same shape but other digits: another
    person's ID or another journal's ISSN is not one or two characters off, it is all off."""
    if len(wanted) < 8 or any(_han(ch) for ch in wanted) or not _TOKEN.fullmatch(wanted):
        return [], ""
    shape = _shape(wanted)
    for index, line in enumerate(lines):
        flat, where = _line_spans(line)
        for m in _TOKEN.finditer(flat):
            if m.group() != wanted and _shape(m.group()) == shape:
                hit = Hit(index, where[m.start()], where[m.end() - 1] + 1, "differs")
                if _slot(line, hit.start, hit.end):
                    return [hit], line[hit.start : hit.end]
    return [], ""


def _alnum(ch: str) -> bool:
    """An ASCII digit or letter after normalising (full-width forms included)."""
    flat = normalise(ch)
    return len(flat) == 1 and flat.isascii() and flat.isalnum()


def _han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or ch == "〇"


def _bounded(line: str, start: int, end: int, wanted: str) -> bool:
    """A match is a whole token where the value begins or ends with a digit or letter: the
    characters around it are not digits or letters (`30` in `30学时`, not in `130` or `2030`)."""
    if _alnum(wanted[0]) and start > 0 and _alnum(line[start - 1]):
        return False
    return not (_alnum(wanted[-1]) and end < len(line) and _alnum(line[end]))


def _distinctive(wanted: str) -> bool:
    """Long enough that a near miss is another value, not an OCR slip or a coincidence: digits
    and letters from 5 (ISSN, ID and certificate numbers), Chinese from 2 (names)."""
    if any(_han(ch) for ch in wanted):
        return len(wanted) >= 2
    return sum(ch.isalnum() for ch in wanted) >= 5


def _separator(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch)[0] in "PSZ"


def _slot(line: str, start: int, end: int) -> bool:
    """The span fills a slot of its own: after a label's colon, a separator or the line's
    start, and before a separator, the line's end, or (for digits) a unit such as 年 or 学时."""
    before = line[start - 1] if start > 0 else ""
    after = line[end] if end < len(line) else ""
    left = not before or _separator(before) or (_alnum(line[start]) and not _alnum(before))
    right = not after or _separator(after) or (_alnum(line[end - 1]) and not _alnum(after))
    return left and right


def _same_kind(piece: str, wanted: str) -> bool:
    """Digits against digits, Han against Han: a name is not 'near' a stretch of numbers."""

    def kind(text: str) -> str:
        return "".join(
            "9" if ch.isdigit() else "h" if "\u4e00" <= ch <= "\u9fff" else "a" for ch in text
        )

    a, b = kind(piece), kind(wanted)
    return a.count("9") >= len(a) - 1 if b.count("9") >= len(b) - 1 else "9" not in a


def findings(values: Sequence[str], lines: Sequence[str]) -> list[Finding]:
    return [find(value, lines) for value in values]


# --- the values of the item under the cursor ------------------------------------------------


def _scalar(value: object) -> str | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, date):
        return value.isoformat()[:10] if value.day != 1 else value.isoformat()[:7]
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 30.0 hours are printed as 30学时
    if isinstance(value, int | float | str):
        text = str(value).strip()
        return text if len(text) >= 2 else None
    return None


def _at(root: Any, parts: list[str | int]) -> Any:
    node = root
    for part in parts:
        if isinstance(part, int):
            if not isinstance(node, list) or not 0 <= part < len(node):
                return None
            node = node[part]
        else:
            node = getattr(node, part, None)
        if node is None:
            return None
    return node


def values_at(app: BaseModel, path: str) -> list[str]:
    """The values to look for when the cursor is on `path`: a field's value, a row's filled
    fields, or for an attachment the fields of the row it backs."""
    try:
        parts = parse_path(path) if path else []
    except ValueError:
        return []
    if "attachments" in [p for p in parts if isinstance(p, str)] or (
        parts and isinstance(parts[0], str) and parts[0].endswith("_attachments")
    ):
        cut = max(
            i
            for i, p in enumerate(parts)
            if isinstance(p, str) and (p == "attachments" or p.endswith("_attachments"))
        )
        parts = parts[:cut]
    node = _at(app, parts) if parts else None
    if isinstance(node, BaseModel):
        out: list[str] = []
        for name in type(node).model_fields:
            if name in _SKIP_FIELDS:
                continue
            text = _scalar(getattr(node, name))
            if text is not None and text not in out:
                out.append(text)
        return out[:8]
    text = _scalar(node)
    return [text] if text is not None else []
