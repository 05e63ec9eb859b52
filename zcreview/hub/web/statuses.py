"""The one table from a refusal's code to the HTTP status it travels with.

The hub's rules raise `HubError(code, …)` without a status; the web layer answers with the
status named here. Clients read both (`sync.http` retries by status, explains by code), so a
code's status is part of the wire contract: change one only with the clients.
"""

from __future__ import annotations

from typing import Final

from zcreview.protocol import CHECKSUM_MISMATCH

STATUS: Final[dict[str, int]] = {
    # malformed requests the web layer itself refuses
    "bad_offset": 400,
    "bad_checksum": 400,
    "bad_gzip": 400,
    "bad_range": 400,
    "method": 405,
    "too_large": 413,
    "bad_encoding": 415,
    "range_not_satisfiable": 416,
    "bad_id": 422,
    "bad_query": 422,
    "invalid_body": 422,
    "unknown_feed": 404,
    "internal": 500,
    # who may do what
    "unauthorized": 401,
    "forbidden": 403,
    "not_received": 403,
    # things that are not there
    "unknown_blob": 404,
    "unknown_batch": 404,
    "unknown_path": 404,
    # state that does not allow it (the client may look again)
    "conflict": 409,
    "office_exists": 409,
    "offset_mismatch": 409,
    "blobs_missing": 409,
    "path_conflict": 409,
    "path_decided": 409,
    # requests the rules refuse as they are
    "batch_id_mismatch": 422,
    "self_report": 422,
    "self_path": 422,
    "unknown_office": 422,
    "blob_size_conflict": 422,
    "bad_blob_id": 422,
    "too_long": 422,
    "blob_hash_mismatch": 422,
    "path_not_allowed": 422,
    "reason_required": 422,
    "empty_chunk": 400,
    "checksum_mismatch": CHECKSUM_MISMATCH,
}


def status_of(code: str) -> int:
    """The HTTP status of a refusal code; an unknown code is the hub's own fault (500)."""
    return STATUS.get(code, 500)
