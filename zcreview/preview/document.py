"""Open PDF and image attachments as pages with images, text and flags; every failure is contained."""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, Literal, cast

import pypdf
import pypdfium2 as pdfium
from PIL import Image, ImageFile, ImageOps
from pypdf.errors import (
    DependencyError,
    FileNotDecryptedError,
    LimitReachedError,
    WrongPasswordError,
)
from pypdf.generic import ArrayObject, DictionaryObject, StreamObject

from zcreview.preview.sniff import MIME_GIF, MIME_JPEG, MIME_PDF, MIME_PNG, SNIFF_BYTES, sniff_mime

# Limits: generous for real scans (an A3 page at 600 dpi is ~70 MP), small enough that a
# crafted file cannot make one preview allocate gigabytes.
MAX_FILE_BYTES: Final = 256 * 1024 * 1024
MAX_IMAGE_PIXELS: Final = 100_000_000
MAX_RENDER_PX: Final = 8192
MAX_TEXT_CHARS: Final = 200_000
# Decompressed bytes pypdf may produce for one stream (its own default is 75 MB).
PYPDF_STREAM_LIMIT: Final = 48_000_000
# Beyond this a content stream is not "a scan with an OCR layer"; let the renderer handle it.
_MAX_FASTPATH_CONTENT: Final = 256 * 1024

# pdfium is not thread-safe: every call into it goes through this lock.
_PDFIUM_LOCK: Final = threading.RLock()
# Pillow's truncated-image switch is process-global; flip it only under this lock.
_TRUNCATED_LOCK: Final = threading.Lock()

_PIL_FORMATS: Final = ("JPEG", "PNG", "GIF")
_IMAGE_MIMES: Final = frozenset({MIME_JPEG, MIME_PNG, MIME_GIF})

DocKind = Literal["pdf", "image"]


class ErrorKind(StrEnum):
    """Why a preview failed; tests and the UI branch on this, users read the message."""

    ENCRYPTED = "encrypted"
    DAMAGED = "damaged"
    NOT_PDF = "not_pdf"
    NOT_IMAGE = "not_image"
    UNSUPPORTED = "unsupported"
    TRUNCATED = "truncated"
    TIMEOUT = "timeout"
    TOO_LARGE = "too_large"
    PAGE_RANGE = "page_range"
    MISSING = "missing"


class PreviewError(Exception):
    """A preview could not be produced; ``message_zh`` is what the reviewer reads."""

    def __init__(
        self, message_zh: str, kind: ErrorKind = ErrorKind.DAMAGED, detail: str = ""
    ) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh
        self.kind = kind
        # The technical cause in English, for logs; never shown as the main message.
        self.detail = detail

    def __reduce__(self) -> tuple[type[PreviewError], tuple[str, ErrorKind, str]]:
        # Keep kind and detail when the error crosses a process boundary.
        return (PreviewError, (self.message_zh, self.kind, self.detail))

    def __str__(self) -> str:
        return self.message_zh


MSG_ENCRYPTED: Final = "加密文件需要密码，无法预览"
MSG_WRONG_PASSWORD: Final = "密码不正确，无法打开加密文件"
MSG_NO_CRYPTO: Final = "无法解密该文件（缺少解密组件）"
MSG_DAMAGED: Final = "文件已损坏，无法读取"
MSG_NOT_PDF: Final = "不是PDF文件（文件内容与扩展名不符）"
MSG_EMPTY_PDF: Final = "不是有效的PDF文件（只有文件头，没有内容）"
MSG_NOT_IMAGE: Final = "不是有效的图像文件"
MSG_UNSUPPORTED: Final = "不支持的文件类型（只能预览 PDF、JPEG、PNG、GIF）"
MSG_TRUNCATED: Final = "图像被截断（文件不完整）"
MSG_TRUNCATED_PARTIAL: Final = "图像被截断（文件不完整），只显示了部分内容"
MSG_TIMEOUT: Final = "解码超时，文件可能过于复杂或已损坏"
MSG_FILE_TOO_LARGE: Final = "文件过大，无法预览"
MSG_IMAGE_TOO_LARGE: Final = "图像尺寸过大，无法预览"
MSG_LIMIT: Final = "页面数据过大，超出解码限制"
MSG_MEMORY: Final = "内存不足，无法解码该页"
MSG_DEEP: Final = "文件结构嵌套过深，可能已损坏"
MSG_PAGE_RANGE: Final = "页码超出范围"
MSG_REPAIRED: Final = "文件结构有损坏，已自动修复，内容可能不完整"
MSG_PERMISSIONS_ONLY: Final = "文件已加密（仅限制权限，无需密码）"
MSG_TEXT_FAILED: Final = "无法提取该页文字"
MSG_TEXT_UNRELIABLE: Final = "提取的文字可能有误（字体缺少编码映射），请以页面图像为准"
MSG_TEXT_TRUNCATED: Final = "文字过长，只显示前一部分"


@dataclass(frozen=True, slots=True)
class DocInfo:
    """What a reviewer should know about a file before reading it."""

    kind: DocKind
    mime: str
    page_count: int
    encrypted: bool = False
    # Encrypted with an empty user password: opens without asking, only permissions are set.
    permissions_only: bool = False
    # None when it could not be determined (e.g. a file only the fallback renderer could open).
    has_text_layer: bool | None = None
    # Pages are pictures (a scan or a photo): read the image, not the text.
    scanned: bool | None = None
    # The file was damaged and opened only by the tolerant renderer.
    repaired: bool = False
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PageText:
    """Text of one page and whether it can be trusted."""

    text: str
    low_quality: bool = False
    note: str | None = None


@dataclass(frozen=True, slots=True)
class PageRender:
    """A page image (mode RGB or L, longest side at most the requested size)."""

    image: Image.Image
    # "jpeg" (scan image taken straight from the PDF), "pdfium" (rendered) or "image".
    source: str
    note: str | None = None


@contextmanager
def pypdf_limits() -> Iterator[None]:
    """Tighten pypdf's decompression limits for the calls inside (context-local, thread-safe)."""
    with pypdf.apply_configuration(
        zlib_maximum_output_length=PYPDF_STREAM_LIMIT,
        lzw_maximum_output_length=PYPDF_STREAM_LIMIT,
        run_length_maximum_output_length=PYPDF_STREAM_LIMIT,
        array_based_stream_maximum_output_length=PYPDF_STREAM_LIMIT,
        image_maximum_buffer_size=PYPDF_STREAM_LIMIT,
        # Never start an external jbig2dec program from a preview; pdfium decodes JBIG2 itself.
        jbig2dec_binary=None,
        disable_legacy_handling=True,
    ):
        yield


def quiet_pypdf_logger() -> None:
    """Silence pypdf's warnings (one 117-page file logs ~1,400 of them); errors still pass."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)


def contain(exc: BaseException) -> PreviewError:
    """Translate any exception from pypdf, pdfium or Pillow into a PreviewError."""
    if isinstance(exc, PreviewError):
        return exc
    detail = f"{type(exc).__name__}: {exc}"[:500]
    if isinstance(exc, WrongPasswordError):
        return PreviewError(MSG_WRONG_PASSWORD, ErrorKind.ENCRYPTED, detail)
    if isinstance(exc, FileNotDecryptedError):
        return PreviewError(MSG_ENCRYPTED, ErrorKind.ENCRYPTED, detail)
    if isinstance(exc, DependencyError) and ("AES" in str(exc) or "cryptography" in str(exc)):
        return PreviewError(MSG_NO_CRYPTO, ErrorKind.ENCRYPTED, detail)
    if isinstance(exc, LimitReachedError):
        return PreviewError(MSG_LIMIT, ErrorKind.TOO_LARGE, detail)
    if isinstance(exc, Image.DecompressionBombError):
        return PreviewError(MSG_IMAGE_TOO_LARGE, ErrorKind.TOO_LARGE, detail)
    if isinstance(exc, MemoryError):
        return PreviewError(MSG_MEMORY, ErrorKind.TOO_LARGE, detail)
    if isinstance(exc, RecursionError):
        return PreviewError(MSG_DEEP, ErrorKind.DAMAGED, detail)
    if isinstance(exc, OSError) and "truncated" in str(exc):
        return PreviewError(MSG_TRUNCATED, ErrorKind.TRUNCATED, detail)
    if isinstance(exc, pdfium.PdfiumError) and "password" in str(exc).lower():
        return PreviewError(MSG_ENCRYPTED, ErrorKind.ENCRYPTED, detail)
    return PreviewError(MSG_DAMAGED, ErrorKind.DAMAGED, detail)


def check_pixels(size: tuple[int, int]) -> None:
    """Refuse images whose declared size would need too much memory to decode."""
    width, height = size
    if width <= 0 or height <= 0:
        raise PreviewError(MSG_DAMAGED, ErrorKind.DAMAGED, f"image size {size}")
    if width * height > MAX_IMAGE_PIXELS:
        raise PreviewError(MSG_IMAGE_TOO_LARGE, ErrorKind.TOO_LARGE, f"image size {size}")


def _clamp_px(max_px: int) -> int:
    return max(16, min(int(max_px), MAX_RENDER_PX))


# --- text quality -------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def _is_common_han(ch: str) -> bool:
    # Real Chinese/Japanese documents are almost entirely made of characters in these
    # national sets; wrong code points from a font without ToUnicode mostly are not.
    for encoding in ("gb2312", "big5", "shift_jis"):
        try:
            ch.encode(encoding)
        except UnicodeEncodeError:
            continue
        return True
    return False


def assess_text(text: str) -> tuple[bool, str | None]:
    """Return (low_quality, note) for extracted text.

    Flags text with private-use code points, replacement characters, control characters,
    Kangxi radicals or a high share of rare ideographs: the signs of a CJK font without a
    ToUnicode map, where the extracted characters are not the ones on the page.
    """
    cjk = 0
    suspicious = 0
    for ch in text:
        code = ord(ch)
        if 0x4E00 <= code <= 0x9FFF:
            cjk += 1
            if not _is_common_han(ch):
                suspicious += 1
        elif 0x3040 <= code <= 0x30FF:
            cjk += 1
        elif (
            0x3400 <= code <= 0x4DBF  # Extension A
            or 0x20000 <= code <= 0x3FFFF  # Extensions B and later
            or 0x2E80 <= code <= 0x2FDF  # radicals, which broken maps produce instead of 人
            or 0xE000 <= code <= 0xF8FF  # private use
            or code >= 0xF0000
            or code == 0xFFFD
        ):
            cjk += 1
            suspicious += 1
        elif code < 0x20 and ch not in "\n\r\t":
            suspicious += 1
            cjk += 1
    if suspicious >= 1 and suspicious * 5 >= cjk:
        return True, MSG_TEXT_UNRELIABLE
    return False, None


def make_page_text(raw: str) -> PageText:
    """Wrap extracted text: cap its length and judge its quality."""
    note = None
    if len(raw) > MAX_TEXT_CHARS:
        raw = raw[:MAX_TEXT_CHARS]
        note = MSG_TEXT_TRUNCATED
    low, quality_note = assess_text(raw)
    return PageText(raw, low, quality_note or note)


# --- images -----------------------------------------------------------------------------------


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


def _open_pil(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data), formats=_PIL_FORMATS)
    check_pixels(img.size)
    return img


def decode_image(data: bytes, max_px: int, *, allow_partial: bool = True) -> PageRender:
    """Decode JPEG/PNG/GIF bytes to an upright RGB/L image no larger than max_px a side.

    JPEGs are decoded downscaled (``draft``); EXIF orientation is applied; the first GIF frame
    is used. A truncated file raises PreviewError(TRUNCATED), or with ``allow_partial``
    returns what could be decoded with a note saying so.
    """
    max_px = _clamp_px(max_px)
    note = None
    img = _open_pil(data)
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
                img = _open_pil(data)
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


# --- scanned page fast path ------------------------------------------------------------------

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


def _resolve(obj: Any) -> Any:
    """Follow an indirect reference (pypdf's types say little about what a key holds)."""
    return obj.get_object() if obj is not None and hasattr(obj, "get_object") else obj


def _subdict(parent: Any, key: str) -> DictionaryObject | None:
    value = _resolve(parent.get(key)) if isinstance(parent, DictionaryObject) else None
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
    if len(raw) > _MAX_FASTPATH_CONTENT:
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
    image = _subdict(_subdict(page, "/Resources"), "/XObject")
    image = _subdict(image, name)
    if image is None or image.get("/Subtype") != "/Image":
        return None
    filters = _resolve(image.get("/Filter"))
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


def _page_box_size(page: pypdf.PageObject) -> tuple[float, float]:
    box = page.cropbox
    return float(box.width), float(box.height)


def decode_scan(
    jpeg: bytes, page_size: tuple[float, float], rotation: int, max_px: int
) -> Image.Image | None:
    """Decode a scanned page's JPEG downscaled, stretched to the page box and turned by /Rotate."""
    img = _open_pil(jpeg)
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


# --- documents -------------------------------------------------------------------------------


class Document:
    """An opened attachment: pages that can be drawn and read. Not safe for concurrent use."""

    def __init__(self, name: str, info: DocInfo) -> None:
        self.name = name
        self.info = info

    @property
    def kind(self) -> DocKind:
        return self.info.kind

    @property
    def page_count(self) -> int:
        return self.info.page_count

    def _check_page(self, page: int) -> None:
        if not 0 <= page < self.info.page_count:
            raise PreviewError(MSG_PAGE_RANGE, ErrorKind.PAGE_RANGE, f"page {page}")

    def render_page(self, page: int, max_px: int) -> PageRender:
        """Draw page ``page`` (0-based), longest side at most ``max_px``; raises PreviewError."""
        raise NotImplementedError

    def page_image(self, page: int, max_px: int) -> Image.Image:
        """The image of page ``page`` (0-based); raises PreviewError."""
        return self.render_page(page, max_px).image

    def text(self, page: int) -> PageText:
        """Text of page ``page`` (0-based); never raises for a readable page."""
        raise NotImplementedError

    def close(self) -> None:
        """Free native resources."""

    def __enter__(self) -> Document:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class ImageDocument(Document):
    """A JPEG, PNG or GIF: one page, no text."""

    def __init__(self, name: str, info: DocInfo, data: bytes) -> None:
        super().__init__(name, info)
        self._data = data

    def render_page(self, page: int, max_px: int) -> PageRender:
        self._check_page(page)
        try:
            return decode_image(self._data, max_px)
        except Exception as exc:
            raise contain(exc) from exc

    def text(self, page: int) -> PageText:
        self._check_page(page)
        return PageText("")


class PdfDocument(Document):
    """A PDF read with pypdf (structure, text, scan images) and drawn with pdfium."""

    def __init__(
        self,
        name: str,
        info: DocInfo,
        data: bytes,
        reader: pypdf.PdfReader | None,
        fallback: Any,
        password: str | None,
    ) -> None:
        super().__init__(name, info)
        self._data = data
        self._reader = reader
        self._pdfium_doc: Any = fallback
        self._password = password

    def _pdfium(self) -> Any:
        if self._pdfium_doc is None:
            with _PDFIUM_LOCK:
                self._pdfium_doc = pdfium.PdfDocument(self._data, password=self._password)
        return self._pdfium_doc

    def render_page(self, page: int, max_px: int) -> PageRender:
        self._check_page(page)
        max_px = _clamp_px(max_px)
        if self._reader is not None:
            try:
                with pypdf_limits():
                    pdf_page = self._reader.pages[page]
                    jpeg = scan_jpeg(pdf_page)
                    if jpeg is not None:
                        img = decode_scan(jpeg, _page_box_size(pdf_page), pdf_page.rotation, max_px)
                        if img is not None:
                            return PageRender(img, "jpeg")
            except Exception:  # anything odd in the fast path: let pdfium draw it
                pass
        try:
            return PageRender(self._render_pdfium(page, max_px), "pdfium")
        except Exception as exc:
            raise contain(exc) from exc

    def _render_pdfium(self, page: int, max_px: int) -> Image.Image:
        with _PDFIUM_LOCK:
            pdf_page = self._pdfium()[page]
            try:
                # get_size() already accounts for /Rotate, and render() honours it.
                width, height = (float(v) for v in pdf_page.get_size())
                if not (width > 0 and height > 0):
                    raise PreviewError(MSG_DAMAGED, ErrorKind.DAMAGED, "empty page box")
                bitmap = pdf_page.render(scale=max_px / max(width, height), may_draw_forms=True)
                try:
                    # Copy out of pdfium's buffer before it is freed.
                    img = cast(Image.Image, bitmap.to_pil()).convert("RGB")
                finally:
                    bitmap.close()
            finally:
                pdf_page.close()
        return img

    def text(self, page: int) -> PageText:
        self._check_page(page)
        raw: str | None = None
        if self._reader is not None:
            try:
                with pypdf_limits():
                    raw = self._reader.pages[page].extract_text()
            except Exception:
                raw = None
        if raw is None or (not raw.strip() and self.info.repaired):
            try:
                raw = self._pdfium_text(page)
            except Exception:
                return PageText("", False, MSG_TEXT_FAILED)
        return make_page_text(raw)

    def _pdfium_text(self, page: int) -> str:
        with _PDFIUM_LOCK:
            pdf_page = self._pdfium()[page]
            try:
                textpage = pdf_page.get_textpage()
                try:
                    return str(textpage.get_text_range())
                finally:
                    textpage.close()
            finally:
                pdf_page.close()

    def close(self) -> None:
        if self._pdfium_doc is not None:
            with _PDFIUM_LOCK:
                self._pdfium_doc.close()
            self._pdfium_doc = None
        self._reader = None


def _page_profile(page: pypdf.PageObject) -> tuple[bool, bool]:
    """(is one full-page image, has fonts) for deciding 'scanned' and 'has text layer'."""
    resources = _subdict(page, "/Resources")
    has_fonts = bool(_subdict(resources, "/Font"))
    xobjects = _subdict(resources, "/XObject")
    if not has_fonts and xobjects is not None:
        # Fonts may sit one level down, in form XObjects (common in generated forms).
        for ref in list(xobjects.values())[:32]:
            sub = _resolve(ref)
            if (
                isinstance(sub, DictionaryObject)
                and sub.get("/Subtype") == "/Form"
                and _subdict(_subdict(sub, "/Resources"), "/Font")
            ):
                has_fonts = True
                break
    contents = page.get_contents()
    raw = contents.get_data() if contents is not None else b""
    one_image = len(raw) <= _MAX_FASTPATH_CONTENT and single_image_placement(raw) is not None
    return one_image, has_fonts


def _open_pdf(data: bytes, name: str, password: str | None) -> PdfDocument:
    notes: list[str] = []
    reader: pypdf.PdfReader | None = None
    encrypted = permissions_only = False
    page_count = 0
    try:
        with pypdf_limits():
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                encrypted = True
                result = reader.decrypt(password or "")
                if result == pypdf.PasswordType.NOT_DECRYPTED:
                    message = MSG_WRONG_PASSWORD if password else MSG_ENCRYPTED
                    raise PreviewError(message, ErrorKind.ENCRYPTED, "user password required")
                if not password:
                    permissions_only = True
                    notes.append(MSG_PERMISSIONS_ONLY)
            page_count = len(reader.pages)
    except PreviewError:
        raise
    except Exception as exc:
        # pypdf gives up on many repairable files (bad xref, odd trailers); pdfium rebuilds them.
        first_error = contain(exc)
        if first_error.kind is ErrorKind.ENCRYPTED and "AES" not in first_error.detail:
            raise first_error from exc
        reader = None
        try:
            with _PDFIUM_LOCK:
                fallback = pdfium.PdfDocument(data, password=password)
                page_count = len(fallback)
        except Exception as exc2:
            error = contain(exc2)
            if error.kind is ErrorKind.ENCRYPTED:
                raise error from exc2
            if b"obj" not in data:
                # A header and nothing else (no objects at all) is not a PDF in any useful sense.
                raise PreviewError(MSG_EMPTY_PDF, ErrorKind.NOT_PDF, first_error.detail) from exc
            raise PreviewError(MSG_DAMAGED, ErrorKind.DAMAGED, first_error.detail) from exc
        if page_count <= 0:
            with _PDFIUM_LOCK:
                fallback.close()
            raise PreviewError(MSG_DAMAGED, ErrorKind.DAMAGED, "no pages") from exc
        notes.append(MSG_REPAIRED)
        doc = PdfDocument(
            name,
            DocInfo("pdf", MIME_PDF, page_count, encrypted, False, None, None, True, tuple(notes)),
            data,
            None,
            fallback,
            password,
        )
        sample_text = bool(doc._pdfium_text(0).strip())
        doc.info = DocInfo(
            "pdf", MIME_PDF, page_count, encrypted, False, sample_text, None, True, tuple(notes)
        )
        return doc
    if page_count <= 0:
        raise PreviewError(MSG_DAMAGED, ErrorKind.DAMAGED, "no pages")
    has_text: bool | None = None
    scanned: bool | None = None
    try:
        with pypdf_limits():
            # A sample of the first pages is enough to tell a scan from a typed document.
            profiles = [_page_profile(reader.pages[i]) for i in range(min(page_count, 3))]
        has_text = any(fonts for _, fonts in profiles)
        scanned = all(image for image, _ in profiles)
    except Exception:  # flags stay unknown; the pages may still render
        pass
    info = DocInfo(
        "pdf",
        MIME_PDF,
        page_count,
        encrypted,
        permissions_only,
        has_text,
        scanned,
        False,
        tuple(notes),
    )
    return PdfDocument(name, info, data, reader, None, password)


def _open_image(data: bytes, name: str, mime: str) -> ImageDocument:
    try:
        img = _open_pil(data)
        img.close()
    except PreviewError:
        raise
    except Image.DecompressionBombError as exc:
        raise contain(exc) from exc
    except Exception as exc:
        raise PreviewError(
            MSG_NOT_IMAGE, ErrorKind.NOT_IMAGE, f"{type(exc).__name__}: {exc}"
        ) from exc
    return ImageDocument(name, DocInfo("image", mime, 1, has_text_layer=False, scanned=True), data)


def open_document(data: bytes, name: str, password: str | None = None) -> Document:
    """Open attachment bytes as a Document; the type comes from the content, ``name`` only words errors.

    Raises PreviewError (with a Chinese message) for anything that cannot be previewed:
    encrypted without the password, damaged, not a PDF, unsupported, too large.
    """
    quiet_pypdf_logger()
    if len(data) > MAX_FILE_BYTES:
        raise PreviewError(MSG_FILE_TOO_LARGE, ErrorKind.TOO_LARGE, f"{len(data)} bytes")
    mime = sniff_mime(data[:SNIFF_BYTES])
    if mime == MIME_PDF:
        try:
            return _open_pdf(data, name, password)
        except PreviewError:
            raise
        except Exception as exc:
            raise contain(exc) from exc
    if mime in _IMAGE_MIMES:
        return _open_image(data, name, mime)
    lowered = name.lower()
    if lowered.endswith(".pdf"):
        raise PreviewError(MSG_NOT_PDF, ErrorKind.NOT_PDF, "no %PDF- header")
    if lowered.endswith((".jpg", ".jpeg", ".png", ".gif")):
        raise PreviewError(MSG_NOT_IMAGE, ErrorKind.NOT_IMAGE, "no image signature")
    raise PreviewError(MSG_UNSUPPORTED, ErrorKind.UNSUPPORTED, "unknown signature")


def open_path(path: str, password: str | None = None) -> Document:
    """Open a file on disk; see open_document."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise PreviewError("无法读取文件", ErrorKind.MISSING, str(exc)) from exc
    return open_document(data, path.rsplit("/", 1)[-1], password)
