"""The Chinese font zcreview draws and embeds: Noto Sans SC from a pip package, never the system.

The font is Noto Sans SC (SIL Open Font License 1.1, © Adobe, Reserved Font Name 'Source'),
shipped as a TrueType variable font by the `justmytype-intl-cjk` wheel. TrueType outlines let
reportlab embed a subset of it in every PDF (CFF/OTF fonts it cannot embed), so notices and demo
PDFs print and render on machines without any CJK font. Pillow draws it at the Regular weight for
the demo's scans.

The variable font's default instance is its Thin master: reportlab embeds that one, so PDF text
is filled and stroked (`FILL_STROKE`, `pdf_stroke`) to print at about Regular weight.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import ImageFont

PDF_FONT = "NotoSansSC"
"""The name the font is registered under in reportlab."""

_REGULAR = 400


@cache
def font_path() -> Path:
    """The TrueType file of Noto Sans SC inside the installed package.

    Raises:
        FileNotFoundError: the package is missing (it is a dependency of zcreview).
    """
    try:
        root = files("justmytype_intl_cjk")
    except ModuleNotFoundError as exc:
        raise FileNotFoundError(
            "缺少中文字体包 justmytype-intl-cjk（pip install justmytype-intl-cjk）"
        ) from exc
    path = Path(str(root / "fonts" / "ofl" / "notosanssc" / "NotoSansSC[wght].ttf"))
    if not path.is_file():
        raise FileNotFoundError(f"中文字体文件不存在：{path}")
    return path


@cache
def pil_font(size: int) -> ImageFont.FreeTypeFont:
    """Noto Sans SC at `size` pixels, Regular weight, for Pillow."""
    from PIL import ImageFont

    font = ImageFont.truetype(str(font_path()), size)
    font.set_variation_by_axes([_REGULAR])
    return font


@cache
def register_pdf_font() -> str:
    """Register the font with reportlab (embedded as a subset) and return its name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(PDF_FONT, str(font_path())))
    return PDF_FONT


FILL_STROKE = 2
"""reportlab text render mode: fill, then stroke the outline (`drawString(..., mode=...)`)."""


def pdf_stroke(size: float) -> float:
    """Stroke width (points) that brings the embedded Thin master to about Regular weight."""
    return size * 0.045
