"""How far a preview may go, and what a reviewer reads when it cannot: limits, errors, messages.

Every exception from pypdf, pdfium or Pillow is turned into a `PreviewError` with a Chinese
message (`contain`), so no caller ever shows a library's own error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Final

import pypdf
import pypdfium2 as pdfium
from PIL import Image
from pypdf.errors import (
    DependencyError,
    FileNotDecryptedError,
    LimitReachedError,
    WrongPasswordError,
)

# Limits: generous for real scans (an A3 page at 600 dpi is ~70 MP), small enough that a
# crafted file cannot make one preview allocate gigabytes.
MAX_FILE_BYTES: Final = 256 * 1024 * 1024
MAX_IMAGE_PIXELS: Final = 100_000_000
MAX_RENDER_PX: Final = 8192
MAX_TEXT_CHARS: Final = 200_000

# Decompressed bytes pypdf may produce for one stream (its own default is 75 MB).
PYPDF_STREAM_LIMIT: Final = 48_000_000


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
