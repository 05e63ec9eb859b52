"""The route table (`API`) and the OpenAPI document written from it and the wire models."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from zcreview import __version__
from zcreview.protocol import (
    CHECKSUM_HEADER,
    CHECKSUM_MISMATCH,
    OFFSET_HEADER,
    WIRE_MODELS,
    AckAnswer,
    AckRequest,
    AuditHead,
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
)


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
