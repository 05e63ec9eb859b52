"""Validate an opened package: JSON, the model, the catalogue and every named attachment."""

from __future__ import annotations

import json
import posixpath
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from zcreview.domain.model import Application, iter_attachments
from zcreview.intake.package import Package
from zcreview.intake.problems import APPLICATION_JSON, Problem, safe_text
from zcreview.preview.sniff import sniff_mime

if TYPE_CHECKING:
    from zcreview.domain.catalogue import Config

DEFAULT_MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_FIELD_CHARS = 20_000
MAX_PROBLEMS = 100
MAX_DEPTH = 64

# Free-text fields where line breaks and tabs are the applicant's own layout; elsewhere a line
# break in a name or a number is a pasting accident and becomes a space.
LONG_TEXT_KEYS = frozenset({"work_summary", "societies", "summary", "work", "content"})

# Terminal escape sequences are removed whole: dropping only ESC would leave `[31m` behind.
_ESCAPE_RE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC (titles, hyperlinks), BEL or ST terminated
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]"  # two-character escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAK_RE = re.compile("\r\n?|[\u2028\u2029]")
_SHORT_SPACE_RE = re.compile("[\t\n]")
# Bidi overrides/isolates/marks reorder what the reviewer sees; zero-width space and BOM hide.
_INVISIBLE_RE = re.compile("[\u061c\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")

ALLOWED_MIMES = frozenset({"application/pdf", "image/jpeg", "image/png", "image/gif"})
"""ATT-TYPE (004 §6.2, 002 §三): PDF, JPG, PNG and GIF, recognised by content."""

_SUFFIX_MIME = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
}

_JSON_MESSAGES = (
    ("Expecting value", "此处应为一个值"),
    ("Expecting ',' delimiter", "缺少逗号"),
    ("Expecting ':' delimiter", "缺少冒号"),
    ("Expecting property name enclosed in double quotes", "属性名应使用双引号"),
    ("Unterminated string starting at", "字符串没有结束"),
    ("Invalid control character at", "字符串中有未转义的控制字符"),
    ("Invalid \\escape", "无效的转义序列"),
    ("Invalid \\uXXXX escape", "无效的 \\u 转义"),
    ("Extra data", "JSON 结束后还有多余内容"),
)

_PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": "缺少必填字段",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "dict_type": "应为对象",
    "uuid_type": "应为 UUID",
    "uuid_parsing": "应为 UUID（如 1b4e28ba-2fa1-11d2-883f-0016d3cca427）",
    "date_type": "日期无效，应为 YYYY-MM 或 YYYY-MM-DD",
    "date_parsing": "日期无效，应为 YYYY-MM 或 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期无效，应为 YYYY-MM 或 YYYY-MM-DD",
    "date_from_datetime_inexact": "日期不应带时间",
    "value_error": "取值无效",
}


@dataclass
class Validated:
    """What validation found: the application (attachments filled in) or the problems."""

    app: Application | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.app is not None and not self.problems


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
    if result.app is None:
        return result
    app = result.app
    result.problems.extend(check_catalogue(app, config))
    problems, warnings = check_attachments(app, pkg, config)
    result.problems.extend(problems)
    result.warnings.extend(warnings)
    if len(result.problems) > MAX_PROBLEMS:
        extra = len(result.problems) - MAX_PROBLEMS
        result.problems = result.problems[:MAX_PROBLEMS]
        result.problems.append(Problem(APPLICATION_JSON, "", f"……另有 {extra} 个问题未列出"))
    return result


def parse_application(data: bytes) -> Validated:
    """Parse and validate `application.json` bytes into an Application (attachments unfilled)."""
    problems: list[Problem] = []
    warnings: list[str] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _refused(f"不是 UTF-8 编码（第 {exc.start + 1} 字节）")
    try:
        raw = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        return _refused(f"JSON 格式错误：第 {exc.lineno} 行第 {exc.colno} 列，{_json_message(exc)}")
    except RecursionError:
        return _refused("JSON 嵌套过深")
    except ValueError as exc:  # NaN/Infinity, or an integer of thousands of digits
        return _refused(f"JSON 取值无效：{safe_text(exc, 120)}")
    if not isinstance(raw, dict):
        return _refused("顶层应为 JSON 对象 {…}")
    if _depth(raw) > MAX_DEPTH:
        return _refused("JSON 嵌套过深")
    cleaned = _clean(raw, "", problems, warnings)
    try:
        app = Application.model_validate(cleaned)
    except ValidationError as exc:
        problems.extend(_translate(err) for err in exc.errors(include_url=False))
        return Validated(None, problems, warnings)
    if problems:
        return Validated(None, problems, warnings)
    return Validated(app, problems, warnings)


def _refused(message: str, field_: str = "") -> Validated:
    return Validated(None, [Problem(APPLICATION_JSON, field_, message)])


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # With a repeated key json keeps the last value silently; what the reviewer is shown
    # must be the only value the applicant wrote.
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"重复的键 {safe_text(key, 40)}")
        out[key] = value
    return out


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"不允许 {name}")


def _json_message(exc: json.JSONDecodeError) -> str:
    for english, chinese in _JSON_MESSAGES:
        if exc.msg.startswith(english):
            return chinese
    return safe_text(exc.msg, 120)


def _depth(value: Any) -> int:
    depth = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, d = stack.pop()
        depth = max(depth, d)
        if isinstance(item, dict):
            stack.extend((v, d + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, d + 1) for v in item)
    return depth


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _clean(value: Any, path: str, problems: list[Problem], warnings: list[str]) -> Any:
    """A copy of the parsed JSON with hostile text neutralised; too-long text is a problem."""
    if isinstance(value, dict):
        return {k: _clean(v, _join(path, k), problems, warnings) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, _join(path, i), problems, warnings) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value
    if len(value) > MAX_FIELD_CHARS:
        problems.append(
            Problem(
                APPLICATION_JSON,
                safe_text(path),
                f"文本过长（{len(value)} 字符，上限 {MAX_FIELD_CHARS}）",
            )
        )
        return value[:MAX_FIELD_CHARS]
    key = path.rsplit(".", 1)[-1]
    cleaned = clean_text(value, long_text=key in LONG_TEXT_KEYS)
    if cleaned != value:
        warnings.append(f"{safe_text(path)}: 含控制字符、终端转义或方向控制符，已去除")
    return cleaned


def clean_text(value: str, *, long_text: bool = False) -> str:
    """`value` without terminal escapes, control characters and bidi/invisible marks.

    Long text keeps its line breaks and tabs; in other fields they become spaces. Lone
    surrogates (which JSON `\\ud800` escapes can produce) are replaced: they cannot be stored.
    """
    text = _ESCAPE_RE.sub("", value)
    text = _LINE_BREAK_RE.sub("\n", text)
    if not long_text:
        text = _SHORT_SPACE_RE.sub(" ", text)
    text = _CONTROL_RE.sub("", text)
    text = _INVISIBLE_RE.sub("", text)
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _loc(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path = _join(path, part)
    return path


def _translate(err: ErrorDetails) -> Problem:
    """One pydantic error as a Chinese message on its field path."""
    kind = err["type"]
    loc = tuple(err["loc"])
    path = safe_text(_loc(loc), 120)
    value = err.get("input")
    if kind == "extra_forbidden":
        return Problem(APPLICATION_JSON, path, f"额外字段 {safe_text(loc[-1], 60)} 不允许")
    if kind == "literal_error" and loc == ("format_version",):
        return Problem(
            APPLICATION_JSON, path, f"不支持的格式版本 {safe_text(value, 20)}（本程序支持 1）"
        )
    if kind == "literal_error" and loc == ("format",):
        return Problem(APPLICATION_JSON, path, "format 应为 zcreview-application")
    if kind == "literal_error":
        expected = (
            str(err.get("ctx", {}).get("expected", "")).replace("'", "").replace(" or ", ", ")
        )
        return Problem(
            APPLICATION_JSON, path, f"取值 {safe_text(value, 40)} 无效，可选：{expected}"
        )
    if kind in ("greater_than_equal", "greater_than"):
        return Problem(APPLICATION_JSON, path, f"不能小于 {err.get('ctx', {}).get('ge', '')}")
    if kind in ("less_than_equal", "less_than"):
        return Problem(APPLICATION_JSON, path, f"不能大于 {err.get('ctx', {}).get('le', '')}")
    message = _PYDANTIC_MESSAGES.get(kind, f"取值无效（{kind}）")
    if kind != "missing" and not isinstance(value, dict | list):
        message += f"：{safe_text(value, 40)}"
    return Problem(APPLICATION_JSON, path, message)


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
) -> tuple[list[Problem], list[str]]:
    """ATT-TYPE and ATT-SIZE on every named file; fills sha256/size/mime on the references."""
    limit = attachment_limit(config)
    mimes = allowed_mimes(config)
    problems: list[Problem] = []
    warnings: list[str] = []
    named: set[str] = set()
    for path, ref in iter_attachments(app):
        shown = safe_text(ref.file)
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
        suffix = posixpath.splitext(rel)[1].lower()
        if suffix in _SUFFIX_MIME and _SUFFIX_MIME[suffix] != mime:
            warnings.append(f"{shown}: 扩展名 {suffix} 与内容（{mime}）不符，按内容处理")
        ref.file = rel
        ref.sha256, ref.size, ref.mime = pf.sha256, pf.size, mime
    warnings.extend(
        f"{safe_text(name)}: 包内文件未被 application.json 引用，未导入"
        for name in sorted(set(pkg.files) - named)
    )
    return problems, warnings
