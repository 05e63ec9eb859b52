"""Recognised text of attachment pages: what OCR or a PDF text layer read, shared by the layers.

The OCR engine (`zcreview.preview.ocr`) produces these, storage keeps them per
(blob SHA-256, page, engine version), the preview pane shows them and the evidence checks
(`EVID-…`) compare them with the form. Pure data: no I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Source = Literal["ocr", "text-layer"]


@dataclass(frozen=True, slots=True)
class TextLine:
    """One recognised line: its text, the engine's confidence (0–1) and its box.

    The box is `(x0, y0, x1, y1)` as fractions (0–1) of the page's width and height, so it holds
    whatever resolution the page was read at.
    """

    text: str
    confidence: float
    box: tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class PageText:
    """The text of one page of one attachment, in reading order."""

    sha256: str
    page: int
    """0-based page index (0 for an image)."""
    engine: str
    """Engine and model version, e.g. `rapidocr-1.4.4/PP-OCRv4`, or `pdf-text-layer`."""
    source: Source
    lines: tuple[TextLine, ...]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def confidence(self) -> float:
        """Mean line confidence weighted by length; 0 for a page with no text."""
        total = sum(len(line.text) for line in self.lines)
        if not total:
            return 0.0
        return sum(line.confidence * len(line.text) for line in self.lines) / total


Evidence = Mapping[str, Sequence[PageText]]
"""Recognised pages by attachment SHA-256, in page order; an attachment not yet read is absent."""
