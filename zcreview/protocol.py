"""Wire models of the sync protocol (sync.md): manifests, offers, receipts, inbox, returns, paths."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Annotated, Any, Final, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from zcreview.domain.corrections import CorrectionItem

PROTOCOL_VERSION: Final = 1
MANIFEST_FORMAT: Final = "zcreview-batch"

DEFAULT_CHUNK = 256 * 1024
MIN_CHUNK = 64 * 1024
MAX_CHUNK = 1024 * 1024
MAX_BLOB_SIZE = 256 * 1024 * 1024
"""Attachments are at most 5 MB (004 §6.2); the hub allows more so a rule change needs no upgrade."""
MAX_ENTRIES = 1000
MAX_JSON_BODY = 64 * 1024 * 1024
"""Largest decompressed JSON request the hub reads (a manifest of MAX_ENTRIES applications)."""
MAX_APPLICATION_JSON = 16 * 1024 * 1024
"""Largest canonical JSON of one application revision in a manifest."""
MAX_SEQ = 2**63 - 1
"""Hub sequence numbers and cursors are signed 64-bit integers in the database."""

CHECKSUM_HEADER = "Upload-Checksum"
"""`sha256 <hex>` of the chunk, as tus's checksum extension spells it (hex, not base64)."""
OFFSET_HEADER = "Upload-Offset"
LENGTH_HEADER = "Upload-Length"
CHECKSUM_MISMATCH = 460
"""Status for a chunk whose checksum does not match (tus uses the same code)."""

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(max_length=4000)]
PathState = Literal["pending", "approved", "rejected"]
Role = Literal["upper", "lower"]


class Wire(BaseModel):
    """Base of every wire model: unknown fields are refused, so a typo is an error, not a no-op."""

    model_config = ConfigDict(extra="forbid")


def canonical(data: Any) -> bytes:
    """Stable JSON bytes (sorted keys, no spaces); hashes of wire objects are taken over these."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def digest_of(model: BaseModel) -> str:
    return hashlib.sha256(canonical(model.model_dump(mode="json"))).hexdigest()


class OfficeInfo(Wire):
    """An office as other offices see it: never its token."""

    name: str
    credit_code: str
    office_type: str = ""
    office_level: str = ""


class OfficeList(Wire):
    offices: list[OfficeInfo]


class BlobRef(Wire):
    """An attachment's bytes, addressed by SHA-256."""

    sha256: Sha256
    size: int = Field(ge=0, le=MAX_BLOB_SIZE)
    mime: str = Field(default="application/octet-stream", max_length=100)
    name: str = Field(default="", max_length=300)


class ManifestEntry(Wire):
    """One application revision in a batch; `application` is its canonical JSON, hashed as is."""

    application_id: UUID
    revision: Sha256
    supersedes: Sha256 | None = None
    series: Name
    level: Name
    year: int = Field(ge=2000, le=2100)
    blobs: list[BlobRef] = Field(default_factory=list, max_length=2000)
    application: str = Field(min_length=2, max_length=MAX_APPLICATION_JSON)


class Manifest(Wire):
    """What a sealed batch carries. Sealed batches never change; the hash binds the batch id."""

    format: Literal["zcreview-batch"] = MANIFEST_FORMAT
    version: Literal[1] = PROTOCOL_VERSION
    batch_id: UUID
    to_office: Name = Field(description="统一社会信用代码 of the receiving office")
    series: Name
    level: Name
    year: int = Field(ge=2000, le=2100)
    sealed_by: Name = Field(description="实名审核人")
    entries: list[ManifestEntry] = Field(min_length=1, max_length=MAX_ENTRIES)

    def digest(self) -> str:
        return digest_of(self)

    def unique_blobs(self) -> list[BlobRef]:
        """Each blob once, in first-seen order (identical scans across applicants travel once)."""
        seen: dict[str, BlobRef] = {}
        for entry in self.entries:
            for blob in entry.blobs:
                seen.setdefault(blob.sha256, blob)
        return list(seen.values())


class BlobNeed(Wire):
    """A blob the hub lacks, and how many of its bytes it already holds."""

    sha256: Sha256
    size: int
    have: int


class OfferAnswer(Wire):
    batch_id: UUID
    manifest_hash: Sha256
    missing: list[BlobNeed]
    committed: bool = False


class UploadState(Wire):
    """Where an upload stands: the next byte the hub expects."""

    blob_id: Sha256
    offset: int
    size: int
    complete: bool


class EntryResult(Wire):
    """The hub's answer for one application of a batch."""

    application_id: UUID
    revision: Sha256
    accepted: bool
    reasons: list[str] = Field(default_factory=list)
    seq: int | None = None
    duplicate: bool = False


class Receipt(Wire):
    """The stored outcome of a commit; a replayed commit returns the same receipt."""

    batch_id: UUID
    manifest_hash: Sha256
    from_office: OfficeInfo
    to_office: OfficeInfo
    results: list[EntryResult]
    committed_at: datetime = Field(description="Hub clock, for display only; order is by seq")

    @property
    def accepted(self) -> list[EntryResult]:
        return [r for r in self.results if r.accepted]

    @property
    def rejected(self) -> list[EntryResult]:
        return [r for r in self.results if not r.accepted]


class InboxItem(Wire):
    """An application reported to this office: metadata and JSON; attachments fetched on demand."""

    seq: int
    batch_id: UUID
    application_id: UUID
    revision: Sha256
    supersedes: Sha256 | None = None
    from_office: OfficeInfo
    series: str
    level: str
    year: int
    blobs: list[BlobRef]
    application: str


class InboxPage(Wire):
    items: list[InboxItem]
    cursor: int = Field(description="Pass as `after` next time")
    more: bool


class Correction(Wire):
    """One item of a one-shot correction list (002 §5(6)): the field or attachment and why.

    The wire form of `zcreview.domain.corrections.CorrectionItem`.
    """

    item: str = Field(max_length=200, description="Field path, e.g. education.basis.chsi_code")
    reason: Text
    detail: Text = Field(default="", description="The reviewer's own words")
    label: str = Field(default="", max_length=200, description="The item's Chinese name")
    reason_id: str = Field(default="", max_length=100, description="Return-reason template id")

    @classmethod
    def from_item(cls, item: CorrectionItem) -> Correction:
        return cls(
            item=item.field_path,
            reason=item.reason,
            detail=item.note,
            label=item.label,
            reason_id=item.reason_id,
        )

    def to_item(self) -> CorrectionItem:
        return CorrectionItem(
            field_path=self.item,
            label=self.label,
            reason_id=self.reason_id,
            reason=self.reason,
            note=self.detail,
        )


class ReturnRequest(Wire):
    """An upper office returns one revision down, with the whole correction list and a deadline."""

    application_id: UUID
    revision: Sha256
    corrections: list[Correction] = Field(min_length=1, max_length=200)
    deadline: date
    message: Text = ""


class ReturnItem(Wire):
    return_id: UUID
    seq: int
    application_id: UUID
    revision: Sha256
    corrections: list[Correction]
    deadline: date
    message: str = ""
    from_office: OfficeInfo
    to_office: OfficeInfo
    created_at: datetime


class ReturnsPage(Wire):
    items: list[ReturnItem]
    cursor: int
    more: bool


class PathRequest(Wire):
    """路径申请: the lower office asks to report this series and level to `upper_office`."""

    upper_office: Name = Field(description="统一社会信用代码 of the upper office")
    series: Name
    level: Name
    year: int = Field(ge=2000, le=2100)


class PathDecision(Wire):
    """路径审核 by the upper office."""

    approve: bool
    reason: Text = ""


class PathInfo(Wire):
    path_id: UUID
    lower_office: OfficeInfo
    upper_office: OfficeInfo
    series: str
    level: str
    year: int
    state: PathState
    reason: str = ""
    requested_at: datetime
    decided_at: datetime | None = None
    reused: bool = Field(default=False, description="An approved path of an earlier request")


class PathList(Wire):
    paths: list[PathInfo]


class AckRequest(Wire):
    """The office has durably applied a feed up to `cursor` (the hub keeps the highest)."""

    cursor: int = Field(ge=0, le=MAX_SEQ)


class AckAnswer(Wire):
    feed: Literal["inbox", "returns"]
    cursor: int


class AuditHead(Wire):
    """The end of an office's audit chain: the hub keeps the newest one each office sends."""

    seq: int = Field(ge=0, le=2**63 - 1)
    hash: str = Field(pattern="^[0-9a-f]{64}$")


class ErrorBody(Wire):
    """Every refusal: a machine code and a message in Chinese and English."""

    error: str
    message: str
    offset: int | None = None
    missing: list[Sha256] | None = None


WIRE_MODELS: tuple[type[Wire], ...] = (
    OfficeInfo,
    OfficeList,
    BlobRef,
    ManifestEntry,
    Manifest,
    BlobNeed,
    OfferAnswer,
    UploadState,
    EntryResult,
    Receipt,
    InboxItem,
    InboxPage,
    Correction,
    ReturnRequest,
    ReturnItem,
    ReturnsPage,
    PathRequest,
    PathDecision,
    PathInfo,
    PathList,
    AckRequest,
    AckAnswer,
    AuditHead,
    ErrorBody,
)
