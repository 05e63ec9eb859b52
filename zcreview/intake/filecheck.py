"""Minimal sanity of attachment files: a PDF must have pages; locked or damaged ones are flagged."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pypdf

from zcreview.preview.document import open_document
from zcreview.preview.failure import ErrorKind, PreviewError, pypdf_limits, quiet_pypdf_logger

MSG_NO_CONTENT = "不是有效的 PDF：只有文件头，没有内容"
MSG_NO_PAGES = "PDF 没有页面"
MSG_ENCRYPTED = "PDF 有密码保护，审核时无法预览；已导入，请核对或要求申报人上传无密码的文件"
MSG_DAMAGED = "PDF 已损坏，无法读取；已导入，请在预览中核对或要求重新上传"
MSG_REPAIRED = "PDF 结构有损坏（可修复打开），内容可能不完整；已导入，请在预览中核对"


@dataclass(frozen=True)
class FileVerdict:
    """`refusal` refuses the package; `warning` lets it in with a note for the reviewer."""

    refusal: str | None = None
    warning: str | None = None


_OK = FileVerdict()
_SEEN: dict[str, FileVerdict] = {}
"""Verdicts by SHA-256: the same scan in many packages is opened once per process."""
_SEEN_MAX = 100_000


def check_pdf(path: Path, sha256: str) -> FileVerdict:
    """Open the PDF at `path` far enough to count its pages; never raises."""
    known = _SEEN.get(sha256)
    if known is not None:
        return known
    verdict = _check(path)
    if len(_SEEN) >= _SEEN_MAX:
        _SEEN.clear()
    _SEEN[sha256] = verdict
    return verdict


def _check(path: Path) -> FileVerdict:
    try:
        data = path.read_bytes()
    except OSError:
        return FileVerdict(warning=MSG_DAMAGED)
    quiet_pypdf_logger()
    try:
        with pypdf_limits():
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
                return FileVerdict(warning=MSG_ENCRYPTED)
            pages = len(reader.pages)
    except Exception:  # pypdf gives up on files pdfium can still repair: let the preview judge
        return _check_tolerantly(data, path.name)
    return FileVerdict(refusal=MSG_NO_PAGES) if pages <= 0 else _OK


def _check_tolerantly(data: bytes, name: str) -> FileVerdict:
    try:
        doc = open_document(data, name)
    except PreviewError as exc:
        if exc.kind is ErrorKind.ENCRYPTED:
            return FileVerdict(warning=MSG_ENCRYPTED)
        if exc.kind is ErrorKind.NOT_PDF:
            return FileVerdict(refusal=MSG_NO_CONTENT)
        if exc.detail == "no pages":
            return FileVerdict(refusal=MSG_NO_PAGES)
        return FileVerdict(warning=MSG_DAMAGED)
    except Exception:
        return FileVerdict(warning=MSG_DAMAGED)
    try:
        return FileVerdict(warning=MSG_REPAIRED) if doc.info.repaired else _OK
    finally:
        doc.close()
