"""The hub's HTTP API (docs/sync.md): a Starlette app over `Hub`, served by uvicorn.

Refusals become bilingual JSON with the status `statuses.STATUS` names for their code.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from zcreview import __version__
from zcreview.hub import audit_head
from zcreview.hub.core import Hub
from zcreview.hub.errors import HubError
from zcreview.hub.web.body import bearer, int_query, json_body, read_limited, uuid_param
from zcreview.hub.web.routes import API, openapi_document
from zcreview.hub.web.statuses import status_of
from zcreview.protocol import (
    CHECKSUM_HEADER,
    LENGTH_HEADER,
    MAX_CHUNK,
    OFFSET_HEADER,
    AckAnswer,
    AckRequest,
    AuditHead,
    ErrorBody,
    Manifest,
    OfficeList,
    PathDecision,
    PathList,
    PathRequest,
    Receipt,
    ReturnRequest,
    Role,
    digest_of,
)

log = logging.getLogger("zcreview.hub")
M = TypeVar("M", bound=BaseModel)
Endpoint = Callable[[Request], Awaitable[Response]]

_CHECKSUM_RE = re.compile(r"^sha256 ([0-9a-f]{64})$")
_RANGE_RE = re.compile(r"^bytes=(\d+)-(\d*)$")
_GZIP_MIN = 1024


# ---------------------------------------------------------------- request and response helpers


def _error_response(exc: HubError, status: int | None = None) -> JSONResponse:
    body = ErrorBody(error=exc.code, message=exc.message, offset=exc.offset, missing=exc.missing)
    headers = {OFFSET_HEADER: str(exc.offset)} if exc.offset is not None else None
    return JSONResponse(
        body.model_dump(exclude_none=True), status or status_of(exc.code), headers=headers
    )


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


class HubApp:
    """Endpoints bound to one `Hub`."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def _office(self, request: Request) -> Any:
        return await run_in_threadpool(self._office_now, request)

    async def _keyed(
        self, request: Request, param: str, model: type[M], call: Callable[[Any, str, M], BaseModel]
    ) -> Response:
        """A write keyed by a client-chosen id in the path, with a JSON body."""
        office = await self._office(request)
        key = uuid_param(request, param)
        body = await json_body(request, model)
        return await _answer(request, call, office, key, body)

    async def offer(self, request: Request) -> Response:
        return await self._keyed(request, "batch_id", Manifest, self.hub.offer)

    def _office_now(self, request: Request) -> Any:
        """`_office` for a worker thread: a request without a body authenticates in the same
        thread as its work, one wait for a worker instead of two."""
        office = self.hub.authenticate(bearer(request))
        request.state.office = f"{office.name}({office.credit_code})"  # for the access log
        return office

    async def commit(self, request: Request) -> Response:
        held = request.headers.get("if-none-match")
        gzip_ok = "gzip" in request.headers.get("accept-encoding", "")

        def work() -> Response:
            office = self._office_now(request)
            batch_id = uuid_param(request, "batch_id")
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
            raise HubError("bad_offset", "缺少或错误的 Upload-Offset", "missing Upload-Offset")
        match = _CHECKSUM_RE.match(request.headers.get(CHECKSUM_HEADER, "").strip())
        if match is None:
            raise HubError(
                "bad_checksum",
                "缺少或错误的 Upload-Checksum（sha256 <hex>）",
                "missing or malformed Upload-Checksum",
            )
        data = await read_limited(request, MAX_CHUNK)
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
                raise HubError("bad_range", "只支持单个 bytes 范围", "single byte range only")
            start = int(m.group(1))
            end = int(m.group(2)) if m.group(2) else blob.size - 1
            if start >= blob.size or end < start:
                raise HubError(
                    "range_not_satisfiable", "请求范围超出附件大小", "range not satisfiable"
                )
        return FileResponse(
            blob.path,
            media_type="application/octet-stream",
            headers={"ETag": f'"{blob_id}"', "Cache-Control": "private, max-age=31536000"},
        )

    async def inbox(self, request: Request) -> Response:
        office = await self._office(request)
        after = int_query(request, "after", 0)
        limit = int_query(request, "limit", 100)
        return await _answer(request, self.hub.inbox, office, after, limit)

    async def returns(self, request: Request) -> Response:
        office = await self._office(request)
        after = int_query(request, "after", 0)
        limit = int_query(request, "limit", 100)
        return await _answer(request, self.hub.returns, office, after, limit)

    async def send_return(self, request: Request) -> Response:
        return await self._keyed(request, "return_id", ReturnRequest, self.hub.send_return)

    async def put_path(self, request: Request) -> Response:
        return await self._keyed(request, "path_id", PathRequest, self.hub.put_path)

    async def list_paths(self, request: Request) -> Response:
        office = await self._office(request)
        query_role = request.query_params.get("role", "lower")
        if query_role not in ("upper", "lower"):
            raise HubError("bad_query", "role 应为 upper 或 lower", "role: upper | lower")
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
            raise HubError("unknown_feed", "没有这个数据流", "unknown feed")
        req = await json_body(request, AckRequest)
        value = await run_in_threadpool(self.hub.ack, office, feed, req.cursor)
        return _reply(request, AckAnswer(feed=feed, cursor=value))

    async def put_audit_head(self, request: Request) -> Response:
        office = await self._office(request)
        head = await json_body(request, AuditHead)
        kept = await run_in_threadpool(audit_head.keep, self.hub.engine, office, head)
        return _reply(request, kept)

    async def audit_head(self, request: Request) -> Response:
        office = await self._office(request)
        return _reply(request, await run_in_threadpool(audit_head.held, self.hub.engine, office))

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
                HubError("internal", "服务器内部错误，请稍后重试", "internal error")
            )

    return guarded


def _dispatch(handlers: dict[str, Endpoint]) -> Endpoint:
    """One route, several methods (the blob path serves PATCH, HEAD and GET)."""

    async def dispatch(request: Request) -> Response:
        method = request.method
        handler = handlers.get(method) or (handlers.get("GET") if method == "HEAD" else None)
        if handler is None:
            return _error_response(HubError("method", "不支持该方法", "method not allowed"))
        return await handler(request)

    return dispatch


async def _http_exception(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    zh = {404: "没有这个接口", 405: "不支持该方法"}.get(status, "请求无法处理")
    return _error_response(HubError("http_error", zh, str(getattr(exc, "detail", ""))), status)


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
    from zcreview.hub.observe import Observed

    app = create_app_from(data_dir, db_url)
    return Observed(app, app.state.hub.engine)
