"""Validate an opened package: JSON, the model, the catalogue and every named attachment."""

from __future__ import annotations

import posixpath
import re
import unicodedata
from typing import TYPE_CHECKING

from zcreview.domain.model import Application, iter_attachments
from zcreview.domain.text import clean_text
from zcreview.intake.clean import Validated, clean_application
from zcreview.intake.filecheck import check_pdf
from zcreview.intake.package import Package
from zcreview.intake.problems import APPLICATION_JSON, WHOLE_FILE, Problem, safe_text
from zcreview.preview.sniff import sniff_mime

if TYPE_CHECKING:
    from zcreview.domain.catalogue import Config

DEFAULT_MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_PROBLEMS = 100

ALLOWED_MIMES = frozenset({"application/pdf", "image/jpeg", "image/png", "image/gif"})
"""ATT-TYPE (004 §6.2, 002 §三): PDF, JPG, PNG and GIF, recognised by content."""

_SUFFIX_MIME = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
}

__all__ = ["Validated", "clean_text", "parse_application", "validate_package"]


def attachment_limit(config: Config | None) -> int:
    """ATT-SIZE in bytes: from the configured thresholds, else 5 MB (004 §6.2)."""
    if config is None:
        return DEFAULT_MAX_ATTACHMENT_BYTES
    return config.thresholds.attachments.max_bytes


def allowed_mimes(config: Config | None) -> frozenset[str]:
    """ATT-TYPE: the MIME types attachments may have, never wider than what we can sniff."""
    if config is None:
        return ALLOWED_MIMES
    return frozenset(config.thresholds.attachments.allowed_mime) & ALLOWED_MIMES


def validate_package(pkg: Package, config: Config | None = None) -> Validated:
    """Validate `pkg` completely; every problem found is reported, not just the first."""
    result = parse_application(pkg.json_bytes)
    if result.app is not None:
        result.problems.extend(check_catalogue(result.app, config))
        problems, warnings, notes = check_attachments(result.app, pkg, config)
        result.problems.extend(problems)
        result.warnings.extend(warnings)
        result.file_notes.update(notes)
    if len(result.problems) > MAX_PROBLEMS:
        extra = len(result.problems) - MAX_PROBLEMS
        result.problems = result.problems[:MAX_PROBLEMS]
        result.problems.append(
            Problem(APPLICATION_JSON, WHOLE_FILE, f"……另有 {extra} 个问题未列出")
        )
    return result


def parse_application(data: bytes) -> Validated:
    """Parse and validate `application.json` bytes into an Application (attachments unfilled)."""
    return clean_application(data, file=APPLICATION_JSON)


def check_catalogue(app: Application, config: Config | None) -> list[Problem]:
    """申报系列, 申报级别 and 申报职称 must be in the catalogue and agree (domain.md §5)."""
    if config is None:
        return []
    cat = config.catalogue
    b = app.basic
    if cat.get_series(b.series) is None:
        return [
            Problem(
                APPLICATION_JSON, "basic.series", f"申报系列 {safe_text(b.series, 40)} 不在目录中"
            )
        ]
    if cat.is_consistent(b.series, b.level, b.title):
        return []
    titles = cat.titles_for(b.series, b.level)
    if not titles:
        return [
            Problem(
                APPLICATION_JSON,
                "basic.level",
                f"系列 {safe_text(b.series, 40)} 没有 {b.level} 职称",
            )
        ]
    return [
        Problem(
            APPLICATION_JSON,
            "basic.title",
            f"申报职称 {safe_text(b.title, 40)} 与 {safe_text(b.series, 40)}·{b.level} 不符"
            f"（应为 {'、'.join(titles)}）",
        )
    ]


def normalise_ref(name: str) -> str | None:
    """A package path as named in application.json, in the form the package reader uses.

    Windows users write backslashes; a reference is only a name, so they are accepted here.
    Returns None for a reference that would leave the package.
    """
    name = unicodedata.normalize("NFC", name.replace("\\", "/"))
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return posixpath.join(*parts)


def check_attachments(
    app: Application, pkg: Package, config: Config | None
) -> tuple[list[Problem], list[str], dict[str, str]]:
    """ATT-TYPE and ATT-SIZE on every named file; fills sha256/size/mime on the references.

    Returns the problems, the warnings and the notes on accepted files (by SHA-256).
    """
    limit = attachment_limit(config)
    mimes = allowed_mimes(config)
    problems: list[Problem] = []
    warnings: list[str] = []
    notes: dict[str, str] = {}
    named: set[str] = set()
    for path, ref in iter_attachments(app):
        shown = safe_text(ref.file) or "（空文件名）"
        rel = normalise_ref(ref.file)
        if rel is None:
            problems.append(Problem(shown, f"{path}.file", "附件路径不能指向包外"))
            continue
        named.add(rel)
        pf = pkg.files.get(rel)
        if pf is None:
            problems.append(Problem(shown, f"{path}.file", "附件文件不存在"))
            continue
        if pf.size > limit:
            problems.append(
                Problem(
                    shown,
                    f"{path}.file",
                    f"附件超过 {limit / 1024 / 1024:.0f} MB（实际 {pf.size / 1024 / 1024:.1f} MB）",
                )
            )
            continue
        mime = sniff_mime(pf.head)
        if mime is None or mime not in mimes:
            kind = "空文件" if pf.size == 0 else "按内容判断不是 PDF/JPG/PNG/GIF 文件"
            problems.append(Problem(shown, f"{path}.file", kind))
            continue
        if mime == "application/pdf":
            verdict = check_pdf(pf.path, pf.sha256)
            if verdict.refusal is not None:
                problems.append(Problem(shown, f"{path}.file", verdict.refusal))
                continue
            if verdict.warning is not None:
                warnings.append(f"{shown}（{path}.file）: {verdict.warning}")
                notes[pf.sha256] = verdict.warning
        suffix = posixpath.splitext(rel)[1].lower()
        if suffix in _SUFFIX_MIME and _SUFFIX_MIME[suffix] != mime:
            warnings.append(f"{shown}: 扩展名 {suffix} 与内容（{mime}）不符，按内容处理")
        ref.file = rel
        ref.sha256, ref.size, ref.mime = pf.sha256, pf.size, mime
    warnings.extend(
        f"{safe_text(name)}: 包内文件未被 application.json 引用，未导入"
        for name in sorted(set(pkg.files) - named)
    )
    return problems, warnings, notes
