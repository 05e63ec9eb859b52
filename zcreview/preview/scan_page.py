"""The scanned-page fast path: a PDF page that is one full-page JPEG is decoded without rendering.

A scan with an invisible OCR layer paints one image and some render-mode-3 text; reading its
content stream tells whether the page is just that picture, and then Pillow decodes the JPEG
downscaled, far faster than pdfium renders it.
"""

from __future__ import annotations

import re
from typing import Any, Final

import pypdf
from PIL import Image
from pypdf.generic import ArrayObject, DictionaryObject, StreamObject

from zcreview.preview.images import open_pil

# Beyond this a content stream is not "a scan with an OCR layer"; let the renderer handle it.
MAX_FASTPATH_CONTENT: Final = 256 * 1024
_TEXT_BLOCK = re.compile(rb"\bBT\b(.*?)\bET\b", re.S)
_TOKEN = re.compile(rb"/[^\s/\[\]()<>{}%]+|[-+]?(?:\d+\.?\d*|\.\d+)|[A-Za-z'\"*]+|\S")
_NUMBER = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)")

# Graphics-state operators that do not change how an image is painted.
_HARMLESS_OPS: Final = frozenset({b"gs", b"ri", b"i", b"w", b"J", b"j", b"M"})
Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: Final[Matrix] = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _mul(m: Matrix, n: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    )


def single_image_placement(content: bytes) -> tuple[str, Matrix] | None:
    """If a content stream only paints one image (plus invisible OCR text), return its name and CTM."""
    for block in _TEXT_BLOCK.finditer(content):
        # OCR layers are drawn with render mode 3 (invisible); visible text needs the renderer.
        if b"3 Tr" not in block.group(1):
            return None
    rest = _TEXT_BLOCK.sub(b" ", content)
    ctm = _IDENTITY
    stack: list[Matrix] = []
    operands: list[bytes] = []
    found: tuple[str, Matrix] | None = None
    for token in _TOKEN.findall(rest):
        if token.startswith(b"/") or _NUMBER.fullmatch(token):
            operands.append(token)
            continue
        if token == b"q":
            stack.append(ctm)
        elif token == b"Q":
            ctm = stack.pop() if stack else _IDENTITY
        elif token == b"cm":
            if len(operands) != 6:
                return None
            values = [float(v) for v in operands]
            ctm = _mul((values[0], values[1], values[2], values[3], values[4], values[5]), ctm)
        elif token == b"Do":
            if found is not None or len(operands) != 1 or not operands[0].startswith(b"/"):
                return None
            found = (operands[0].decode("latin-1"), ctm)
        elif token not in _HARMLESS_OPS:
            return None
        operands = []
    return found


def _covers_page(ctm: Matrix, box: tuple[float, float, float, float]) -> bool:
    a, b, c, d, e, f = ctm
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    if width <= 0 or height <= 0 or a <= 0 or d <= 0:
        return False
    if abs(b) > 1e-3 * a or abs(c) > 1e-3 * d:
        return False
    tol_x, tol_y = 0.03 * width, 0.03 * height
    return (
        abs(e - x0) <= tol_x
        and abs(f - y0) <= tol_y
        and abs(e + a - x1) <= tol_x
        and abs(f + d - y1) <= tol_y
    )


def resolve(obj: Any) -> Any:
    """Follow an indirect reference (pypdf's types say little about what a key holds)."""
    return obj.get_object() if obj is not None and hasattr(obj, "get_object") else obj


def subdict(parent: Any, key: str) -> DictionaryObject | None:
    value = resolve(parent.get(key)) if isinstance(parent, DictionaryObject) else None
    return value if isinstance(value, DictionaryObject) else None


def _plain_colour_space(space: Any) -> bool:
    space = space.get_object() if hasattr(space, "get_object") else space
    if space in ("/DeviceRGB", "/DeviceGray"):
        return True
    if isinstance(space, ArrayObject) and len(space) == 2 and space[0] == "/ICCBased":
        profile = space[1].get_object()
        return isinstance(profile, DictionaryObject) and profile.get("/N") in (1, 3)
    return False


def scan_jpeg(page: pypdf.PageObject) -> bytes | None:
    """Return the JPEG bytes of a page that is exactly one full-page DCT image, else None."""
    contents = page.get_contents()
    if contents is None:
        return None
    raw = contents.get_data()
    if len(raw) > MAX_FASTPATH_CONTENT:
        return None
    placement = single_image_placement(raw)
    if placement is None:
        return None
    name, ctm = placement
    box = page.cropbox
    if not _covers_page(
        ctm, (float(box.left), float(box.bottom), float(box.right), float(box.top))
    ):
        return None
    image = subdict(subdict(page, "/Resources"), "/XObject")
    image = subdict(image, name)
    if image is None or image.get("/Subtype") != "/Image":
        return None
    filters = resolve(image.get("/Filter"))
    if isinstance(filters, ArrayObject):
        filters = filters[0] if len(filters) == 1 else None
    if filters != "/DCTDecode":
        return None
    # Masks, decode arrays, CMYK and palettes change the picture in ways a plain JPEG decode
    # would get wrong; those pages go to the renderer.
    if any(key in image for key in ("/SMask", "/Mask", "/Decode", "/ImageMask")):
        return None
    if image.get("/BitsPerComponent", 8) != 8 or not _plain_colour_space(image.get("/ColorSpace")):
        return None
    if not isinstance(image, StreamObject):
        return None
    data = image.get_data()
    return data if data.startswith(b"\xff\xd8") else None


def page_box_size(page: pypdf.PageObject) -> tuple[float, float]:
    box = page.cropbox
    return float(box.width), float(box.height)


def decode_scan(
    jpeg: bytes, page_size: tuple[float, float], rotation: int, max_px: int
) -> Image.Image | None:
    """Decode a scanned page's JPEG downscaled, stretched to the page box and turned by /Rotate."""
    img = open_pil(jpeg)
    if img.format != "JPEG" or img.mode not in ("RGB", "L"):
        return None
    width, height = page_size
    scale = max_px / max(width, height)
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    img.draft(img.mode, target)
    img.load()
    if img.size != target:
        img = img.resize(target, Image.Resampling.LANCZOS, reducing_gap=2.0)
    # /Rotate turns the page clockwise for display; Pillow's ROTATE_n turn anticlockwise.
    turn = {
        90: Image.Transpose.ROTATE_270,
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_90,
    }.get(rotation % 360)
    return img.transpose(turn) if turn is not None else img
