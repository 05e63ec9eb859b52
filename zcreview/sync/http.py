"""HTTP transport to a hub: httpx, keep-alive, timeouts, gzip JSON, retries that never give up."""

from __future__ import annotations

import functools
import gzip
import hashlib
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from zcreview.protocol import (
    CHECKSUM_HEADER,
    CHECKSUM_MISMATCH,
    OFFSET_HEADER,
    AckAnswer,
    AckRequest,
    AuditHead,
    ErrorBody,
    InboxPage,
    Manifest,
    OfferAnswer,
    OfficeInfo,
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
from zcreview.sync.transport import (
    Cancelled,
    ChunkRejected,
    Feed,
    OffsetMismatch,
    Refused,
    SyncError,
    Transport,
)

M = TypeVar("M", bound=BaseModel)

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=30.0)
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@functools.cache
def _tls(ca_file: str | None = None) -> ssl.SSLContext:
    """Certificate checking for the hub: the system's CAs, or only `ca_file` (a private CA).

    Loading the CA bundle costs a quarter of a second; transports share one context per file.
    """
    return ssl.create_default_context(cafile=ca_file)


def _busy(status: int) -> str:
    if status in (429, 503):
        return f"上报服务器繁忙（HTTP {status}）"
    return f"上报服务器暂时出错（HTTP {status}）"


class CertificateRefused(SyncError):
    """The hub's certificate cannot be verified: retrying cannot help, and must not be silent."""


def _certificate_problem(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def describe_transport_error(exc: httpx.TransportError) -> str:
    """What went wrong on the link, in words a county office can act on (no exception names)."""
    if isinstance(exc, httpx.ConnectTimeout):
        return "连接上报服务器超时"
    if isinstance(exc, httpx.ConnectError):
        return "连不上上报服务器（网络不通或服务器未运行）"
    if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout | httpx.PoolTimeout):
        return "网络太慢或中断，等待服务器应答超时"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return "与上报服务器的连接中途断开"
    if isinstance(exc, httpx.ProxyError):
        return "代理服务器拒绝了连接"
    return "网络连接出错"


class HttpTransport(Transport):
    """Talks to one hub with one office's token.

    Transient failures (connection refused or cut, timeouts, 5xx, 429) are retried with jittered
    exponential backoff for as long as it takes; `cancel` stops that, and so does `give_up_after`
    seconds without a successful request (cron runs set it, the screen does not).
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        client: httpx.Client | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        cancel: threading.Event | None = None,
        give_up_after: float | None = None,
        backoff_base: float = 0.5,
        backoff_cap: float = 60.0,
        on_retry: Callable[[str], None] | None = None,
        ca_file: str | None = None,
    ) -> None:
        self.client = client or httpx.Client(
            base_url=url.rstrip("/"),
            timeout=timeout,
            limits=httpx.Limits(max_keepalive_connections=4, keepalive_expiry=60.0),
            http1=True,
            verify=_tls(ca_file),
        )
        if client is not None and url:
            self.client.base_url = httpx.URL(url.rstrip("/"))
        self.client.headers["Authorization"] = f"Bearer {token}"
        self.client.headers["User-Agent"] = "zcreview/1"
        self.cancel = cancel or threading.Event()
        self.give_up_after = give_up_after
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.on_retry = on_retry

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------ plumbing

    def _wait(self, attempt: int, started: float, why: str) -> None:
        if self.give_up_after is not None and time.monotonic() - started > self.give_up_after:
            waited = time.monotonic() - started
            raise SyncError(f"{why}，重试 {waited:.0f} 秒仍未成功")
        delay = min(self.backoff_cap, self.backoff_base * 2**attempt) * random.uniform(0.5, 1.0)
        if self.on_retry is not None:
            self.on_retry(f"{why}；{delay:.1f} 秒后重试")
        if self.cancel.wait(delay):
            raise Cancelled()

    def _transport_problem(self, exc: httpx.TransportError) -> str:
        """The retry reason for `exc`; raises CertificateRefused when retrying cannot help."""
        cert = _certificate_problem(exc)
        if cert is not None:
            detail = cert.verify_message or "证书无效"
            raise CertificateRefused(
                f"上报服务器 {self.client.base_url} 的证书无法验证（{detail}）：请核对 [sync] url，"
                "使用自建证书时在 [sync] ca_file 中指定签发它的 CA 证书"
            ) from None
        return describe_transport_error(exc)

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request, retried until it gets an answer that a retry cannot change."""
        started = time.monotonic()
        attempt = 0
        while True:
            if self.cancel.is_set():
                raise Cancelled()
            try:
                response = self.client.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                why = self._transport_problem(exc)
            else:
                if response.status_code not in RETRY_STATUS:
                    return response
                why = _busy(response.status_code)
            self._wait(attempt, started, why)
            attempt += 1

    @staticmethod
    def _refusal(response: httpx.Response) -> Refused:
        try:
            body = ErrorBody.model_validate_json(response.content)
            return Refused(response.status_code, body.error, body.message)
        except ValidationError:
            text = response.text[:200]
            return Refused(
                response.status_code, "http", f"服务器拒绝（{response.status_code}）{text}"
            )

    def _json(
        self,
        method: str,
        path: str,
        model: type[M],
        body: BaseModel | None = None,
        params: dict[str, Any] | None = None,
    ) -> M:
        kwargs: dict[str, Any] = {"params": params}
        if body is not None:
            kwargs["content"] = gzip.compress(body.model_dump_json().encode(), compresslevel=6)
            kwargs["headers"] = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        response = self._send(method, path, **kwargs)
        if response.status_code >= 400:
            raise self._refusal(response)
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise SyncError(f"服务器的回答无法解析：{exc.errors()[0]['msg']}") from None

    # ------------------------------------------------------------ Transport

    def offer(self, manifest: Manifest) -> OfferAnswer:
        return self._json("PUT", f"/v1/batches/{manifest.batch_id}", OfferAnswer, manifest)

    def upload_chunk(self, blob_id: str, offset: int, data: bytes) -> int:
        response = self._send(
            "PATCH",
            f"/v1/blobs/{blob_id}",
            content=data,
            headers={
                OFFSET_HEADER: str(offset),
                CHECKSUM_HEADER: f"sha256 {hashlib.sha256(data).hexdigest()}",
                "Content-Type": "application/offset+octet-stream",
            },
        )
        if response.status_code == 409 and OFFSET_HEADER in response.headers:
            raise OffsetMismatch(int(response.headers[OFFSET_HEADER]))
        if response.status_code == CHECKSUM_MISMATCH:
            raise ChunkRejected(self._refusal(response).args[0])
        if response.status_code >= 400:
            raise self._refusal(response)
        return int(response.headers[OFFSET_HEADER])

    def head_offset(self, blob_id: str) -> int:
        response = self._send("HEAD", f"/v1/blobs/{blob_id}")
        if response.status_code == 404:
            return 0
        if response.status_code >= 400:
            raise Refused(
                response.status_code, "http", f"查询上传位置失败（{response.status_code}）"
            )
        return int(response.headers.get(OFFSET_HEADER, "0"))

    def commit(self, batch_id: str, held: Receipt | None = None) -> Receipt:
        headers = {"If-None-Match": f'"{digest_of(held)}"'} if held is not None else None
        response = self._send("POST", f"/v1/batches/{batch_id}/commit", headers=headers)
        if response.status_code == 304 and held is not None:
            return held  # the hub stores exactly the receipt this office holds
        if response.status_code >= 400 or response.status_code == 304:
            raise self._refusal(response)
        try:
            return Receipt.model_validate_json(response.content)
        except ValidationError as exc:
            raise SyncError(f"服务器的回答无法解析：{exc.errors()[0]['msg']}") from None

    def inbox(self, after: int, limit: int = 100) -> InboxPage:
        return self._json("GET", "/v1/inbox", InboxPage, params={"after": after, "limit": limit})

    def fetch_blob(self, blob_id: str, start: int = 0) -> Iterator[bytes]:
        """Stream a blob from `start`; a cut resumes with a Range from the last byte received."""
        pos = start
        began = time.monotonic()
        attempt = 0
        while True:
            if self.cancel.is_set():
                raise Cancelled()
            headers = {"Range": f"bytes={pos}-", "Accept-Encoding": "identity"}
            try:
                with self.client.stream("GET", f"/v1/blobs/{blob_id}", headers=headers) as r:
                    if r.status_code in RETRY_STATUS:
                        why = _busy(r.status_code)
                    elif r.status_code >= 400:
                        r.read()
                        raise self._refusal(r)
                    else:
                        if r.status_code == 200 and pos > 0:
                            # The server ignored the range; appending would duplicate bytes.
                            raise SyncError("服务器不支持断点续传")
                        for chunk in r.iter_raw():
                            pos += len(chunk)
                            attempt = 0
                            yield chunk
                            if self.cancel.is_set():
                                raise Cancelled()
                        return
            except httpx.TransportError as exc:
                why = self._transport_problem(exc)
            self._wait(attempt, began, why)
            attempt += 1

    def returns(self, after: int, limit: int = 100) -> ReturnsPage:
        return self._json(
            "GET", "/v1/returns", ReturnsPage, params={"after": after, "limit": limit}
        )

    def send_return(self, return_id: str, request: ReturnRequest) -> ReturnItem:
        return self._json("POST", f"/v1/returns/{return_id}", ReturnItem, request)

    def put_path(self, path_id: str, request: PathRequest) -> PathInfo:
        return self._json("PUT", f"/v1/paths/{path_id}", PathInfo, request)

    def list_paths(self, role: Role) -> list[PathInfo]:
        return self._json("GET", "/v1/paths", PathList, params={"role": role}).paths

    def decide_path(self, path_id: str, decision: PathDecision) -> PathInfo:
        return self._json("POST", f"/v1/paths/{path_id}/decision", PathInfo, decision)

    def find_offices(self, query: str) -> list[OfficeInfo]:
        return self._json("GET", "/v1/offices", OfficeList, params={"q": query}).offices

    def ack(self, feed: Feed, cursor: int) -> int:
        return self._json("PUT", f"/v1/cursors/{feed}", AckAnswer, AckRequest(cursor=cursor)).cursor

    def put_audit_head(self, head: AuditHead) -> AuditHead | None:
        return self._json("PUT", "/v1/audit-head", AuditHead, head)

    def audit_head(self) -> AuditHead | None:
        return self._json("GET", "/v1/audit-head", AuditHead)
