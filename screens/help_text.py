"""The help pages' text: the small Markdown the screens write (headings, paragraphs, `-` items,
`code` for keys, **bold**) set as Rich renderables that wrap by the Chinese rules.

Textual's Markdown widget wraps only at spaces and folds long Chinese runs anywhere, so a line
could open with "，", a key could end a line with its words on the next (`v` / 只读查看), and a
list item's second line ran under its bullet. Here the spaces Chinese does not set between a
key and its words go (`tight`), every paragraph and item is `CjkText` (no line starts with
closing punctuation), items hang under their bullet, and nothing heavier than Rich is loaded to
open `?`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text

from zcreview.screens.kinsoku import CjkText
from zcreview.screens.text import ascii_symbols

KEY = Style(bold=True, color="color(214)")
"""Keys, as the footer shows them."""
HEADING = Style(bold=True, underline=True)
SUBHEADING = Style(bold=True)

_WIDE = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
"""CJK ideographs and full-width punctuation: text that breaks between any two characters."""
_IS_WIDE = re.compile(f"[{_WIDE}]")
_SPACE_BY_WIDE = re.compile(rf"(?<=[{_WIDE}]) +(?=\S)|(?<=\S) +(?=[{_WIDE}])")
_SLASH_BETWEEN_KEYS = re.compile(r"(?<=`) / (?=`)")
_LINE_MARK = re.compile(r"^\s*(?:#{1,6}|[-*+]|\d+\.)\s+")
"""A heading's or a list item's marker, whose space Markdown needs."""
_INLINE = re.compile(r"`([^`\n]+)`|\*\*([^*\n]+)\*\*")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_ITEM = re.compile(r"^\s*[-*+]\s+(.*)$")


def tight(markdown: str) -> str:
    """`markdown` without the spaces Chinese does not set beside Latin words and symbols
    (`v` 只读查看 → `v`只读查看, `J` / `K` → `J`/`K`); a line still breaks at the spaces of
    Latin text, and the markers of headings and items keep theirs."""
    lines = []
    for line in markdown.split("\n"):
        mark = _LINE_MARK.match(line)
        head, body = (line[: mark.end()], line[mark.end() :]) if mark else ("", line)
        body = _SLASH_BETWEEN_KEYS.sub("/", body)
        lines.append(head + _SPACE_BY_WIDE.sub("", body))
    return "\n".join(lines)


def inline(source: str) -> CjkText:
    """One paragraph's text with `code` set as keys and **bold** as bold (markers dropped)."""
    text = CjkText()
    at = 0
    for found in _INLINE.finditer(source):
        text.append(source[at : found.start()])
        code, bold = found.groups()
        text.append(code if code is not None else bold, style=KEY if code is not None else "bold")
        at = found.end()
    text.append(source[at:])
    return text


def blocks(markdown: str) -> Iterator[tuple[str, str]]:
    """("heading2" | "heading3" | "item" | "paragraph", text) in order; an item's or a
    paragraph's wrapped source lines are joined (Chinese needs no space between them)."""
    kind, lines = "", list[str]()
    for raw in [*markdown.splitlines(), ""]:
        line = raw.rstrip()
        heading = _HEADING.match(line)
        item = _ITEM.match(line)
        if not line.strip() or heading or item:
            if lines:
                yield kind, _join(lines)
            kind, lines = "", list[str]()
        if heading:
            yield ("heading2" if len(heading.group(1)) <= 2 else "heading3"), heading.group(2)
        elif item:
            kind, lines = "item", [item.group(1)]
        elif line.strip():
            kind = kind or "paragraph"
            lines.append(line.strip())


def _join(lines: list[str]) -> str:
    out = lines[0]
    for line in lines[1:]:
        # A source line break inside Chinese is no space; between Latin words it is one.
        wide = _IS_WIDE.match(out[-1]) and _IS_WIDE.match(line[0])
        out += line if wide else " " + line
    return out


def render_help(markdown: str, *, ascii_mode: bool = False) -> RenderableType:
    """The help page for `markdown`: blank lines between blocks, items under a bullet."""
    markdown = tight(markdown)
    if ascii_mode:
        markdown = ascii_symbols(markdown)
    bullet = "*" if ascii_mode else "•"
    parts: list[RenderableType] = []
    items: Table | None = None
    for kind, source in blocks(markdown):
        if kind == "item":
            if items is None:
                items = Table.grid(padding=(0, 1), expand=True)
                items.add_column(width=1)
                # Fold, not "…": a Chinese sentence is one long word to Rich.
                items.add_column(ratio=1, overflow="fold")
                parts.append(items)
            items.add_row(bullet, inline(source))
            continue
        if items is not None:
            parts.append(Text())
            items = None
        if kind == "heading2":
            parts += [Text(source, style=HEADING), Text()]
        elif kind == "heading3":
            parts += [Text(source, style=SUBHEADING), Text()]
        else:
            parts += [inline(source), Text()]
    return Group(*parts)
