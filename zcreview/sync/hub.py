"""The hub's HTTP API (sync.md): a Starlette app over `Hub`, served by uvicorn."""

from __future__ import annotations

import contextlib
import gzip
import logging
import re
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from zcreview import __version__
from zcreview.sync import audithead
from zcreview.sync.hubcore import Hub, HubError
from zcreview.sync.protocol import (
    CHECKSUM_HEADER,
    CHECKSUM_MISMATCH,
    LENGTH_HEADER,
    MAX_CHUNK,
    MAX_JSON_BODY,
    OFFSET_HEADER,
    WIRE_MODELS,
    AckAnswer,
    AckRequest,
    AuditHead,
    ErrorBody,
    InboxPage,
    Manifest,
    OfferAnswer,
    OfficeList,
    PathDecision,
    PathInfo,
    PathList,
    PathRequest,
    Receipt,
    ReturnItem,
    ReturnRequest,
    ReturnsPage,
    Role,
    digest_of,
)

log = logging.getLogger("zcreview.hub")
M = TypeVar("M", bound=BaseModel)
Endpoint = Callable[[Request], Awaitable[Response]]

_CHECKSUM_RE = re.compile(r"^sha256 ([0-9a-f]{64})$")
_RANGE_RE = re.compile(r"^bytes=(\d+)-(\d*)$")
_GZIP_MIN = 1024
_NUL_ESCAPE_RE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
"""A JSON `\\u0000` escape (not an escaped backslash before `u0000`): PostgreSQL text cannot hold
U+0000, so the hub refuses it on every database alike."""


# ---------------------------------------------------------------- request and response helpers


def _error_response(exc: HubError) -> JSONResponse:
    body = ErrorBody(error=exc.code, message=exc.message, offset=exc.offset, missing=exc.missing)
    headers = {OFFSET_HEADER: str(exc.offset)} if exc.offset is not None else None
    return JSONResponse(body.model_dump(exclude_none=True), exc.status, headers=headers)


def _reply(request: Request, model: BaseModel, status: int = 200) -> Response:
    """JSON, gzip-compressed when the client accepts it and it is worth it."""
    return _encoded(model, "gzip" in request.headers.get("accept-encoding", ""), status)


def _encoded(
    model: BaseModel, gzip_ok: bool, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body = model.model_dump_json().encode()
    headers = {"Vary": "Accept-Encoding", **(headers or {})}
    if len(body) >= _GZIP_MIN and gzip_ok:
        body = gzip.compress(body, compresslevel=6)
        headers["Content-Encoding"] = "gzip"
    return Response(body, status, headers=headers, media_type="application/json")


async def _answer(request: Request, call: Callable[..., BaseModel], *args: Any) -> Response:
    """Run a hub method and encode its answer in a worker thread, off the event loop."""
    gzip_ok = "gzip" in request.headers.get("accept-encoding", "")
    return await run_in_threadpool(lambda: _encoded(call(*args), gzip_ok))


def receipt_etag(receipt: Receipt) -> str:
    """The strong ETag of a receipt: its canonical hash, quoted."""
    return f'"{digest_of(receipt)}"'


def _etag_matches(header: str | None, etag: str) -> bool:
    if header is None:
        return False
    return any(tag.strip().removeprefix("W/") in (etag, "*") for tag in header.split(","))


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HubError(413, "too_large", "请求体过大", "request body too large")
    parts: list[bytes] = []
    size = 0
    async for part in request.stream():
        size += len(part)
        if size > limit:
            raise HubError(413, "too_large", "请求体过大", "request body too large")
        parts.append(part)
    return b"".join(parts)


def _gunzip(raw: bytes, limit: int) -> bytes:
    # Bounded, so a small compression bomb cannot fill the hub's memory.
    d = zlib.decompressobj(wbits=31)
    try:
        out = d.decompress(raw, limit + 1)
    except zlib.error:
        raise HubError(400, "bad_gzip", "gzip 数据损坏", "corrupt gzip body") from None
    if len(out) > limit or d.unconsumed_tail:
        raise HubError(413, "too_large", "解压后的请求体过大", "decompressed body too large")
    return out


async def _json_body(request: Request, model: type[M]) -> M:
    raw = await _read_limited(request, MAX_JSON_BODY)
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
        raise HubError(415, "bad_encoding", f"不支持的压缩方式 {encoding}", "unsupported encoding")
    if _NUL_ESCAPE_RE.search(raw):
        raise HubError(
            422, "invalid_body", "请求内容含有空字符（U+0000）", "request body contains U+0000"
        )
    try:
        # Strict: JSON types are taken as they are ("yes" is no boolean, 1.0 no integer).
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        problem = _PROBLEMS_ZH.get(first["type"], first["msg"])
        raise HubError(
            422,
            "invalid_body",
            f"请求内容不合格：{where}：{problem}",
            f"invalid request body at {where}: {first['msg']}",
        ) from None


def _uuid_param(request: Request, name: str) -> str:
    value = request.path_params[name]
    try:
        return str(UUID(value))
    except ValueError:
        raise HubError(422, "bad_id", f"{name} 应为 UUID", f"{name} must be a UUID") from None


def _int_query(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value is None:
        return default
    if not value.isdigit() or len(value) > 18:
        raise HubError(
            422, "bad_query", f"参数 {name} 应为非负整数", f"{name} must be a non-negative integer"
        )
    return int(value)


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


# ---------------------------------------------------------------- routes


@dataclass(frozen=True)
class Api:
    """One operation: the route and what the OpenAPI document says about it."""

    method: str
    path: str
    endpoint_name: str
    summary: str
    request: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    auth: bool = True
    binary_in: bool = False
    binary_out: bool = False
    description: str = ""
    not_modified: bool = False


API: tuple[Api, ...] = (
    Api(
        "PUT",
        "/v1/batches/{batch_id}",
        "offer",
        "Offer a sealed batch (idempotent by batch id)",
        Manifest,
        OfferAnswer,
    ),
    Api(
        "POST",
        "/v1/batches/{batch_id}/commit",
        "commit",
        "Commit a batch in one transaction; replays return the stored receipt",
        None,
        Receipt,
        headers=(
            (
                "If-None-Match",
                "ETag of a receipt the office already stores for this batch; when it is the "
                "stored receipt's, a replay is answered 304 with no body",
            ),
        ),
        description=(
            "Idempotent: the first call commits and every later call answers the same receipt, "
            'with `ETag: "<sha256 of the receipt\'s canonical JSON>"`. An office that holds '
            "a receipt (re-driving an acknowledged batch) sends it as `If-None-Match`; if it "
            "names the stored receipt the answer is `304 Not Modified` and a few hundred bytes "
            "instead of the whole receipt. Any other tag gets the full receipt."
        ),
        not_modified=True,
    ),
    Api(
        "PATCH",
        "/v1/blobs/{blob_id}",
        "upload",
        "Append one chunk at Upload-Offset; 204 with the new Upload-Offset (as tus answers)",
        status=204,
        headers=(
            (OFFSET_HEADER, "byte offset of this chunk"),
            (CHECKSUM_HEADER, "`sha256 <hex>` of this chunk"),
        ),
        binary_in=True,
    ),
    Api("HEAD", "/v1/blobs/{blob_id}", "blob", "Upload offset (Upload-Offset, Upload-Length)"),
    Api(
        "GET",
        "/v1/blobs/{blob_id}",
        "blob",
        "Download a blob; Range supported",
        binary_out=True,
        headers=(("Range", "`bytes=START-` or `bytes=START-END`"),),
    ),
    Api(
        "GET",
        "/v1/inbox",
        "inbox",
        "Applications reported to this office after a cursor",
        None,
        InboxPage,
        query=(("after", "integer"), ("limit", "integer")),
    ),
    Api(
        "GET",
        "/v1/returns",
        "returns",
        "Returns sent down to this office after a cursor",
        None,
        ReturnsPage,
        query=(("after", "integer"), ("limit", "integer")),
    ),
    Api(
        "POST",
        "/v1/returns/{return_id}",
        "send_return",
        "Send a return down (idempotent by return id)",
        ReturnRequest,
        ReturnItem,
    ),
    Api(
        "PUT",
        "/v1/paths/{path_id}",
        "put_path",
        "路径申请 (idempotent by path id)",
        PathRequest,
        PathInfo,
    ),
    Api(
        "GET",
        "/v1/paths",
        "list_paths",
        "Paths this office requested or must decide",
        None,
        PathList,
        query=(("role", "upper | lower"),),
    ),
    Api(
        "POST",
        "/v1/paths/{path_id}/decision",
        "decide_path",
        "路径审核: approve or reject",
        PathDecision,
        PathInfo,
    ),
    Api(
        "GET",
        "/v1/offices",
        "offices",
        "Fuzzy search of registered offices by name",
        None,
        OfficeList,
        query=(("q", "string"),),
    ),
    Api(
        "PUT",
        "/v1/cursors/{feed}",
        "ack",
        "Acknowledge a feed (inbox | returns) up to a cursor",
        AckRequest,
        AckAnswer,
    ),
    Api(
        "PUT",
        "/v1/audit-head",
        "put_audit_head",
        "Leave this office's audit chain head with the hub (it keeps the newest)",
        AuditHead,
        AuditHead,
    ),
    Api(
        "GET",
        "/v1/audit-head",
        "audit_head",
        "The audit chain head the hub holds for this office",
        None,
        AuditHead,
    ),
    Api("GET", "/healthz", "health", "Readiness", auth=False),
    Api("GET", "/openapi.json", "openapi", "This document", auth=False),
)


class HubApp:
    """Endpoints bound to one `Hub`."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def _office(self, request: Request) -> Any:
        office = await run_in_threadpool(self.hub.authenticate, _bearer(request))
        request.state.office = f"{office.name}({office.credit_code})"  # for the access log
        return office

    async def _keyed(
        self, request: Request, param: str, model: type[M], call: Callable[[Any, str, M], BaseModel]
    ) -> Response:
        """A write keyed by a client-chosen id in the path, with a JSON body."""
        office = await self._office(request)
        key = _uuid_param(request, param)
        body = await _json_body(request, model)
        return await _answer(request, call, office, key, body)

    async def offer(self, request: Request) -> Response:
        return await self._keyed(request, "batch_id", Manifest, self.hub.offer)

    async def commit(self, request: Request) -> Response:
        office = await self._office(request)
        batch_id = _uuid_param(request, "batch_id")
        held = request.headers.get("if-none-match")
        gzip_ok = "gzip" in request.headers.get("accept-encoding", "")

        def work() -> Response:
            receipt = self.hub.commit(office, batch_id)
            etag = receipt_etag(receipt)
            if _etag_matches(held, etag):
                # The office already stores this very receipt: say so in a few bytes.
                return Response(status_code=304, headers={"ETag": etag})
            return _encoded(receipt, gzip_ok, headers={"ETag": etag})

        return await run_in_threadpool(work)

    async def upload(self, request: Request) -> Response:
        office = await self._office(request)
        blob_id = request.path_params["blob_id"]
        offset_text = request.headers.get(OFFSET_HEADER, "")
        if not offset_text.isdigit():
            raise HubError(400, "bad_offset", "缺少或错误的 Upload-Offset", "missing Upload-Offset")
        match = _CHECKSUM_RE.match(request.headers.get(CHECKSUM_HEADER, "").strip())
        if match is None:
            raise HubError(
                400,
                "bad_checksum",
                "缺少或错误的 Upload-Checksum（sha256 <hex>）",
                "missing or malformed Upload-Checksum",
            )
        data = await _read_limited(request, MAX_CHUNK)
        state = await run_in_threadpool(
            self.hub.append_chunk, office, blob_id, int(offset_text), data, match.group(1)
        )
        # No body: on a slow link every byte of a per-chunk answer is overhead.
        return Response(status_code=204, headers={OFFSET_HEADER: str(state.offset)})

    async def blob(self, request: Request) -> Response:
        office = await self._office(request)
        blob_id = request.path_params["blob_id"]
        if request.method == "HEAD":
            state = await run_in_threadpool(self.hub.upload_state, office, blob_id)
            return Response(
                status_code=200,
                headers={
                    OFFSET_HEADER: str(state.offset),
                    LENGTH_HEADER: str(state.size),
                    "Cache-Control": "no-store",
                },
            )
        blob = await run_in_threadpool(self.hub.open_blob, office, blob_id)
        rng = request.headers.get("range")
        if rng is not None:
            m = _RANGE_RE.match(rng.strip())
            if m is None:
                raise HubError(400, "bad_range", "只支持单个 bytes 范围", "single byte range only")
            start = int(m.group(1))
            end = int(m.group(2)) if m.group(2) else blob.size - 1
            if start >= blob.size or end < start:
                raise HubError(
                    416, "range_not_satisfiable", "请求范围超出附件大小", "range not satisfiable"
                )
        return FileResponse(
            blob.path,
            media_type="application/octet-stream",
            headers={"ETag": f'"{blob_id}"', "Cache-Control": "private, max-age=31536000"},
        )

    async def inbox(self, request: Request) -> Response:
        office = await self._office(request)
        after = _int_query(request, "after", 0)
        limit = _int_query(request, "limit", 100)
        return await _answer(request, self.hub.inbox, office, after, limit)

    async def returns(self, request: Request) -> Response:
        office = await self._office(request)
        after = _int_query(request, "after", 0)
        limit = _int_query(request, "limit", 100)
        return await _answer(request, self.hub.returns, office, after, limit)

    async def send_return(self, request: Request) -> Response:
        return await self._keyed(request, "return_id", ReturnRequest, self.hub.send_return)

    async def put_path(self, request: Request) -> Response:
        return await self._keyed(request, "path_id", PathRequest, self.hub.put_path)

    async def list_paths(self, request: Request) -> Response:
        office = await self._office(request)
        query_role = request.query_params.get("role", "lower")
        if query_role not in ("upper", "lower"):
            raise HubError(422, "bad_query", "role 应为 upper 或 lower", "role: upper | lower")
        role: Role = "upper" if query_role == "upper" else "lower"
        paths = await run_in_threadpool(self.hub.list_paths, office, role)
        return _reply(request, PathList(paths=paths))

    async def decide_path(self, request: Request) -> Response:
        return await self._keyed(request, "path_id", PathDecision, self.hub.decide_path)

    async def offices(self, request: Request) -> Response:
        await self._office(request)
        query = request.query_params.get("q", "")[:100]
        found = await run_in_threadpool(self.hub.find_offices, query)
        return _reply(request, OfficeList(offices=found))

    async def ack(self, request: Request) -> Response:
        office = await self._office(request)
        feed = request.path_params["feed"]
        if feed not in ("inbox", "returns"):
            raise HubError(404, "unknown_feed", "没有这个数据流", "unknown feed")
        req = await _json_body(request, AckRequest)
        value = await run_in_threadpool(self.hub.ack, office, feed, req.cursor)
        return _reply(request, AckAnswer(feed=feed, cursor=value))

    async def put_audit_head(self, request: Request) -> Response:
        office = await self._office(request)
        head = await _json_body(request, AuditHead)
        kept = await run_in_threadpool(audithead.keep, self.hub.engine, office, head)
        return _reply(request, kept)

    async def audit_head(self, request: Request) -> Response:
        office = await self._office(request)
        return _reply(request, await run_in_threadpool(audithead.held, self.hub.engine, office))

    async def health(self, request: Request) -> Response:
        return JSONResponse({"ok": True, "version": __version__})

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi_document())


def _guard(endpoint: Endpoint) -> Endpoint:
    """Turn refusals into bilingual JSON; anything unforeseen is logged and answered 500."""

    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except HubError as exc:
            return _error_response(exc)
        except ClientDisconnect:
            # Routine on flaky links (the office retries); nothing will read an answer.
            log.info("hub: client went away during %s %s", request.method, request.url.path)
            return Response(status_code=499)
        except Exception:
            log.exception("hub: unexpected failure on %s %s", request.method, request.url.path)
            return _error_response(
                HubError(500, "internal", "服务器内部错误，请稍后重试", "internal error")
            )

    return guarded


def _dispatch(handlers: dict[str, Endpoint]) -> Endpoint:
    """One route, several methods (the blob path serves PATCH, HEAD and GET)."""

    async def dispatch(request: Request) -> Response:
        method = request.method
        handler = handlers.get(method) or (handlers.get("GET") if method == "HEAD" else None)
        if handler is None:
            return _error_response(HubError(405, "method", "不支持该方法", "method not allowed"))
        return await handler(request)

    return dispatch


async def _http_exception(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    zh = {404: "没有这个接口", 405: "不支持该方法"}.get(status, "请求无法处理")
    return _error_response(HubError(status, "http_error", zh, str(getattr(exc, "detail", ""))))


def create_app(hub: Hub) -> Starlette:
    """The ASGI app of one hub."""
    endpoints = HubApp(hub)
    by_path: dict[str, dict[str, Endpoint]] = {}
    for api in API:
        by_path.setdefault(api.path, {})[api.method] = _guard(getattr(endpoints, api.endpoint_name))
    routes = [
        Route(path, _dispatch(handlers), methods=list(handlers))
        for path, handlers in by_path.items()
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_exception})
    app.state.hub = hub
    return app


def create_app_from(data_dir: Path, db_url: str | None = None) -> Starlette:
    """Open a hub in `data_dir` (database URL optional) and wrap it; disposed on shutdown."""
    hub = Hub.open(data_dir, db_url)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        hub.dispose()

    app = create_app(hub)
    app.router.lifespan_context = lifespan
    return app


def app_from_environment() -> Any:
    """The served app of a worker process (`serve --workers N`): data and database from the
    environment the parent process set (ZCREVIEW_HUB_DATA, ZCREVIEW_HUB_DB)."""
    import os

    db_url = os.environ.get("ZCREVIEW_HUB_DB") or None
    return observed_app(Path(os.environ["ZCREVIEW_HUB_DATA"]), db_url)


def observed_app(data_dir: Path, db_url: str | None = None) -> Any:
    """The served app: `create_app_from` wrapped in the access log and `/metrics`."""
    from zcreview.sync.hub_observe import Observed

    app = create_app_from(data_dir, db_url)
    return Observed(app, app.state.hub.engine)


# ---------------------------------------------------------------- OpenAPI


def openapi_document() -> dict[str, Any]:
    """OpenAPI 3.1, written from the route table and the wire models' JSON schemas."""
    _, top = models_json_schema(
        [(m, "validation") for m in WIRE_MODELS], ref_template="#/components/schemas/{model}"
    )
    schemas: dict[str, Any] = top.get("$defs", {})
    error = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    }
    paths: dict[str, dict[str, Any]] = {}
    for api in API:
        op: dict[str, Any] = {
            "summary": api.summary,
            "operationId": f"{api.endpoint_name}_{api.method.lower()}",
        }
        if api.description:
            op["description"] = api.description
        params: list[dict[str, Any]] = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
            for p in re.findall(r"\{(\w+)\}", api.path)
        ]
        params += [
            {
                "name": n,
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": d,
            }
            for n, d in api.query
        ]
        params += [
            {
                "name": n,
                "in": "header",
                "required": api.binary_in and n != "If-None-Match",
                "schema": {"type": "string"},
                "description": d,
            }
            for n, d in api.headers
        ]
        if params:
            op["parameters"] = params
        if api.request is not None:
            op["requestBody"] = {
                "required": True,
                "description": "JSON; may be sent with Content-Encoding: gzip",
                "content": {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/{api.request.__name__}"}
                    }
                },
            }
        elif api.binary_in:
            op["requestBody"] = {
                "required": True,
                "content": {
                    "application/offset+octet-stream": {
                        "schema": {"type": "string", "format": "binary"}
                    }
                },
            }
        ok: dict[str, Any] = {"description": "OK"}
        if api.status == 204:
            ok["headers"] = {OFFSET_HEADER: {"schema": {"type": "integer"}}}
        if api.response is not None:
            ok["content"] = {
                "application/json": {
                    "schema": {"$ref": f"#/components/schemas/{api.response.__name__}"}
                }
            }
        elif api.binary_out:
            ok["content"] = {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            }
        responses: dict[str, Any] = {str(api.status): ok}
        if api.not_modified:
            ok["headers"] = {"ETag": {"schema": {"type": "string"}}}
            responses["304"] = {
                "description": "If-None-Match names the stored receipt: nothing to send",
                "headers": {"ETag": {"schema": {"type": "string"}}},
            }
        if api.auth:
            op["security"] = [{"bearer": []}]
            for code, text in (
                ("401", "No or wrong token"),
                ("403", "Another office's data"),
                ("409", "Conflict (offset, batch, path or return id)"),
                ("422", "Malformed request"),
            ):
                responses[code] = {"description": text, **error}
        if api.endpoint_name == "upload":
            responses[str(CHECKSUM_MISMATCH)] = {"description": "Chunk checksum mismatch", **error}
        op["responses"] = responses
        paths.setdefault(api.path, {})[api.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "zcreview hub",
            "version": __version__,
            "description": "数据上报与退回的同步接口 (sync.md)",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
