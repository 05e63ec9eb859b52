"""The preview pane's text view: a page's recognised lines in reading order, with the values of
the field under the cursor marked where the scan has them (evidence highlighting)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rich.style import Style
from rich.text import Text

from zcreview.domain.recognised import PageText
from zcreview.preview.cache import RenderedPage
from zcreview.screens.evidence_match import Finding
from zcreview.screens.text import clean, clean_block

LOW_CONFIDENCE = 0.8
"""Recognised lines below this confidence are dimmed and marked with `?`."""

TextState = Literal["off", "pending", "done", "error"]
"""Recognition of the page shown: off (none this session), pending, done, or failed."""


@dataclass(frozen=True)
class ReadingStyles:
    """The pane's component styles the text view uses."""

    muted: Style
    note: Style
    error: Style


def reading_text(
    result: RenderedPage | None,
    state: TextState,
    page: PageText | None,
    error: str,
    found: list[Finding],
    styles: ReadingStyles,
    *,
    ascii_mode: bool,
) -> Text | None:
    """The page as text (None: nothing to show yet): without recognition, the PDF's own text
    layer; with it, the recognised lines, low-confidence ones dimmed, the field's values
    marked (green: the same, red: the scan says otherwise)."""
    muted, note = styles.muted, styles.note
    if state == "off":
        if result is None:
            return None
        text = clean_block(result.text).strip()
        shown = Text(text or "（本页没有可提取的文字，请看页面图像）")
        if result.text_low_quality:
            shown.append("\n（提取的文字可能有误，请以页面图像为准）", note)
        return shown
    if state == "pending" or page is None:
        return Text("正在识别…（可继续审核，完成后自动显示）", style=muted)
    if state == "error":
        message = Text("无法识别文字：", style=styles.error)
        message.append(clean(error), styles.error)
        return message
    shown = findings_text(found, muted, ascii_mode=ascii_mode)
    if page.source == "text-layer":
        shown.append("（取自PDF文字层）\n", muted)
    if not page.lines:
        shown.append("（本页没有识别出文字）", muted)
    marks = _marks(found)
    for index, line in enumerate(page.lines):
        low = line.confidence < LOW_CONFIDENCE
        piece = Text(clean(line.text), style="dim" if low else "")
        for start, end, verdict in marks.get(index, ()):
            piece.stylize(_VERDICT_STYLE[verdict], start, end)
        if low:
            piece.append(" ?", note)
        shown.append_text(piece)
        shown.append("\n")
    shown.rstrip()
    return shown


def findings_text(found: list[Finding], muted: Style, *, ascii_mode: bool) -> Text:
    """The values of the field under the cursor in one paragraph: found, differs (with what
    the scan says), not found. Compact, so the page's text keeps the room at 80×24."""
    out = Text()
    glyphs = _ASCII_VERDICT if ascii_mode else _VERDICT_GLYPH
    for number, finding in enumerate(found):
        if number:
            out.append("  ")
        value = clean(finding.value)
        style = _VERDICT_STYLE[finding.verdict]
        out.append(f"{glyphs[finding.verdict]}{value}", style)
        if finding.verdict == "differs":
            out.append(f"（扫描件：{clean(finding.seen)}）")
        elif finding.verdict == "missing":
            out.append("（未找到）", muted)
    if found:
        out.append("\n")
    return out


_VERDICT_STYLE = {"found": "bold reverse green", "differs": "bold reverse red", "missing": "yellow"}
_VERDICT_GLYPH = {"found": "✓", "differs": "✗", "missing": "⚠"}
_ASCII_VERDICT = {"found": "OK", "differs": "X", "missing": "!"}


def _marks(found: list[Finding]) -> dict[int, list[tuple[int, int, str]]]:
    """Spans to highlight, by line."""
    marks: dict[int, list[tuple[int, int, str]]] = {}
    for finding in found:
        for hit in finding.hits:
            marks.setdefault(hit.line, []).append((hit.start, hit.end, hit.verdict))
    return marks
