"""What the hub tells its operator: one log line per request naming the office, and metrics.

Uvicorn's access log shows addresses and ids; an administrator needs to know which office did
what. The endpoints put the authenticated office into the request state, this middleware writes
one line per request with it, and counts requests, durations and bytes for `/metrics` (the
Prometheus text format, through prometheus_client). Counts of offices, open batches and
deliveries are read from the database when scraped.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlmodel import Session, col, select

from zcreview.storage.sync_tables import HubBatch, HubDelivery, HubOffice, HubReturn

log = logging.getLogger("zcreview.hub.access")

METRICS_PATH = "/metrics"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_ID_RE = re.compile(r"/(?:[0-9a-f]{64}|[0-9a-fA-F-]{36})(?=/|$)")

Scope = dict[str, Any]
Message = dict[str, Any]


def route_of(path: str) -> str:
    """The path with blob hashes and batch/path/return ids replaced, so labels stay few."""
    if not path.startswith("/v1/") and path not in ("/healthz", "/openapi.json", METRICS_PATH):
        return "other"
    return _ID_RE.sub("/{id}", path)


class _HubGauges(Collector):
    """Gauges read from the hub database at scrape time."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with Session(self.engine) as s:
            offices = dict(
                s.exec(select(HubOffice.active, func.count()).group_by(col(HubOffice.active))).all()
            )
            open_batches = s.exec(
                select(func.count()).select_from(HubBatch).where(HubBatch.state == "offered")
            ).one()
            deliveries = s.exec(select(func.count()).select_from(HubDelivery)).one()
            returns = s.exec(select(func.count()).select_from(HubReturn)).one()
            newest = s.exec(select(func.max(col(HubDelivery.seq)))).one()
        g = GaugeMetricFamily("zcreview_hub_offices", "Registered offices", labels=["active"])
        g.add_metric(["true"], float(offices.get(True, 0)))
        g.add_metric(["false"], float(offices.get(False, 0)))
        yield g
        yield GaugeMetricFamily(
            "zcreview_hub_batches_open", "Batches offered and not committed", value=open_batches
        )
        yield GaugeMetricFamily(
            "zcreview_hub_deliveries", "Applications delivered to offices", value=deliveries
        )
        yield GaugeMetricFamily("zcreview_hub_returns", "Returns sent down", value=returns)
        yield GaugeMetricFamily(
            "zcreview_hub_sequence", "Newest hub sequence number", value=float(newest or 0)
        )


class Observed:
    """ASGI middleware: access log with office names, request metrics, and `/metrics`."""

    def __init__(self, app: Any, engine: Any) -> None:
        self.app = app
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "zcreview_hub_requests",
            "Requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.seconds = Histogram(
            "zcreview_hub_request_seconds",
            "Time to answer a request",
            ["route"],
            registry=self.registry,
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
        )
        self.received = Counter(
            "zcreview_hub_received_bytes", "Request body bytes received", registry=self.registry
        )
        self.sent = Counter(
            "zcreview_hub_sent_bytes", "Response body bytes sent", registry=self.registry
        )
        self.registry.register(_HubGauges(engine))

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == METRICS_PATH and scope["method"] == "GET":
            await self._metrics(send)
            return
        started = time.monotonic()
        seen = {"status": 500, "in": 0, "out": 0}

        async def counting_receive() -> Message:
            message: Message = await receive()
            seen["in"] += len(message.get("body", b""))
            return message

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = int(message["status"])
            elif message["type"] == "http.response.body":
                seen["out"] += len(message.get("body", b""))
            await send(message)

        scope.setdefault("state", {})
        try:
            await self.app(scope, counting_receive, counting_send)
        finally:
            self._record(scope, seen, time.monotonic() - started)

    def _record(self, scope: Scope, seen: dict[str, int], elapsed: float) -> None:
        route = route_of(scope["path"])
        method = scope["method"]
        self.requests.labels(method, route, str(seen["status"])).inc()
        self.seconds.labels(route).observe(elapsed)
        self.received.inc(seen["in"])
        self.sent.inc(seen["out"])
        office = scope["state"].get("office", "-")
        log.info(
            "office=%s %s %s %d %.0fms in=%d out=%d",
            office,
            method,
            scope["path"],
            seen["status"],
            elapsed * 1000,
            seen["in"],
            seen["out"],
        )

    async def _metrics(self, send: Any) -> None:
        body = generate_latest(self.registry)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", CONTENT_TYPE.encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
