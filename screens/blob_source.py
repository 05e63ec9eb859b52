"""Attachment bytes for the previewer: local blobs, or fetched from the hub when not yet here.

Applications reported from below arrive as records only (sync.md, Inbox); their scans are
downloaded when a reviewer first previews them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from zcreview.settings import Settings
from zcreview.storage.store import Store
from zcreview.sync.service import SyncService


class HasOffice(Protocol):
    """What the reader needs: the office's store and settings (the app, or ReviewServices)."""

    @property
    def store(self) -> Store: ...
    @property
    def settings(self) -> Settings: ...


def make_blob_reader(ctx: HasOffice, service: SyncService | None = None) -> Callable[[str], bytes]:
    """`sha256 -> bytes` for `Previewer`: the blob store first, then the hub (resumable, hash
    checked) when sync is configured. Raises like `BlobStore.read` when neither has it.

    `service` defaults to the app's own (`ctx.sync_service`) or, failing that, a service made
    on the first missing blob; called from preview worker threads.
    """
    store = ctx.store
    lock = threading.Lock()
    made: list[SyncService] = []

    def hub() -> SyncService | None:
        if service is not None:
            return service
        shared = getattr(ctx, "sync_service", None)
        if isinstance(shared, SyncService):
            return shared
        with lock:
            if not made:
                made.append(SyncService(ctx.settings, store))
            return made[0]

    def read(sha256: str) -> bytes:
        if store.blobs.has(sha256):
            return store.blobs.read(sha256)
        source = hub()
        if source is None or not source.enabled:
            return store.blobs.read(sha256)  # raises: not here, and no hub to ask
        return source.fetch_blob(sha256)

    return read
