"""The transport interface the outbox drives: HTTP to a hub today, folder bundles next."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import ClassVar, Literal

from zcreview.protocol import (
    AuditHead,
    InboxPage,
    Manifest,
    OfferAnswer,
    OfficeInfo,
    PathDecision,
    PathInfo,
    PathRequest,
    Receipt,
    ReturnItem,
    ReturnRequest,
    ReturnsPage,
    Role,
)

Feed = Literal["inbox", "returns"]


class SyncError(Exception):
    """Base of every sync failure; the message is Chinese and fit for the screen."""


class Refused(SyncError):
    """The hub refused the request (4xx): retrying the same request will not help."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class OffsetMismatch(SyncError):
    """The hub holds a different number of bytes of this blob than the client assumed."""

    def __init__(self, offset: int) -> None:
        super().__init__(f"上传位置不一致，服务器已有 {offset} 字节")
        self.offset = offset


class ChunkRejected(SyncError):
    """A chunk arrived damaged (checksum mismatch) and was discarded; send it again."""


class AwaitingReceipt(SyncError):
    """The batch left as a folder bundle; its receipt comes back when the receiver imports it."""


class Cancelled(SyncError):
    """The user (or a deadline) stopped a transfer that would otherwise retry forever."""

    def __init__(self, message: str = "已取消") -> None:
        super().__init__(message)


Via = Literal["http", "folder"]
"""How a transport travels: to a hub over HTTP, or as bundles in an exchange folder."""


class Transport(ABC):
    """One hub conversation. Every write is idempotent under its client-chosen key.

    Implementations retry transient failures themselves and raise `Refused` for answers that a
    retry cannot change. All methods block; screens call them from worker threads.
    """

    VIA: ClassVar[Via] = "http"
    """How this transport travels, as paths record it: "http" (a hub) or "folder" (bundles)."""

    @abstractmethod
    def offer(self, manifest: Manifest) -> OfferAnswer:
        """Offer a sealed batch; the answer lists blobs the receiver lacks and bytes held."""

    @abstractmethod
    def upload_chunk(self, blob_id: str, offset: int, data: bytes) -> int:
        """Append `data` at `offset`; returns the new offset.

        Raises OffsetMismatch (with the true offset) or ChunkRejected.
        """

    @abstractmethod
    def head_offset(self, blob_id: str) -> int:
        """How many bytes of this blob the receiver holds durably."""

    @abstractmethod
    def commit(self, batch_id: str, held: Receipt | None = None) -> Receipt:
        """Commit an offered batch whose blobs are all present; replays return the same receipt.

        `held` is a receipt the office already stores for this batch: when the receiver's is the
        same, it need not be sent again (HTTP: If-None-Match, answered 304).
        """

    @abstractmethod
    def inbox(self, after: int, limit: int = 100) -> InboxPage:
        """Applications reported to this office with hub seq > `after`."""

    @abstractmethod
    def fetch_blob(self, blob_id: str, start: int = 0) -> Iterator[bytes]:
        """Bytes of a blob from `start` to its end (a Range request over HTTP)."""

    @abstractmethod
    def returns(self, after: int, limit: int = 100) -> ReturnsPage:
        """Returns sent down to this office with hub seq > `after`."""

    @abstractmethod
    def send_return(self, return_id: str, request: ReturnRequest) -> ReturnItem:
        """Send a return down; idempotent by `return_id`."""

    @abstractmethod
    def put_path(self, path_id: str, request: PathRequest) -> PathInfo:
        """Request a path; answers an earlier approved path of the same edge when there is one."""

    @abstractmethod
    def list_paths(self, role: Role) -> list[PathInfo]:
        """Paths this office requested (`lower`) or must decide (`upper`)."""

    @abstractmethod
    def decide_path(self, path_id: str, decision: PathDecision) -> PathInfo:
        """Approve or reject a path request addressed to this office."""

    @abstractmethod
    def find_offices(self, query: str) -> list[OfficeInfo]:
        """Offices whose name matches `query` loosely, best first."""

    @abstractmethod
    def ack(self, feed: Feed, cursor: int) -> int:
        """Tell the receiver this office has applied `feed` up to `cursor`; returns its record."""

    def put_audit_head(self, head: AuditHead) -> AuditHead | None:
        """Leave the office's audit chain head with the receiver; what it holds now, or None
        when there is no hub to hold it (folder bundles)."""
        return None

    def audit_head(self) -> AuditHead | None:
        """The audit chain head the hub holds for this office, or None without a hub."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook, most transports hold nothing
        """Release connections."""
