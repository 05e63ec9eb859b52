"""Field paths into an application (`assessments[2].grade`): parse, label in Chinese, contain."""

from __future__ import annotations

import re
import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from zcreview.domain.model import SECTIONS, Application, field_label

_TOKEN_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
_SECTION_LABELS = dict(SECTIONS)
# Fields whose description is missing or does not start with a usable label.
_EXTRA_LABELS = {
    "attachments": "附件",
    "method_attachments": "申报方式附件",
    "entrust_attachments": "委托评审证明材料",
    "societies_attachments": "学术团体/社会兼职附件",
    "other_attachments": "六公开监督卡及其他附件",
    "full_time": "全日制学历",
    "basis": "评审依据学历",
    "foreign_language": "外语",
    "computer": "计算机",
    "name": "名称",
    "file": "文件",
    "kind": "附件类别",
    "sha256": "文件内容",
}
SEPARATOR = " > "
"""Joins the parts of a label; ASCII so that ambiguous-width terminals keep alignment."""


def parse_path(path: str) -> list[str | int]:
    """`assessments[2].grade` → `["assessments", 2, "grade"]`. Raises ValueError if malformed."""
    parts: list[str | int] = []
    pos = 0
    for m in _TOKEN_RE.finditer(path):
        gap = path[pos : m.start()]
        if gap not in ("", ".") or (gap == "." and not parts):
            raise ValueError(f"字段路径格式有误: {path!r}")
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if pos != len(path):
        raise ValueError(f"字段路径格式有误: {path!r}")
    return parts


def format_path(parts: list[str | int]) -> str:
    """The inverse of `parse_path`."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside `X`, `X | None` or `list[X]`, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = get_origin(annotation)
    if origin in (list, Union, types.UnionType):
        for arg in get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def label_for_path(path: str) -> str:
    """A reviewer-readable Chinese label: `assessments[2].grade` → `任现职以来考核 > 第3条 > 考核等次`.

    Unknown names are kept as written, so a label never fails.
    """
    if not path:
        return "整份申报"
    try:
        parts = parse_path(path)
    except ValueError:
        return path
    labels: list[str] = []
    model: type[BaseModel] | None = Application
    for i, part in enumerate(parts):
        if isinstance(part, int):
            previous = parts[i - 1] if i else ""
            files = isinstance(previous, str) and previous.endswith("attachments")
            labels.append(f"第{part + 1}个" if files else f"第{part + 1}条")
            continue
        if i == 0 and part in _SECTION_LABELS:
            labels.append(_SECTION_LABELS[part])
        elif part in _EXTRA_LABELS and (
            model is None
            or part not in model.model_fields
            or not model.model_fields[part].description
        ):
            labels.append(_EXTRA_LABELS[part])
        elif model is not None and part in model.model_fields:
            labels.append(field_label(model, part))
        else:
            labels.append(part)
        if model is not None and part in model.model_fields:
            model = _model_in(model.model_fields[part].annotation)
        else:
            model = None
    return SEPARATOR.join(labels)


def is_under(path: str, prefix: str) -> bool:
    """True if `path` is `prefix` or lies inside it (`a[1].b` is under `a`, `a[1]`, `a[1].b`).

    The empty prefix stands for the whole application.
    """
    if not prefix or path == prefix:
        return True
    return path.startswith(prefix) and path[len(prefix)] in ".["


def item_scope(path: str) -> str:
    """What a returned item lets the applicant change.

    An item pointing at one attachment covers the whole attachment list of its row: answering
    "附件不清晰" may mean replacing one scan by two, and the platform returns rows, not files.
    """
    m = re.search(r"(^|\.)(\w*attachments)\[\d+\]$", path)
    if m:
        return path[: m.end(2)]
    return path
