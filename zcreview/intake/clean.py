"""One cleaning and validation step for application JSON, wherever it enters the office.

`zcreview import` and every arrival through sync (hub inbox, bundle import) hand the raw bytes of
an application to `clean_application`: text loses terminal escapes and control characters,
absurd sizes and values are refused before any work grows with them, and the model is validated
strictly (a date is a date string, a count an integer, a flag a boolean). A refusal is a list of
`Problem`s in Chinese, each naming the file or entry, the field and what is wrong.
"""

from __future__ import annotations

import contextlib
import json
import math
import uuid
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from zcreview.domain.model import Application
from zcreview.domain.text import clean_text
from zcreview.intake.problems import APPLICATION_JSON, WHOLE_FILE, Problem, safe_text

MAX_FIELD_CHARS = 20_000
MAX_ROWS = 50
"""Rows in any list of an application. The seeds cap work history at 6 and achievements at 15
(checks WORK-MAX, ACH-MAX warn about those); far beyond is not an application but an attack."""
MAX_ATTACHMENTS = 200
"""Files named by one attachment list (scanned page by page, a long certificate set adds up)."""
MAX_DIGITS = 18
"""Digits of a JSON integer: anything longer cannot be a year, a count or an amount."""
MAX_NUMBER = 1e9
"""Largest magnitude of a JSON number with a fraction (hours, amounts)."""
MAX_DEPTH = 64

# Free-text fields where line breaks and tabs are the applicant's own layout; elsewhere a line
# break in a name or a number is a pasting accident and becomes a space.
LONG_TEXT_KEYS = frozenset({"work_summary", "societies", "summary", "work", "content"})

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
    "finite_number": "应为有限的数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "dict_type": "应为对象",
    "uuid_type": "应为 UUID",
    "uuid_parsing": "应为 UUID（如 1b4e28ba-2fa1-11d2-883f-0016d3cca427）",
    "date_type": "日期无效，应为 YYYY-MM 或 YYYY-MM-DD 形式的文本",
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
    file_notes: dict[str, str] = field(default_factory=dict)
    """What was found wrong with an accepted file's bytes, by SHA-256 (kept for the reviewer)."""

    @property
    def ok(self) -> bool:
        return self.app is not None and not self.problems


@dataclass(frozen=True)
class _Refused:
    """A JSON value refused while parsing; reported on its field once the path is known."""

    message: str


def clean_application(data: bytes | str, *, file: str = APPLICATION_JSON) -> Validated:
    """Parse, clean and validate application JSON; `file` names it in every problem."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return _refused(file, f"第 {exc.start + 1} 字节", "不是 UTF-8 编码")
    else:
        text = data
    try:
        raw = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as exc:
        where = f"第 {exc.lineno} 行第 {exc.colno} 列"
        return _refused(file, where, f"JSON 格式错误：{_json_message(exc)}")
    except RecursionError:
        return _refused(file, WHOLE_FILE, "JSON 嵌套过深")
    if not isinstance(raw, dict):
        return _refused(file, WHOLE_FILE, "顶层应为 JSON 对象 {…}")
    if _depth(raw) > MAX_DEPTH:
        return _refused(file, WHOLE_FILE, "JSON 嵌套过深")
    problems: list[Problem] = []
    warnings: list[str] = []
    cleaned = _clean(raw, "", file, problems, warnings)
    if problems:  # sizes and values refused before the model spends work on them
        return Validated(None, problems, warnings)
    app_id = cleaned.get("application_id")
    if isinstance(app_id, str):
        with contextlib.suppress(ValueError):  # else the model reports it as not a UUID
            cleaned["application_id"] = uuid.UUID(app_id)
    try:
        app = Application.model_validate(cleaned, strict=True)
    except ValidationError as exc:
        problems.extend(_translate(err, file) for err in exc.errors(include_url=False))
        return Validated(None, problems, warnings)
    return Validated(app, problems, warnings)


def _refused(file: str, field_: str, message: str) -> Validated:
    return Validated(None, [Problem(file, field_, message)])


def _parse_int(text: str) -> Any:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        return _Refused(f"整数位数过多（{digits} 位），不是有效取值")
    return int(text)


def _parse_float(text: str) -> Any:
    if len(text) > 64:
        return _Refused(f"数字过长（{len(text)} 个字符），不是有效取值")
    value = float(text)
    if not math.isfinite(value) or abs(value) > MAX_NUMBER:
        return _Refused(f"数值超出范围：{safe_text(text, 30)}")
    return value


def _parse_constant(name: str) -> Any:
    return _Refused(f"不允许 {name}（应为有限的数字）")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # With a repeated key json keeps the last value silently; what the reviewer is shown
    # must be the only value the applicant wrote.
    out: dict[str, Any] = {}
    for key, value in pairs:
        out[key] = _Refused("重复的键，取值不明确") if key in out else value
    return out


def _json_message(exc: json.JSONDecodeError) -> str:
    for english, chinese in _JSON_MESSAGES:
        if exc.msg.startswith(english):
            return chinese
    return "无法解析"


def _depth(value: Any) -> int:
    depth = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, d = stack.pop()
        depth = max(depth, d)
        if d > MAX_DEPTH:
            return d
        if isinstance(item, dict):
            stack.extend((v, d + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, d + 1) for v in item)
    return depth


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _clean(value: Any, path: str, file: str, problems: list[Problem], warnings: list[str]) -> Any:
    """A copy of the parsed JSON with hostile text neutralised and absurd values reported."""
    if isinstance(value, dict):
        return {k: _clean(v, _join(path, k), file, problems, warnings) for k, v in value.items()}
    if isinstance(value, list):
        key = path.rsplit(".", 1)[-1]
        limit = MAX_ATTACHMENTS if key.endswith("attachments") else MAX_ROWS
        if len(value) > limit:
            problems.append(
                Problem(
                    file,
                    safe_text(path or WHOLE_FILE),
                    f"共 {len(value)} 项，超过上限 {limit} 项，拒收",
                )
            )
            return []
        return [_clean(v, _join(path, i), file, problems, warnings) for i, v in enumerate(value)]
    if isinstance(value, _Refused):
        problems.append(Problem(file, safe_text(path or WHOLE_FILE), value.message))
        return None
    if not isinstance(value, str):
        return value
    if len(value) > MAX_FIELD_CHARS:
        problems.append(
            Problem(
                file,
                safe_text(path or WHOLE_FILE),
                f"文本过长（{len(value)} 字符，上限 {MAX_FIELD_CHARS}）",
            )
        )
        return value[:MAX_FIELD_CHARS]
    key = path.rsplit(".", 1)[-1]
    cleaned = clean_text(value, long_text=key in LONG_TEXT_KEYS)
    if cleaned != value:
        warnings.append(f"{safe_text(path)}: 含控制字符、终端转义或方向控制符，已去除")
    return cleaned


def _loc(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path = _join(path, part)
    return path


def _translate(err: ErrorDetails, file: str) -> Problem:
    """One pydantic error as a Chinese message on its field path."""
    kind = err["type"]
    loc = tuple(err["loc"])
    path = safe_text(_loc(loc), 120) or WHOLE_FILE
    value = err.get("input")
    ctx = err.get("ctx", {})
    if kind == "extra_forbidden":
        return Problem(file, path, f"额外字段 {safe_text(loc[-1], 60)} 不允许")
    if kind == "literal_error" and loc == ("format_version",):
        return Problem(file, path, f"不支持的格式版本 {_as_written(value)}（本程序支持 1）")
    if kind == "literal_error" and loc == ("format",):
        return Problem(file, path, "format 应为 zcreview-application")
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return Problem(file, path, f"取值 {_as_written(value)} 无效，可选：{expected}")
    if kind == "is_instance_of" and loc == ("application_id",):
        kind = "uuid_parsing"
    if kind in ("greater_than_equal", "greater_than"):
        return Problem(file, path, f"不能小于 {ctx.get('ge', ctx.get('gt', ''))}")
    if kind in ("less_than_equal", "less_than"):
        return Problem(file, path, f"不能大于 {ctx.get('le', ctx.get('lt', ''))}")
    message = _PYDANTIC_MESSAGES.get(kind, "取值无效")
    if kind != "missing" and not isinstance(value, dict | list):
        message += f"：{_as_written(value)}"
    return Problem(file, path, message)


def _as_written(value: object) -> str:
    """A value as the applicant wrote it in JSON (`true`, `null`, `12.0`), never a Python repr."""
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    return safe_text(value, 40)
