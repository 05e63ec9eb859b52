"""Attachment type by content (magic bytes), never by file name (ATT-TYPE)."""

from __future__ import annotations

MIME_PDF = "application/pdf"
MIME_JPEG = "image/jpeg"
MIME_PNG = "image/png"
MIME_GIF = "image/gif"
ALLOWED_MIMES = frozenset({MIME_PDF, MIME_JPEG, MIME_PNG, MIME_GIF})
SNIFF_BYTES = 1024


def sniff_mime(head: bytes) -> str | None:
    """The MIME type the first bytes of a file announce, or None if not PDF/JPEG/PNG/GIF.

    PDF readers accept a header anywhere in the first kilobyte, so we do too.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return MIME_JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MIME_PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return MIME_GIF
    if b"%PDF-" in head[:SNIFF_BYTES]:
        return MIME_PDF
    return None
