"""Recognise attachment bytes with the application's own OCR engine into `PageText`s.

The same engine and settings the review screen and `zcreview ocr` use (`zcreview.preview.ocr`),
called in this process so a test reads a page without the worker pool.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from zcreview.domain.recognised import PageText, TextLine
from zcreview.preview import ocr

PDF_DPI = 120


def recognise_image(image: Image.Image, sha256: str, page: int) -> PageText:
    """The lines of one page image, boxes as fractions of the page."""
    lines = tuple(TextLine(text, conf, box) for text, conf, box in ocr.recognise_image(image))
    return PageText(sha256, page, ocr.engine_version(), "ocr", lines)


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
