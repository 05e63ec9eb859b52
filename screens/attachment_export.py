"""Save an attachment's original file under the office's exports/ and open it where a desktop is.

A terminal cannot show a whole scan legibly; the original file can be read in a real viewer.
Over SSH there is no local screen to open it on, so the path is shown instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from zcreview.preview.sniff import MIME_GIF, MIME_JPEG, MIME_PDF, MIME_PNG, SNIFF_BYTES, sniff_mime
from zcreview.screens.blob_source import make_blob_reader
from zcreview.screens.review_services import ReviewServices

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
_EXTENSIONS = {MIME_PDF: ".pdf", MIME_JPEG: ".jpg", MIME_PNG: ".png", MIME_GIF: ".gif"}


@dataclass(frozen=True, slots=True)
class Saved:
    """Where the file went (None: it could not be saved) and what to tell the reviewer."""

    path: Path | None
    message: str
    opened: bool = False


def safe_name(name: str, sha: str, data: bytes = b"") -> str:
    """A file name that is safe on every file system, keeping the applicant's name readable,
    with the extension its content calls for (a viewer chooses by it)."""
    cleaned = _UNSAFE.sub("_", name).strip(" .")[:120] or f"附件-{sha[:12]}"
    extension = _EXTENSIONS.get(sniff_mime(data[:SNIFF_BYTES]) or "", "")
    if extension and not cleaned.lower().endswith(extension):
        cleaned += extension
    return cleaned


def local_display(env: Mapping[str, str] | None = None) -> bool:
    """A desktop on this machine (not a session over SSH) on which a viewer can open."""
    env = os.environ if env is None else env
    if env.get("SSH_CONNECTION") or env.get("SSH_TTY") or env.get("SSH_CLIENT"):
        return False
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def _target(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    stem, suffix = path.stem, path.suffix
    number = 2
    while path.exists():
        if path.read_bytes() == data:
            return path  # saved before: the same file, not a second copy
        path = folder / f"{stem}-{number}{suffix}"
        number += 1
    return path


def save_attachment(
    services: ReviewServices, sha: str, name: str, *, open_viewer: bool | None = None
) -> Saved:
    """Write the attachment's exact bytes to `exports/`; open it when there is a local display."""
    try:
        data = make_blob_reader(services)(sha)
    except Exception:
        return Saved(None, f"无法读取附件“{name}”：文件缺失或尚未取回")
    try:
        folder = services.exports_dir()
        path = _target(folder, safe_name(name, sha, data), data)
        if not path.exists():
            path.write_bytes(data)
    except OSError as exc:
        return Saved(None, f"无法保存附件“{name}”：{exc.strerror or exc}")
    should_open = local_display() if open_viewer is None else open_viewer
    opener = shutil.which("xdg-open") if should_open else None
    if opener is None:
        return Saved(path, f"已另存附件：{path}")
    try:
        subprocess.Popen(
            [opener, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        return Saved(path, f"已另存附件：{path}（无法用系统程序打开）")
    return Saved(path, f"已另存并用系统程序打开：{path}", opened=True)
