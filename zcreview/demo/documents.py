"""Personal documents with legible Chinese text: certificates, forms and proofs that state the form.

A `DocSpec` lists the pages of one document, each a title and (label, value) rows; it is drawn
with Noto Sans SC (`zcreview.cjkfont`) and then scanned, photographed or screenshotted as the
other demo files are (skew, blur, seal, paper noise), so OCR can read it and the evidence checks
have something real to compare. The random stream is keyed by the spec's `key`.
"""

from __future__ import annotations

import io
import random
from functools import cache, lru_cache

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from zcreview.cjkfont import pil_font
from zcreview.demo.attachments import (
    INK,
    JPEG,
    PAGE_SIZE,
    PDF,
    PNG,
    DocPage,
    DocSpec,
    _exif,
    _noise,
    _paper,
    _stamp,
    _tone,
    copier_pdf,
)

SCAN = "scan"
PHOTO = "photo"
SCREEN = "screen"


@lru_cache(maxsize=8192)
def _text_mask(text: str, size: int, anchor: str, bold: int) -> tuple[Image.Image, int, int]:
    """The text as a mask and its offset from the anchor point; labels and titles recur, and
    rendering a variable font costs more than pasting a mask."""
    font = pil_font(size)
    left, top, right, bottom = (
        int(v) for v in font.getbbox(text, anchor=anchor, stroke_width=bold)
    )
    mask = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(mask).text(
        (-left, -top), text, font=font, fill=255, anchor=anchor, stroke_width=bold, stroke_fill=255
    )
    return mask, left, top


def _put(
    img: Image.Image,
    xy: tuple[int, int],
    text: str,
    size: int,
    *,
    anchor: str = "lm",
    bold: int = 0,
) -> None:
    mask, left, top = _text_mask(text, size, anchor, bold)
    x, y = xy[0] + left, xy[1] + top
    img.paste(INK[0], (x, y, x + mask.width, y + mask.height), mask)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Break `text` into pieces no wider than `width` pixels (Chinese breaks anywhere)."""
    if font.getlength(text) <= width:
        return [text]
    lines: list[str] = []
    current = ""
    for ch in text:
        if current and font.getlength(current + ch) > width:
            lines.append(current)
            current = ch
        else:
            current += ch
    return [*lines, current]


def _draw_page(page: DocPage, img: Image.Image) -> Image.Image:
    """Print the page, straight, onto `img` (mode L: paper or white) and return it."""
    w, h = img.size
    d = ImageDraw.Draw(img)
    scale = w / PAGE_SIZE[0]
    ink = INK[0]
    margin = int(40 * scale)
    if page.layout == "certificate":
        d.rectangle(
            (margin, margin, w - margin, h - margin), outline=110, width=max(2, int(8 * scale))
        )
    title_size, body_size = int(40 * scale), int(25 * scale)
    room = w - 3 * margin
    # A long title first shrinks (to 30 px at 100 dpi), then wraps; the rows start below it.
    while title_size > int(30 * scale) and pil_font(title_size).getlength(page.title) > room:
        title_size -= 2
    titles = _wrap(page.title, pil_font(title_size), room)
    for k, piece in enumerate(titles):
        _put(img, (w // 2, int((110 + 50 * k) * scale)), piece, title_size, anchor="mm", bold=1)
    body = pil_font(body_size)
    x0 = int(110 * scale)
    x1 = w - int(90 * scale)
    top = int((210 + 50 * (len(titles) - 1)) * scale)
    # Rows fit the page: the step shrinks (never below the text height) when there are many.
    step = max(
        int(34 * scale), min(int(58 * scale), (h - top - 3 * margin) // max(1, len(page.rows)))
    )
    y = top
    if page.layout == "form":
        col = int(330 * scale)
        upper = y - step // 2
        for label, value in page.rows:
            _put(img, (x0 + 10, y), label, body_size)
            _put(img, (col + 16, y), value, body_size)
            d.line((x0 - 10, y + step // 2, x1, y + step // 2), fill=ink, width=2)
            y += step
        d.rectangle((x0 - 10, upper, x1, y - step // 2), outline=ink, width=2)
        d.line((col, upper, col, y - step // 2), fill=ink, width=2)
    else:
        for label, value in page.rows:
            text = f"{label}：{value}" if label else value
            for piece in _wrap(text, body, x1 - x0):
                _put(img, (x0, y), piece, body_size)
                y += step
    return img


_SEAL_VARIANTS = 8


@cache
def _seal(variant: int) -> Image.Image:
    """One of a few official seals (RGBA), drawn once: blurring a fresh seal per page cost more
    than the rest of the page."""
    r = 70
    layer = Image.new("RGBA", (2 * r + 8, 2 * r + 8), (0, 0, 0, 0))
    _stamp(layer, random.Random(f"seal/{variant}"), r + 4, r + 4, r)
    return layer


def _press_seal(img: Image.Image, rng: random.Random, cx: int, cy: int) -> None:
    seal = _seal(rng.randrange(_SEAL_VARIANTS))
    img.paste(seal, (cx - seal.width // 2, cy - seal.height // 2), seal)


def _scan_page(page: DocPage, rng: random.Random) -> Image.Image:
    """A grey-scale copier scan: printed on the paper texture, skewed, the seal pressed on after.

    Grey scale, as offices scan forms by default: it halves the cost of drawing and encoding a
    page, and the demo draws some five thousand of them.
    """
    tint = rng.choice((-6, 0, 4))
    img = _draw_page(page, _paper(PAGE_SIZE, tint).copy())
    # Nearest-neighbour keeps the cost low; cheap office scanners jag their edges the same way.
    img = img.rotate(
        rng.uniform(-1.5, 1.5), resample=Image.Resampling.NEAREST, fillcolor=236 + tint
    )
    if rng.random() < 0.15:  # a smudged glass; JPEG softens the rest
        img = img.filter(ImageFilter.BoxBlur(0.6))
    w, h = PAGE_SIZE
    _press_seal(img, rng, w - 230 + rng.randint(-15, 15), h - 260 + rng.randint(-15, 15))
    return img


def scanned_document(spec: DocSpec, rng: random.Random) -> bytes:
    """An image-only PDF, one JPEG page per document page, as a copier writes it."""
    images = [_scan_page(p, rng) for p in spec.pages]
    return copier_pdf(images, quality=rng.randint(60, 75))


_PHOTO_SIZE = (1600, 1200)


@cache
def _desk(turn: int) -> Image.Image:
    """A wooden desk lit from one side, with sensor grain; drawn once per direction of light."""
    w, h = _PHOTO_SIZE
    rng = random.Random(f"desk/{turn}")
    desk = Image.linear_gradient("L").resize((w, h)).rotate(turn)
    desk_rgb = Image.merge("RGB", [desk.point(_tone(o)) for o in (40, 25, 10)])
    light = Image.radial_gradient("L").resize((w, h))
    lit = Image.composite(
        desk_rgb, Image.eval(desk_rgb, lambda v: v * 3 // 4), Image.eval(light, lambda v: 255 - v)
    )
    grain = _noise(rng, (w // 2, h // 2)).resize((w, h)).convert("RGB")
    return Image.blend(lit, grain, 0.03)


def photographed_document(spec: DocSpec, rng: random.Random) -> bytes:
    """The first page photographed on a desk: tilted, a little soft, maybe turned by EXIF."""
    w, h = _PHOTO_SIZE
    photo = _desk(rng.choice((0, 90, 180))).copy()
    card_size = (1100, 800)
    ink = _draw_page(spec.pages[0], Image.new("L", card_size, 255))
    if rng.random() < 0.15:
        ink = ink.filter(ImageFilter.BoxBlur(0.6))
    card = ImageChops.multiply(_card_tint(card_size), ink.convert("RGB"))
    _press_seal(card, rng, card_size[0] - 220, card_size[1] - 200)
    card = card.rotate(
        rng.uniform(-5, 5), expand=True, resample=Image.Resampling.NEAREST, fillcolor=(0, 0, 0)
    )
    mask = card.convert("L").point(lambda v: 255 if v > 0 else 0)
    photo.paste(
        card,
        (
            (w - card.width) // 2 + rng.randint(-40, 40),
            (h - card.height) // 2 + rng.randint(-30, 30),
        ),
        mask,
    )
    orientation = 1
    if rng.random() < 0.25:
        orientation = rng.choice([6, 8])
        # The camera stores the sensor's landscape pixels; the tag asks viewers to turn them.
        photo = photo.rotate(90 if orientation == 6 else -90, expand=True)
    shot_at = f"2024:0{rng.randint(1, 6)}:{rng.randint(10, 28)} {rng.randint(8, 18)}:12:40"
    buf = io.BytesIO()
    if spec.fmt == PNG:
        photo.save(buf, "PNG", compress_level=1, exif=_exif(orientation, shot_at))
    else:
        photo.save(buf, "JPEG", quality=rng.randint(78, 88), exif=_exif(orientation, shot_at))
    return buf.getvalue()


@cache
def _card_tint(size: tuple[int, int]) -> Image.Image:
    return Image.new("RGB", size, (246, 242, 230))


def screenshot_document(spec: DocSpec, rng: random.Random) -> bytes:
    """A phone screenshot of an online record: a coloured header, then one card per row."""
    w = 720
    page = spec.pages[0]
    h = 260 + 84 * len(page.rows)
    img = Image.new("RGB", (w, h), (245, 246, 248))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, w, 130), fill=rng.choice([(24, 102, 190), (200, 40, 40), (20, 140, 110)]))
    d.text((w // 2, 80), page.title, font=pil_font(30), fill=(255, 255, 255), anchor="mm")
    y = 170
    body = pil_font(26)
    for label, value in page.rows:
        d.rounded_rectangle((24, y, w - 24, y + 70), 14, fill=(255, 255, 255))
        d.text(
            (48, y + 35), f"{label}：{value}" if label else value, font=body, fill=INK, anchor="lm"
        )
        y += 84
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def draw_document(spec: DocSpec, seed: int) -> bytes:
    rng = random.Random(f"{seed}/doc/{spec.key}")
    if spec.style == PHOTO:
        return photographed_document(spec, rng)
    if spec.style == SCREEN:
        return screenshot_document(spec, rng)
    return scanned_document(spec, rng)


__all__ = ["JPEG", "PDF", "PHOTO", "PNG", "SCAN", "SCREEN", "DocPage", "DocSpec", "draw_document"]
