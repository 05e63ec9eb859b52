"""Decode JPEG, PNG and GIF bytes into upright display images of a bounded size."""

from __future__ import annotations

import contextlib
import io
import threading
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageFile, ImageOps

from zcreview.preview.failure import MAX_RENDER_PX, MSG_TRUNCATED_PARTIAL, check_pixels, contain

# Pillow's truncated-image switch is process-global; flip it only under this lock.
_TRUNCATED_LOCK: Final = threading.Lock()
_PIL_FORMATS: Final = ("JPEG", "PNG", "GIF")


@dataclass(frozen=True, slots=True)
class PageRender:
    """A page image (mode RGB or L, longest side at most the requested size)."""

    image: Image.Image
    # "jpeg" (scan image taken straight from the PDF), "pdfium" (rendered) or "image".
    source: str
    note: str | None = None


def clamp_px(max_px: int) -> int:
    return max(16, min(int(max_px), MAX_RENDER_PX))


def to_display_mode(img: Image.Image) -> Image.Image:
    """Convert any Pillow mode to RGB or L: CMYK and palettes to RGB, 16 bits to 8, alpha onto white."""
    if img.mode in ("RGB", "L"):
        if "transparency" not in img.info:
            return img
        img = img.convert("RGBA")
    if img.mode == "1":
        return img.convert("L")
    if img.mode.startswith("I") or img.mode == "F":
        # 16-bit (and 32-bit) grey: scale down, a plain convert would clip everything above 255.
        wide = img.convert("I") if img.mode != "I" else img
        scale = 1 / 256 if img.mode.startswith("I;16") or wide.getextrema()[1] > 255 else 1  # type: ignore[operator]
        return wide.point(lambda v: v * scale).convert("L")
    if img.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        img.mode == "P" and "transparency" in img.info
    ):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")


def open_pil(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data), formats=_PIL_FORMATS)
    check_pixels(img.size)
    return img


def decode_image(data: bytes, max_px: int, *, allow_partial: bool = True) -> PageRender:
    """Decode JPEG/PNG/GIF bytes to an upright RGB/L image no larger than max_px a side.

    JPEGs are decoded downscaled (``draft``); EXIF orientation is applied; the first GIF frame
    is used. A truncated file raises PreviewError(TRUNCATED), or with ``allow_partial``
    returns what could be decoded with a note saying so.
    """
    max_px = clamp_px(max_px)
    note = None
    img = open_pil(data)
    if img.format == "JPEG":
        img.draft(img.mode, (max_px, max_px))
    try:
        img.load()
    except OSError as exc:
        if "truncated" not in str(exc) or not allow_partial:
            raise contain(exc) from exc
        with _TRUNCATED_LOCK:
            ImageFile.LOAD_TRUNCATED_IMAGES = True
            try:
                img = open_pil(data)
                if img.format == "JPEG":
                    img.draft(img.mode, (max_px, max_px))
                img.load()
            finally:
                ImageFile.LOAD_TRUNCATED_IMAGES = False
        note = MSG_TRUNCATED_PARTIAL
    # A broken EXIF block must not hide the picture.
    with contextlib.suppress(Exception):
        img = ImageOps.exif_transpose(img)
    img = to_display_mode(img)
    if max(img.size) > max_px:
        img.thumbnail((max_px, max_px), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return PageRender(img, "image", note)
