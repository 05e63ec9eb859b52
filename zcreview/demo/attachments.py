"""Attachment files as reviewers meet them: scanned image-only PDFs, phone photos, text PDFs.

Every file states something legible in Noto Sans SC: `DocSpec` pages (drawn by
`zcreview.demo.documents`, personal ones in `evidence_docs` and `other_docs`), `TextSpec`
born-digital PDFs. A `FileSpec` is the generator's placeholder for "a scan of this kind"; the
generator replaces each by a document, and the pool draws any left as a page naming what it
stands for. The pool keeps what many applicants share (a unit's 六公开监督卡, text PDFs) so it is
drawn once; same seed and spec, same bytes.
"""

from __future__ import annotations

import io
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageDraw, ImageFilter

from zcreview.cjkfont import pil_font

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
    shared: bool = False
    """One file for many applicants (a unit's 六公开监督卡): drawn once and kept by the pool."""

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


SEAL_RIM = (
    "威海市人力资源和社会保障局",
    "威海市职称改革工作领导小组",
    "山东省人力资源和社会保障厅",
    "威海市卫生健康委员会",
    "威海市教育局",
    "威海市工业和信息化局",
)
"""Offices whose seals the demo's documents carry (the name runs along the rim)."""


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
    # The issuing office's name along the upper rim, each character turned to face outwards.
    font = pil_font(max(8, r // 5))
    rim = SEAL_RIM[rng.randrange(len(SEAL_RIM))]
    for k, ch in enumerate(rim):
        ang = math.pi * (0.85 + 1.3 * k / max(1, len(rim) - 1))
        gx, gy = c + (r - 19) * math.cos(ang), c + (r - 19) * math.sin(ang)
        glyph = Image.new("L", (r // 4 + 4, r // 4 + 4), 0)
        ImageDraw.Draw(glyph).text(
            (glyph.width / 2, glyph.height / 2), ch, font=font, fill=255, anchor="mm"
        )
        glyph = glyph.rotate(-math.degrees(ang) - 90, resample=Image.Resampling.BILINEAR)
        layer.paste(color, (int(gx - glyph.width / 2), int(gy - glyph.height / 2)), glyph)
    d.text((c, c + r // 2), "专用章", font=pil_font(max(8, r // 6)), fill=color, anchor="mm")
    layer = layer.filter(ImageFilter.GaussianBlur(0.8))
    img.paste(layer, (cx - c, cy - c), layer)


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
        if isinstance(spec, DocSpec) and not spec.shared:
            # Personal documents are drawn once per package and not kept: no one shares them.
            from zcreview.demo.documents import draw_document

            return draw_document(spec, self.seed)
        data = self._files.get(spec)
        if data is None:
            if isinstance(spec, TextSpec):
                data = text_pdf(spec.title, list(spec.lines), footer=spec.footer)
            else:
                from zcreview.demo.documents import draw_document

                data = draw_document(
                    spec if isinstance(spec, DocSpec) else placeholder(spec), self.seed
                )
            self._files[spec] = data
        return data


_PLACEHOLDER_TITLES = {
    "scan": "证明材料",
    "form": "登记表",
    "certificate": "证书",
    "photo": "证书",
    "screenshot": "查询结果",
}


def placeholder(spec: FileSpec) -> DocSpec:
    """A pool file no package has described: a legible page naming what it stands for."""
    title = spec.title or _PLACEHOLDER_TITLES.get(spec.kind)
    if title is None:
        raise ValueError(f"unknown attachment kind {spec.kind!r}")
    style = {"photo": "photo", "screenshot": "screen"}.get(spec.kind, "scan")
    fmt = PNG if spec.kind == "screenshot" else spec.fmt
    pages = tuple(
        DocPage(title, (("材料编号", f"{spec.index:06d}"), ("页码", f"第{i + 1}页")))
        for i in range(spec.pages)
    )
    return DocSpec(f"pool/{spec.kind}/{spec.index}/{spec.pages}/{spec.fmt}", style, pages, fmt)
