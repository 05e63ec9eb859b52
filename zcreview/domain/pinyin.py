"""Pinyin initials of Chinese names, so a search for `wh` finds 王华 (and 汪浩, 吴红 …)."""

from __future__ import annotations

import re
from functools import lru_cache

INITIALS_QUERY = re.compile(r"[a-z]{2,}")
"""What counts as an initials search: two or more Latin letters (one letter matches too much)."""


def is_initials_query(text: str) -> bool:
    return INITIALS_QUERY.fullmatch(text.strip().lower()) is not None


@lru_cache(maxsize=65536)
def initials(name: str) -> tuple[frozenset[str], ...]:
    """Each character's possible first letters: every reading counts (单 as shan and dan, 曾
    as zeng and ceng), since a surname is often read in its less common way. Latin letters
    stand for themselves; other characters for nothing."""
    # Imported on the first initials search: loading the dictionary costs about 0.3 s.
    from pypinyin import Style, pinyin

    out: list[frozenset[str]] = []
    for char in name:
        if char.isascii():
            out.append(frozenset({char.lower()}) if char.isalpha() else frozenset())
            continue
        readings = pinyin(char, style=Style.FIRST_LETTER, heteronym=True, errors="ignore")
        out.append(frozenset(r[:1].lower() for r in (readings[0] if readings else ()) if r))
    return tuple(out)


def matches_initials(name: str, query: str) -> bool:
    """Whether `query` (letters) spells the first letters of the start of `name`."""
    query = query.strip().lower()
    letters = initials(name.strip())
    if len(query) > len(letters):
        return False
    return all(q in options for q, options in zip(query, letters, strict=False))
