"""Open PDF and image attachments as pages with images, text and flags; every failure is contained."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import Any, Final, Literal, cast

import pypdf
import pypdfium2 as pdfium
from PIL import Image
from pypdf.generic import DictionaryObject

from zcreview.preview.failure import (
    MAX_FILE_BYTES,
    MSG_DAMAGED,
    MSG_EMPTY_PDF,
    MSG_ENCRYPTED,
    MSG_FILE_TOO_LARGE,
    MSG_NOT_IMAGE,
    MSG_NOT_PDF,
    MSG_PAGE_RANGE,
    MSG_PERMISSIONS_ONLY,
    MSG_REPAIRED,
    MSG_TEXT_FAILED,
    MSG_UNSUPPORTED,
    MSG_WRONG_PASSWORD,
    ErrorKind,
    PreviewError,
    contain,
    pypdf_limits,
    quiet_pypdf_logger,
)
from zcreview.preview.images import (
    PageRender,
    clamp_px,
    decode_image,
    open_pil,
)
from zcreview.preview.page_text import (
    PageText,
    make_page_text,
)
from zcreview.preview.scan_page import (
    MAX_FASTPATH_CONTENT,
    decode_scan,
    page_box_size,
    resolve,
    scan_jpeg,
    single_image_placement,
    subdict,
)
from zcreview.preview.sniff import MIME_GIF, MIME_JPEG, MIME_PDF, MIME_PNG, SNIFF_BYTES, sniff_mime

# pdfium is not thread-safe: every call into it goes through this lock.
_PDFIUM_LOCK: Final = threading.RLock()

_IMAGE_MIMES: Final = frozenset({MIME_JPEG, MIME_PNG, MIME_GIF})

DocKind = Literal["pdf", "image"]


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
        max_px = clamp_px(max_px)
        if self._reader is not None:
            try:
                with pypdf_limits():
                    pdf_page = self._reader.pages[page]
                    jpeg = scan_jpeg(pdf_page)
                    if jpeg is not None:
                        img = decode_scan(jpeg, page_box_size(pdf_page), pdf_page.rotation, max_px)
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
    resources = subdict(page, "/Resources")
    has_fonts = bool(subdict(resources, "/Font"))
    xobjects = subdict(resources, "/XObject")
    if not has_fonts and xobjects is not None:
        # Fonts may sit one level down, in form XObjects (common in generated forms).
        for ref in list(xobjects.values())[:32]:
            sub = resolve(ref)
            if (
                isinstance(sub, DictionaryObject)
                and sub.get("/Subtype") == "/Form"
                and subdict(subdict(sub, "/Resources"), "/Font")
            ):
                has_fonts = True
                break
    contents = page.get_contents()
    raw = contents.get_data() if contents is not None else b""
    one_image = len(raw) <= MAX_FASTPATH_CONTENT and single_image_placement(raw) is not None
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
        img = open_pil(data)
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
