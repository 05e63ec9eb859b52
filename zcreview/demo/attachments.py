"""Attachment files as reviewers meet them: scanned image-only PDFs, phone photos, text PDFs.

Every file is drawn with Pillow (or reportlab for text PDFs) from a private random stream keyed by
(seed, kind, index), so the same seed gives the same bytes. A pool caches what it has drawn: many
applicants share files in reality (one 六公开监督卡 for a whole unit), and reuse keeps the demo
fast without making every applicant identical.
"""

from __future__ import annotations

import io
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageChops, ImageDraw, ImageFilter

# 2024-03-01 00:00 UTC: a fixed stamp for PDF metadata and EXIF, never the clock.
FIXED_EPOCH = 1709251200
PAGE_DPI = 100
PAGE_SIZE = (827, 1169)  # A4 at 100 dpi: what an office copier's "scan to PDF" default gives

INK = (40, 40, 46)
STAMP_RED = (200, 36, 42)
PEN_BLUE = (30, 48, 120)

JPEG = "jpg"
PNG = "png"
PDF = "pdf"


@dataclass(frozen=True)
class FileSpec:
    """What to draw: a kind of document and how; the pool turns it into bytes once."""

    kind: str  # scan | form | photo | screenshot | textpdf
    index: int
    pages: int = 1
    title: str = ""
    fmt: str = PDF

    @property
    def ext(self) -> str:
        return self.fmt


@dataclass(frozen=True)
class TextSpec:
    """A born-digital PDF to typeset: title, lines and footer (its content is personal)."""

    title: str
    lines: tuple[str, ...]
    footer: str = ""
    fmt: str = PDF

    @property
    def ext(self) -> str:
        return self.fmt


@dataclass(frozen=True)
class DocPage:
    """One page of a personal document: a title, then `(label, value)` rows (empty label: the
    value alone)."""

    title: str
    rows: tuple[tuple[str, str], ...]
    layout: str = "certificate"  # certificate (framed) | form (a ruled table) | cover (plain)


@dataclass(frozen=True)
class DocSpec:
    """A personal document stating values of the form (`zcreview.demo.documents` draws it):
    `style` is how it reaches the reviewer (scan, photo or screen), `key` its random stream."""

    key: str
    style: str
    pages: tuple[DocPage, ...]
    fmt: str = PDF

    @property
    def ext(self) -> str:
        return self.fmt


Source = FileSpec | TextSpec | DocSpec


# --- paper and marks ------------------------------------------------------------------------


def _noise(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """Grey noise from our own random stream (Pillow's effect_noise is not seedable)."""
    return Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))


@cache
def _paper(size: tuple[int, int], tint: int) -> Image.Image:
    """Grey, slightly uneven copier paper; drawn once per size and tint, then copied."""
    w, h = size
    noise = _noise(random.Random(f"paper/{w}x{h}/{tint}"), (w // 2, h // 2)).resize(
        size, Image.Resampling.BILINEAR
    )
    base = Image.new("L", size, 236 + tint)
    paper = Image.blend(base, noise, 0.05)
    # A darker band along one edge, where the lid of the scanner did not close.
    shade = Image.linear_gradient("L").rotate(90).resize((max(8, w // 30), h))
    paper.paste(Image.eval(shade, lambda v: 150 + v // 3), (0, 0))
    return paper


def _glyph(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    x: int,
    y: int,
    s: int,
    fill: int | tuple[int, int, int],
) -> None:
    """A few strokes inside an s×s cell: reads as a printed Chinese character at a glance."""
    for _ in range(rng.randint(2, 4)):
        if rng.random() < 0.5:
            yy = y + rng.randint(1, s - 2)
            draw.line(
                (x + rng.randint(0, s // 3), yy, x + rng.randint(s // 2, s - 1), yy),
                fill=fill,
                width=1 + s // 14,
            )
        else:
            xx = x + rng.randint(1, s - 2)
            draw.line(
                (xx, y + rng.randint(0, s // 3), xx, y + rng.randint(s // 2, s - 1)),
                fill=fill,
                width=1 + s // 14,
            )


_STRIP_WIDTH = 960
_STRIPS_PER_SIZE = 24


@cache
def _strips(s: int) -> tuple[Image.Image, ...]:
    """Masks of whole lines of glyphs at size `s`, drawn once and cut to length when used.

    Drawing stroke by stroke costs thousands of calls a page; pasting ready lines costs fifty.
    """
    rng = random.Random(f"strips/{s}")
    out = []
    for _ in range(_STRIPS_PER_SIZE):
        mask = Image.new("L", (_STRIP_WIDTH, s + 2), 0)
        d = ImageDraw.Draw(mask)
        for i in range(_STRIP_WIDTH // (s + 2)):
            if rng.random() >= 0.06:  # punctuation gap
                _glyph(d, rng, i * (s + 2), 1, s, 255)
        out.append(mask)
    return tuple(out)


def _text_line(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    x: int,
    y: int,
    width: int,
    s: int,
    fill: int | tuple[int, int, int] = INK,
) -> None:
    strips = _strips(s)
    done = 0
    while done < width:
        part = min(width - done, _STRIP_WIDTH)
        strip = strips[rng.randrange(len(strips))]
        off = rng.randrange(0, _STRIP_WIDTH - part + 1)
        # Start at a glyph boundary so no character is cut in half.
        off -= off % (s + 2)
        draw.bitmap((x + done, y - 1), strip.crop((off, 0, off + part, s + 2)), fill=fill)
        done += part


def _paragraphs(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    box: tuple[int, int, int, int],
    s: int = 13,
    fill: int | tuple[int, int, int] = INK,
) -> int:
    """Fill `box` with indented paragraphs; returns the y below the last line."""
    x0, y, x1, y1 = box
    while y < y1 - s:
        lines = rng.randint(2, 6)
        for i in range(lines):
            if y >= y1 - s:
                break
            indent = 2 * (s + 2) if i == 0 else 0
            last = i == lines - 1
            width = (x1 - x0 - indent) if not last else rng.randint((x1 - x0) // 4, x1 - x0)
            _text_line(draw, rng, x0 + indent, y, width, s, fill)
            y += int(s * 1.9)
        y += s // 2
    return y


def _title(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    cx: int,
    y: int,
    chars: int,
    s: int = 26,
    fill: int | tuple[int, int, int] = INK,
) -> None:
    x = cx - chars * (s + 6) // 2
    for i in range(chars):
        _glyph(draw, rng, x + i * (s + 6), y, s, fill)
        _glyph(draw, rng, x + i * (s + 6) + 1, y, s, fill)  # bold: strike twice


def _table(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    box: tuple[int, int, int, int],
    rows: int,
    cols: int,
    fill: int | tuple[int, int, int] = INK,
) -> None:
    """A ruled form with a label in the first cell of every row and entries elsewhere."""
    x0, y0, x1, y1 = box
    rh = (y1 - y0) / rows
    xs = [x0, *sorted(rng.sample(range(x0 + 60, x1 - 60), cols - 1)), x1]
    for r in range(rows + 1):
        yy = int(y0 + r * rh)
        draw.line((x0, yy, x1, yy), fill=fill, width=2)
    for xx in xs:
        draw.line((xx, y0, xx, y1), fill=fill, width=2)
    for r in range(rows):
        yy = int(y0 + r * rh + rh / 2 - 7)
        for c in range(cols):
            cell_w = xs[c + 1] - xs[c] - 12
            if c == 0 or rng.random() < 0.7:
                w = cell_w if c else min(cell_w, 5 * 15)
                _text_line(draw, rng, xs[c] + 6, yy, rng.randint(min(30, w), max(30, w)), 13, fill)


def _stamp(img: Image.Image, rng: random.Random, cx: int, cy: int, r: int = 70) -> None:
    """A red official seal: double ring, star, characters around the rim, a little faded."""
    size = 2 * r + 8
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    c = size // 2
    color = (*STAMP_RED, rng.randint(150, 210))
    d.ellipse((c - r, c - r, c + r, c + r), outline=color, width=5)
    d.ellipse((c - r + 9, c - r + 9, c + r - 9, c + r - 9), outline=color, width=1)
    pts = []
    for k in range(10):
        ang = -math.pi / 2 + k * math.pi / 5
        rad = r * (0.32 if k % 2 == 0 else 0.13)
        pts.append((c + rad * math.cos(ang), c + rad * math.sin(ang)))
    d.polygon(pts, fill=color)
    for k in range(14):  # the unit's name along the rim
        ang = math.pi * (0.8 + 1.4 * k / 13)
        gx, gy = c + (r - 24) * math.cos(ang), c + (r - 24) * math.sin(ang)
        d.rectangle((gx - 5, gy - 5, gx + 5, gy + 5), outline=color, width=2)
    _text_line(d, rng, c - 36, c + r // 2 - 4, 72, 10, color[:3])
    layer = layer.filter(ImageFilter.GaussianBlur(0.8))
    img.paste(layer, (cx - c, cy - c), layer)


def _signature(draw: ImageDraw.ImageDraw, rng: random.Random, x: int, y: int) -> None:
    """A hurried handwritten name: a few connected loops in ballpoint blue."""
    pts = []
    px = x
    for _ in range(rng.randint(3, 4)):
        for t in range(14):
            ang = t / 14 * 2 * math.pi
            pts.append((px + 14 * math.sin(ang) + t * 2.2, y + 11 * math.cos(ang * 1.5)))
        px += rng.randint(30, 42)
    draw.line(pts, fill=PEN_BLUE, width=2, joint="curve")


# --- documents ------------------------------------------------------------------------------


def _page(rng: random.Random, kind: str, page_no: int) -> Image.Image:
    """One scanned page: certificate, form or prose, with stamp and signature where they go.

    The print is laid out straight, skewed as the sheet lay crooked on the glass, then multiplied
    onto the paper texture; seals and signatures go on after, at their own angles, as by hand.
    """
    w, h = PAGE_SIZE
    ink = Image.new("L", PAGE_SIZE, 255)
    d = ImageDraw.Draw(ink)
    black: int | tuple[int, int, int] = INK[0]
    marks: list[tuple[str, int, int, int]] = []
    if kind == "form":
        _title(d, rng, w // 2, 90, rng.randint(7, 12), fill=black)
        _table(d, rng, (70, 170, w - 70, h - 260), rng.randint(9, 15), rng.randint(3, 5), black)
        _text_line(d, rng, 90, h - 220, 200, 13, black)
        marks += [("sign", 300, h - 212, 0), ("stamp", w - 230, h - 190, 70)]
    elif kind == "certificate":
        d.rectangle((50, 50, w - 50, h - 50), outline=110, width=10)
        d.rectangle((70, 70, w - 70, h - 70), outline=110, width=2)
        _title(d, rng, w // 2, 160, rng.randint(4, 7), 40, black)
        _paragraphs(d, rng, (140, 330, w - 140, 760), 17, black)
        d.rectangle((150, 800, 290, 980), outline=black, width=2)  # photo box
        d.rectangle((156, 806, 284, 974), fill=118)
        marks.append(("stamp", w - 260, 900, 80))
    else:  # prose: article, report or certificate of study
        if page_no == 0:
            _title(d, rng, w // 2, 80, rng.randint(8, 16), fill=black)
            _text_line(d, rng, w // 2 - 90, 130, 180, 13, black)
            _paragraphs(d, rng, (90, 180, w - 90, h - 90), fill=black)
        else:
            _paragraphs(d, rng, (90, 90, w - 90, h - 90), fill=black)
        d.text((w // 2 - 6, h - 60), str(page_no + 1), fill=black)
        if rng.random() < 0.3:
            marks.append(("stamp", w - 200, h - 220, 70))
    # Nearest-neighbour keeps the cost low; cheap office scanners jag their edges the same way.
    ink = ink.rotate(rng.uniform(-1.6, 1.6), resample=Image.Resampling.NEAREST, fillcolor=255)
    img = ImageChops.multiply(_paper(PAGE_SIZE, rng.choice((-6, 0, 4))), ink).convert("RGB")
    for what, x, y, r in marks:
        if what == "stamp":
            _stamp(img, rng, x + rng.randint(-15, 15), y + rng.randint(-15, 15), r)
        else:
            _signature(ImageDraw.Draw(img), rng, x, y)
    return img


def scanned_pdf(rng: random.Random, pages: int, kind: str) -> bytes:
    """An image-only PDF: each page one JPEG (DCTDecode) image, as a copier writes it."""
    images = [
        _page(
            rng,
            "certificate"
            if kind == "certificate" and i == 0
            else ("form" if kind == "form" else "prose"),
            i,
        )
        for i in range(pages)
    ]
    return copier_pdf(images, quality=rng.randint(55, 72))


def copier_pdf(images: list[Image.Image], *, quality: int) -> bytes:
    """An image-only PDF, one JPEG page per image, dated and named as a copier writes it."""
    buf = io.BytesIO()
    stamp = time.gmtime(FIXED_EPOCH)
    images[0].save(
        buf,
        "PDF",
        save_all=True,
        append_images=images[1:],
        resolution=PAGE_DPI,
        quality=quality,
        creationDate=stamp,
        modDate=stamp,
        producer="Scan2PDF",
    )
    return buf.getvalue()


def _exif(orientation: int, shot_at: str) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "HUAWEI"
    exif[0x0110] = "ELS-AN00"
    exif[0x0132] = shot_at
    if orientation != 1:
        exif[0x0112] = orientation
    return exif.tobytes()


def _tone(offset: int) -> Callable[[int], int]:
    """A lookup for one colour channel of a wooden desk lit from one side."""
    return lambda v: 70 + offset + v // 4


def phone_photo(rng: random.Random, fmt: str) -> bytes:
    """A certificate photographed on a desk: tilted, uneven light, sometimes sideways.

    A quarter carry an EXIF orientation (the pixels are stored sideways and the tag says how to
    turn them); a few are simply taken sideways with no tag, as reviewers also see.
    """
    w, h = (1600, 1200) if fmt == JPEG else (1024, 768)
    desk = Image.linear_gradient("L").resize((w, h)).rotate(rng.choice([0, 90, 180]))
    desk_rgb = Image.merge("RGB", [desk.point(_tone(o)) for o in (40, 25, 10)])
    cert = Image.new("RGB", (900, 640), (246, 242, 230))
    d = ImageDraw.Draw(cert)
    border = rng.choice([(160, 40, 40), (150, 110, 60), (40, 90, 60)])
    d.rectangle((12, 12, 887, 627), outline=border, width=14)
    d.rectangle((36, 36, 863, 603), outline=border, width=2)
    _title(d, rng, 450, 70, rng.randint(4, 8), 34)
    _paragraphs(d, rng, (90, 150, 560, 560), 15)
    d.rectangle((640, 150, 790, 350), fill=(110, 112, 120))
    _stamp(cert, rng, 700, 480, 75)
    scale = (w * rng.uniform(0.62, 0.8)) / cert.width
    cert = cert.resize((int(cert.width * scale), int(cert.height * scale)))
    cert = cert.rotate(rng.uniform(-9, 9), expand=True, fillcolor=(0, 0, 0))
    mask = cert.convert("L").point(lambda v: 255 if v > 0 else 0)
    desk_rgb.paste(
        cert,
        (
            (w - cert.width) // 2 + rng.randint(-60, 60),
            (h - cert.height) // 2 + rng.randint(-40, 40),
        ),
        mask,
    )
    light = Image.radial_gradient("L").resize((w, h))
    photo = Image.composite(
        desk_rgb, Image.eval(desk_rgb, lambda v: v * 3 // 4), Image.eval(light, lambda v: 255 - v)
    )
    grain = _noise(rng, (w // 2, h // 2)).resize((w, h)).convert("RGB")
    photo = Image.blend(photo, grain, 0.03)
    shot_at = f"2024:0{rng.randint(1, 6)}:{rng.randint(10, 28)} {rng.randint(8, 18)}:12:40"
    orientation = 1
    roll = rng.random()
    if roll < 0.25:
        orientation = rng.choice([6, 8])
        # The camera stores the sensor's landscape pixels; the tag asks viewers to turn them.
        photo = photo.rotate(90 if orientation == 6 else -90, expand=True)
    elif roll < 0.33:
        photo = photo.rotate(90, expand=True)
    buf = io.BytesIO()
    if fmt == JPEG:
        photo.save(buf, "JPEG", quality=rng.randint(78, 88), exif=_exif(orientation, shot_at))
    else:
        photo.save(buf, "PNG", compress_level=1, exif=_exif(orientation, shot_at))
    return buf.getvalue()


def screenshot(rng: random.Random) -> bytes:
    """A phone screenshot of an online record (学时证明, 学信网 查询): flat colours, PNG."""
    w, h = 720, 1520
    img = Image.new("RGB", (w, h), (245, 246, 248))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, w, 130), fill=rng.choice([(24, 102, 190), (200, 40, 40), (20, 140, 110)]))
    _text_line(d, rng, 220, 70, 280, 22, (255, 255, 255))
    y = 170
    for _ in range(rng.randint(5, 8)):
        d.rounded_rectangle((24, y, w - 24, y + 150), 14, fill=(255, 255, 255))
        _text_line(d, rng, 48, y + 24, rng.randint(200, 500), 18)
        _text_line(d, rng, 48, y + 66, rng.randint(200, 600), 15, (110, 110, 120))
        _text_line(d, rng, 48, y + 102, rng.randint(120, 300), 15, (110, 110, 120))
        y += 170
    for qy in range(12):  # a verification code block
        for qx in range(12):
            if rng.random() < 0.5:
                d.rectangle(
                    (w - 180 + qx * 12, h - 200 + qy * 12, w - 169 + qx * 12, h - 189 + qy * 12),
                    fill=INK,
                )
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=False)
    return buf.getvalue()


# --- text PDFs --------------------------------------------------------------------------------


def text_pdf(title: str, lines: list[str], *, footer: str = "") -> bytes:
    """A born-digital PDF with real Chinese text (学历备案表, 学时证明, 业绩成果对照表 …).

    The font is embedded (a subset of Noto Sans SC), so the page renders without CJK fonts.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from zcreview.cjkfont import FILL_STROKE, pdf_stroke, register_pdf_font

    font = register_pdf_font()
    buf = io.BytesIO()
    # invariant=1: no creation time or random document id, so equal input gives equal bytes.
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle(title)
    width, height = A4
    y = height - 80

    def use(size: float) -> None:
        c.setFont(font, size)
        c.setLineWidth(pdf_stroke(size))

    use(18)
    c.drawCentredString(width / 2, y, title, mode=FILL_STROKE)
    y -= 40
    use(11)
    for line in lines:
        for chunk in _wrap(line, 42):
            if y < 70:
                c.showPage()
                use(11)
                y = height - 70
            c.drawString(60, y, chunk, mode=FILL_STROKE)
            y -= 20
    if footer:
        use(9)
        c.drawString(60, 40, footer, mode=FILL_STROKE)
    c.showPage()
    c.save()
    return buf.getvalue()


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


# --- the pool -------------------------------------------------------------------------------


class AttachmentPool:
    """Files drawn on demand and kept: same seed and spec, same bytes."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._files: dict[Source, bytes] = {}

    def __len__(self) -> int:
        return len(self._files)

    def get(self, spec: Source) -> bytes:
        if isinstance(spec, DocSpec):
            # Personal documents are drawn once per package and not kept: no one shares them.
            from zcreview.demo.documents import draw_document

            return draw_document(spec, self.seed)
        data = self._files.get(spec)
        if data is None:
            if isinstance(spec, TextSpec):
                data = text_pdf(spec.title, list(spec.lines), footer=spec.footer)
            else:
                data = self._draw(spec)
            self._files[spec] = data
        return data

    def _draw(self, spec: FileSpec) -> bytes:
        rng = random.Random(f"{self.seed}/{spec.kind}/{spec.index}/{spec.pages}/{spec.fmt}")
        if spec.kind in ("scan", "form", "certificate"):
            return scanned_pdf(rng, spec.pages, spec.kind)
        if spec.kind == "photo":
            return phone_photo(rng, spec.fmt)
        if spec.kind == "screenshot":
            return screenshot(rng)
        raise ValueError(f"unknown attachment kind {spec.kind!r}")
