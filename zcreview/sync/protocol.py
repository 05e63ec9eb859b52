"""The wire models under their former name, for modules not yet moved to `zcreview.protocol`."""

from zcreview.protocol import (
    BlobNeed,
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
    Wire,
)

__all__ = [
    "BlobNeed",
    "InboxPage",
    "Manifest",
    "OfferAnswer",
    "OfficeInfo",
    "PathDecision",
    "PathInfo",
    "PathRequest",
    "Receipt",
    "ReturnItem",
    "ReturnRequest",
    "ReturnsPage",
    "Role",
    "Wire",
]
