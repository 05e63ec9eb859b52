"""Reading requests: size limits, gzip, strict JSON bodies with Chinese problems, path and
query parameters, the bearer token."""

from __future__ import annotations

import re
import zlib
from typing import TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from zcreview.hub.errors import HubError
from zcreview.protocol import MAX_JSON_BODY

M = TypeVar("M", bound=BaseModel)

_NUL_ESCAPE_RE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
"""A JSON `\\u0000` escape (not an escaped backslash before `u0000`): PostgreSQL text cannot hold
U+0000, so the hub refuses it on every database alike."""


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HubError("too_large", "请求体过大", "request body too large")
    parts: list[bytes] = []
    size = 0
    async for part in request.stream():
        size += len(part)
        if size > limit:
            raise HubError("too_large", "请求体过大", "request body too large")
        parts.append(part)
    return b"".join(parts)


def _gunzip(raw: bytes, limit: int) -> bytes:
    # Bounded, so a small compression bomb cannot fill the hub's memory.
    d = zlib.decompressobj(wbits=31)
    try:
        out = d.decompress(raw, limit + 1)
    except zlib.error:
        raise HubError("bad_gzip", "gzip 数据损坏", "corrupt gzip body") from None
    if len(out) > limit or d.unconsumed_tail:
        raise HubError("too_large", "解压后的请求体过大", "decompressed body too large")
    return out


async def json_body(request: Request, model: type[M]) -> M:
    raw = await read_limited(request, MAX_JSON_BODY)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    # Inflating and validating a manifest takes milliseconds: off the event loop, so the other
    # offices' requests keep moving meanwhile.
    return await run_in_threadpool(_parse_body, raw, encoding, model)


_PROBLEMS_ZH = {
    "json_invalid": "不是有效的 JSON",
    "json_type": "应为 JSON 对象",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "missing": "缺少该字段",
    "extra_forbidden": "不认识的字段",
    "bool_type": "应为 true 或 false",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "string_type": "应为字符串",
    "list_type": "应为列表",
    "uuid_type": "应为 UUID",
    "uuid_parsing": "应为 UUID",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "too_short": "条目过少",
    "too_long": "条目过多",
    "string_pattern_mismatch": "格式不对",
    "literal_error": "不是允许的取值",
}
"""Chinese for the validation problems a request body can have; others keep pydantic's words."""


def _parse_body(raw: bytes, encoding: str, model: type[M]) -> M:
    if encoding == "gzip":
        raw = _gunzip(raw, MAX_JSON_BODY)
    elif encoding not in ("", "identity"):
        raise HubError("bad_encoding", f"不支持的压缩方式 {encoding}", "unsupported encoding")
    if _NUL_ESCAPE_RE.search(raw):
        raise HubError(
            "invalid_body", "请求内容含有空字符（U+0000）", "request body contains U+0000"
        )
    try:
        # Strict: JSON types are taken as they are ("yes" is no boolean, 1.0 no integer).
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        problem = _PROBLEMS_ZH.get(first["type"], first["msg"])
        raise HubError(
            "invalid_body",
            f"请求内容不合格：{where}：{problem}",
            f"invalid request body at {where}: {first['msg']}",
        ) from None


def uuid_param(request: Request, name: str) -> str:
    value = request.path_params[name]
    try:
        return str(UUID(value))
    except ValueError:
        raise HubError("bad_id", f"{name} 应为 UUID", f"{name} must be a UUID") from None


def int_query(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value is None:
        return default
    if not value.isdigit() or len(value) > 18:
        raise HubError(
            "bad_query", f"参数 {name} 应为非负整数", f"{name} must be a non-negative integer"
        )
    return int(value)


def bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
