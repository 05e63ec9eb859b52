"""Reading recognised pages the way the evidence checks need: OCR-tolerant text, rows, slots, dates.

OCR confuses full and half width, drops or adds spaces and punctuation, reads 〇 as O and splits a
table row into one line per cell. Everything here works on a normalised form of the text so the
checks compare what the scan says, not how the engine spelled it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from zcreview.domain.recognised import PageText, TextLine

LOW_CONFIDENCE = 0.8
"""Below this a line is read too uncertainly to say that the scan disagrees with the form."""

_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "O": 0, "o": 0, "Ｏ": 0}
_CN_DIGITS.update({c: i for i, c in enumerate("一二三四五六七八九", start=1)})
_ZERO_LIKE = "OoＯ〇○零"


@lru_cache(maxsize=8192)
def norm(text: str) -> str:
    """Letters, digits and CJK only, half width, upper case: what two spellings share."""
    folded = unicodedata.normalize("NFKC", text).upper()
    return "".join(ch for ch in folded if ch.isalnum())


def _digits_fixed(text: str) -> str:
    """Zero-like letters next to digits read as 0 (`2O19`, `20〇9`)."""
    return re.sub(rf"(?<=\d)[{_ZERO_LIKE}]|[{_ZERO_LIKE}](?=\d)", "0", text)


def _cn_number(text: str) -> int | None:
    """`二〇一九` → 2019 (digit by digit), `十二` → 12, `七` → 7."""
    if not text:
        return None
    if "十" in text:
        tens, _, units = text.partition("十")
        t = _CN_DIGITS.get(tens, -1) if tens else 1
        u = _CN_DIGITS.get(units, -1) if units else 0
        return None if t < 0 or u < 0 else t * 10 + u
    value = 0
    for ch in text:
        digit = _CN_DIGITS.get(ch)
        if digit is None:
            return None
        value = value * 10 + digit
    return value


_CN = "〇○零O一二三四五六七八九十"
_CN_DATE = re.compile(rf"([{_CN}]{{4}})\s*年\s*([{_CN}]{{1,2}})\s*月(?:\s*([{_CN}]{{1,3}})\s*日)?")
_DIGIT_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*(?:年|[.\-/．])\s*(\d{1,2})(?!\d)(?:\s*(?:月|[.\-/．])\s*(\d{1,2})(?!\d))?"
)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年(度)?")


@dataclass(frozen=True, slots=True)
class YearMonth:
    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year}年{self.month}月"


def dates_in(text: str) -> list[YearMonth]:
    """Every year-and-month the text states: 2019年7月, 2019.07, 2019-07-01, 二〇一九年七月."""
    folded = _digits_fixed(unicodedata.normalize("NFKC", text))
    found: list[YearMonth] = []
    for m in _DIGIT_DATE.finditer(folded):
        month = int(m.group(2))
        if 1 <= month <= 12:
            found.append(YearMonth(int(m.group(1)), month))
    for m in _CN_DATE.finditer(text):
        cn_year, cn_month = _cn_number(m.group(1)), _cn_number(m.group(2))
        if cn_year and cn_month and 1900 < cn_year < 2100 and 1 <= cn_month <= 12:
            found.append(YearMonth(cn_year, cn_month))
    return found


def years_in(text: str, *, yearly: bool = False) -> list[int]:
    """Years written `2021年` (or only `2021年度` with `yearly`), Chinese numerals included."""
    folded = _digits_fixed(unicodedata.normalize("NFKC", text))
    years = [int(m.group(1)) for m in _YEAR.finditer(folded) if not yearly or m.group(2)]
    if not yearly:
        years += [d.year for d in dates_in(text)]
    return years


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Levenshtein distance, cut short once it exceeds `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i]
        for j, cb in enumerate(b, start=1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def fuzzy_contains(haystack: str, needle: str, max_edits: int) -> bool:
    """Whether `needle` occurs in `haystack` with at most `max_edits` edits (both normalised)."""
    if not needle:
        return False
    if needle in haystack:
        return True
    if max_edits <= 0:
        return False
    # Approximate substring match: free start and end in the haystack.
    m = len(needle)
    prev = [0] * (len(haystack) + 1)
    for i in range(1, m + 1):
        cur = [i] + [0] * len(haystack)
        ch = needle[i - 1]
        for j in range(1, len(haystack) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ch != haystack[j - 1]))
        prev = cur
    return min(prev) <= max_edits


@dataclass(frozen=True, slots=True)
class Row:
    """Lines that stand side by side on the page (the cells of one table row), left to right."""

    cells: tuple[str, ...]
    confidence: float

    @property
    def text(self) -> str:
        return " ".join(self.cells)


def _rows_of(lines: Sequence[TextLine]) -> list[Row]:
    """Group lines whose vertical centres lie within half a line height, in reading order."""
    ordered = sorted(lines, key=lambda ln: ((ln.box[1] + ln.box[3]) / 2, ln.box[0]))
    rows: list[list[TextLine]] = []
    for line in ordered:
        centre = (line.box[1] + line.box[3]) / 2
        height = max(line.box[3] - line.box[1], 1e-6)
        if rows:
            last = rows[-1][-1]
            last_centre = (last.box[1] + last.box[3]) / 2
            last_height = max(last.box[3] - last.box[1], 1e-6)
            if abs(centre - last_centre) <= 0.5 * max(height, last_height):
                rows[-1].append(line)
                continue
        rows.append([line])
    out = []
    for group in rows:
        group.sort(key=lambda ln: ln.box[0])
        out.append(Row(tuple(ln.text for ln in group), min(ln.confidence for ln in group)))
    return out


_SEPARATORS = " :：\t\u3000"


def label_rest(cell: str, key: str) -> str | None:
    """What follows the label `key` (normalised) at the start of `cell`, or None.

    The label must open the cell and be followed by a colon or a space, or fill the cell: so
    `专业：土木工程` and a cell `专业` give a slot, `专业技术人员年度考核登记表` does not.
    """
    acc = ""
    for i, ch in enumerate(cell):
        acc += norm(ch)
        if not key.startswith(acc):
            return None
        if acc == key:
            rest = cell[i + 1 :]
            if not rest.strip(_SEPARATORS):
                return ""
            if rest[0] in _SEPARATORS:
                return rest.lstrip(_SEPARATORS)
            return None
    return None


@dataclass(frozen=True, slots=True)
class Document:
    """The read pages of one attachment, as rows and as one normalised string."""

    rows: tuple[Row, ...]
    joined: str
    """All rows normalised and concatenated (for "does the value occur anywhere")."""
    confidence: float

    @property
    def raw(self) -> str:
        return "\n".join(r.text for r in self.rows)

    @property
    def low_confidence(self) -> bool:
        return self.confidence < LOW_CONFIDENCE

    def contains(self, value: str, *, fuzzy: bool = False) -> bool:
        """Whether the normalised value occurs; `fuzzy` allows one edit in ten characters."""
        needle = norm(value)
        if not needle:
            return False
        if needle in self.joined:
            return True
        if not fuzzy:
            return False
        edits = len(needle) // 10 or (1 if len(needle) >= 3 and self.low_confidence else 0)
        return fuzzy_contains(self.joined, needle, edits)

    def slots(self, labels: Iterable[str]) -> list[tuple[str, float]]:
        """What follows each label: the rest of its cell, else the next cell or row.

        Labels are matched on normalised text, so `毕 业 时 间：` finds `毕业时间`.
        """
        keys = [norm(label) for label in labels]
        found: list[tuple[str, float]] = []
        rows = self.rows
        for i, row in enumerate(rows):
            for j, cell in enumerate(row.cells):
                for key in keys:
                    rest = label_rest(cell, key)
                    if rest is None:
                        continue
                    if rest:
                        found.append((rest, row.confidence))
                    elif j + 1 < len(row.cells):
                        found.append((row.cells[j + 1], row.confidence))
                    elif i + 1 < len(rows):
                        found.append((rows[i + 1].cells[0], rows[i + 1].confidence))
                    break
        return found


def read_document(pages: Sequence[PageText]) -> Document:
    """The pages of one attachment as a `Document`."""
    rows: list[Row] = []
    for page in pages:
        rows.extend(_rows_of(page.lines))
    total = sum(len(p.text) for p in pages)
    confidence = sum(p.confidence * len(p.text) for p in pages) / total if total else 0.0
    return Document(tuple(rows), "".join(norm(r.text) for r in rows), confidence)
