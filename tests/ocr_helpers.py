"""Recognise attachment bytes with the real PP-OCR model (rapidocr-onnxruntime) into `PageText`s.

One small function per step so the application's own OCR engine can replace `recognise_image`.
"""

from __future__ import annotations

import io
from functools import cache
from typing import Any

from PIL import Image, ImageOps

from zcreview.domain.recognised import PageText, TextLine

ENGINE = "rapidocr-onnxruntime/PP-OCRv4"
PDF_DPI = 120


@cache
def _engine() -> Any:
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


def recognise_image(image: Image.Image, sha256: str, page: int) -> PageText:
    """The lines of one page image, boxes as fractions of the page."""
    import numpy as np

    rgb = image.convert("RGB")
    result, _elapsed = _engine()(np.asarray(rgb))
    w, h = rgb.size
    lines = []
    for box, text, score in result or []:
        xs = [float(p[0]) for p in box]
        ys = [float(p[1]) for p in box]
        lines.append(
            TextLine(str(text), float(score), (min(xs) / w, min(ys) / h, max(xs) / w, max(ys) / h))
        )
    return PageText(sha256, page, ENGINE, "ocr", tuple(lines))


def page_images(data: bytes, pages: int | None = None) -> list[Image.Image]:
    """The pages of a PDF (rendered) or the image itself, turned upright by its EXIF tag."""
    if data[:5] == b"%PDF-":
        import pypdfium2 as pdfium

        doc = pdfium.PdfDocument(data)
        count = len(doc) if pages is None else min(pages, len(doc))
        return [doc[i].render(scale=PDF_DPI / 72).to_pil() for i in range(count)]
    return [ImageOps.exif_transpose(Image.open(io.BytesIO(data)))]


def recognise(data: bytes, sha256: str, pages: int | None = None) -> list[PageText]:
    """Every page (or the first `pages`) of one attachment."""
    return [recognise_image(img, sha256, i) for i, img in enumerate(page_images(data, pages))]
