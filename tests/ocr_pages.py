"""Pages with known Chinese text, drawn with a CJK font from a font package, for OCR tests and benches."""

from __future__ import annotations

import io
from functools import cache

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from zcreview.cjkfont import pil_font

CERTIFICATE = (
    "毕业证书",
    "学生 张伟，性别 男，一九九〇年五月十二日生，",
    "于 2008 年 9 月至 2012 年 6 月在本校",
    "机械设计制造及其自动化 专业四年制本科学习，",
    "修完教学计划规定的全部课程，成绩合格，准予毕业。",
    "校名：山东大学",
    "证书编号：104221201205001234",
    "二〇一二年六月三十日",
)
"""The text of the test certificate, line by line, in reading order."""


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return pil_font(size)


def page_image(
    lines: tuple[str, ...] = CERTIFICATE, size: tuple[int, int] = (1200, 1600)
) -> Image.Image:
    """A photographed certificate: paper tint, a stamp, turned 2°, slightly blurred."""
    width = size[0]
    img = Image.new("RGB", size, (236, 233, 226))
    draw = ImageDraw.Draw(img)
    draw.text((width // 2 - 150, 140), lines[0], font=_font(72), fill=(30, 30, 30))
    y = 320
    for line in lines[1:]:
        draw.text((100, y), line, font=_font(38), fill=(40, 40, 46))
        y += 88
    draw.ellipse((width - 420, y - 300, width - 160, y - 40), outline=(200, 36, 42), width=8)
    img = img.rotate(2, resample=Image.Resampling.BICUBIC, fillcolor=(210, 210, 210))
    return img.filter(ImageFilter.GaussianBlur(0.8))


def scanned_pdf(lines: tuple[str, ...] = CERTIFICATE) -> bytes:
    """The page as an image-only PDF (JPEG inside), as a copier's scan-to-PDF makes it."""
    out = io.BytesIO()
    page_image(lines).save(out, "PDF", resolution=150.0, quality=75)
    return out.getvalue()


def char_error_rate(expected: str, got: str) -> float:
    """Levenshtein distance over characters (spaces ignored) divided by the expected length."""
    a = "".join(expected.split())
    b = "".join(got.split())
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1] / max(1, len(a))
