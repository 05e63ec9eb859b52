"""Transports per direction: upward by the configured transport, downward by each lower office's.

An office reports upward over one transport (the hub over HTTP, or an exchange folder) and
serves lower offices over both at once: those that report to the hub are answered through it,
those that bring folder bundles are answered through the bundle hub in this office's database
and the exchange folder their bundles came from. Paths to decide are gathered from both,
a decision goes back the way its request came, and a return goes back the way the returned
application came — without touching settings.toml.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlmodel import Session, col, func, select

from zcreview.hub.errors import HubError
from zcreview.protocol import PathDecision, PathInfo
from zcreview.storage.store import Store
from zcreview.storage.sync_tables import (
    BundleOrigin,
    BundleSent,
    HubOffice,
    HubPath,
    InboxEntry,
    ReturnSent,
    SyncPath,
)
from zcreview.sync import inbox, paths
from zcreview.sync.bundle_files import BundleError
from zcreview.sync.bundle_hub import (
    bundle_hub_if_any,
    bundle_sender_of,
    came_by_bundle,
    local_hub,
    origins,
    path_in_bundle_hub,
    refusal,
)
from zcreview.sync.bundle_import import Imported, import_dir
from zcreview.sync.folder import FolderTransport
from zcreview.sync.transport import SyncError, Transport, Via

VIA_LABELS: dict[str, str] = {"http": "上报服务器", "folder": "文件夹", "": "—"}


def _feeds(up: Transport, hub: Transport | None) -> Transport | None:
    """The transport lower offices reporting over HTTP are served through, if any."""
    if hub is not None:
        return hub
    return None if isinstance(up, FolderTransport) else up


# ---------------------------------------------------------------- paths


def refresh_paths(store: Store, up: Transport, hub: Transport | None = None) -> list[SyncPath]:
    """This office's requests over the upward transport; requests to decide from the hub (if
    lower offices report over HTTP) and from the bundle hub (requests that came by folder)."""
    fetched: list[tuple[PathInfo, Literal["lower", "upper"], Via]] = [
        (info, "lower", up.VIA) for info in up.list_paths("lower")
    ]
    feeds = _feeds(up, hub)
    if feeds is not None:
        fetched += [(info, "upper", "http") for info in feeds.list_paths("upper")]
    if (bundle := bundle_hub_if_any(store)) is not None:
        fetched += [(info, "upper", "folder") for info in bundle[0].list_paths(bundle[1], "upper")]
    with store.session() as s:
        for info, role, via in fetched:
            paths.mirror(s, info, role, via)
        s.commit()
        return paths.local_paths(s)


def decide_path(
    store: Store,
    up: Transport,
    path_id: str,
    approve: bool,
    reason: str = "",
    hub: Transport | None = None,
) -> PathInfo:
    """路径审核 where the request came from: the bundle hub (the decision is then written into
    the lower office's exchange folder) or the hub over HTTP."""
    row = path_in_bundle_hub(store, path_id)
    if row is None:
        feeds = _feeds(up, hub)
        if feeds is None:
            raise paths.PathError(
                f"没有这个路径申请：{path_id}（文件夹中的申请请先 bundle import）"
            )
        return paths.decide_path(store, feeds, path_id, approve, reason)
    if not approve and not reason.strip():
        raise paths.PathError("审核不通过须写明原因（--reason）")
    bundle_hub, me = local_hub(store)
    try:
        info = bundle_hub.decide_path(me, path_id, PathDecision(approve=approve, reason=reason))
    except HubError as exc:
        raise refusal(exc) from None
    with store.session() as s:
        paths.mirror(s, info, "upper", "folder")
        s.commit()
    folder = _origin_folder(store, row.lower_id, up)
    try:
        FolderTransport(folder, store).publish_decision(info)
    except SyncError as exc:
        raise BundleError(
            f"审核结果已记录，但未能写入 {info.lower_office.name} 的交换文件夹 {folder}（{exc}）："
            "插入 U 盘后运行 zcreview sync 即写入"
        ) from None
    return info


def publish_decisions(store: Store, up: Transport) -> int:
    """Write every decided bundle path request's decision into its office's exchange folder
    when that folder is present (idempotent: an identical decision file is left alone)."""
    if (bundle := bundle_hub_if_any(store)) is None:
        return 0
    written = 0
    for info in bundle[0].list_paths(bundle[1], "upper"):
        if info.state == "pending":
            continue
        with store.session() as s:
            lower = s.exec(
                select(HubOffice).where(HubOffice.credit_code == info.lower_office.credit_code)
            ).first()
        if lower is None or lower.id is None:
            continue
        try:
            folder = _origin_folder(store, lower.id, up)
        except BundleError:
            continue
        if folder.parent.is_dir():
            FolderTransport(folder, store).publish_decision(info)
            written += 1
    return written


def _origin_folder(store: Store, lower_id: int, up: Transport) -> Path:
    with store.session() as s:
        office = s.get(HubOffice, lower_id)
        origin = s.get(BundleOrigin, office.credit_code) if office is not None else None
    if origin is not None:
        return Path(origin.folder)
    if isinstance(up, FolderTransport):
        return up.folder
    who = office.name if office is not None else str(lower_id)
    raise BundleError(f"不知道 {who} 的交换文件夹：请先从其文件夹导入（zcreview bundle import）")


# ---------------------------------------------------------------- returns and bundles


def return_route(
    store: Store, up: Transport, hub: Transport | None, *, bundles_only: bool = False
) -> inbox.Route:
    """Where each queued return goes: into the exchange folder of the office whose bundle
    brought the application, else to the hub (unless `bundles_only`). None (stays queued) when
    that folder is absent."""
    known = origins(store)

    def route(row: ReturnSent) -> Transport | None:
        sender = bundle_sender_of(store, row.application_id, row.revision)
        if sender is None:
            return None if bundles_only else _feeds(up, hub) or up
        origin = known.get(sender)
        folder = Path(origin.folder) if origin is not None else None
        if folder is None and isinstance(up, FolderTransport):
            folder = up.folder
        if folder is None or not folder.parent.is_dir():
            return None  # the stick is not plugged in: the return waits
        return FolderTransport(folder, store)

    return route


def push_returns(store: Store, up: Transport, hub: Transport | None = None) -> list[ReturnSent]:
    """Send queued returns down, each by the transport its application came by."""
    return inbox.push_returns(up, store, return_route(store, up, hub))


def push_bundle_returns(store: Store, up: Transport) -> list[ReturnSent]:
    """Send queued returns of applications that came by bundle (the hub is not needed: a
    county office without a network still answers the sticks that reach it)."""
    return inbox.push_returns(up, store, return_route(store, up, None, bundles_only=True))


def pull_inbox(store: Store, up: Transport, hub: Transport | None = None) -> list[inbox.Received]:
    """Applications reported over HTTP (bundles from below arrive by import)."""
    feeds = _feeds(up, hub)
    return [] if feeds is None else inbox.pull_inbox(feeds, store)


def import_from_below(store: Store, up: Transport) -> list[Imported]:
    """Import every exchange folder lower offices used that is present now (the upward folder,
    when there is one, too): new path requests and batches, receipts and returns."""
    folders: list[Path] = [Path(o.folder) for o in origins(store).values()]
    if isinstance(up, FolderTransport):
        folders.insert(0, up.folder)
    done: list[Imported] = []
    seen: set[Path] = set()
    for folder in folders:
        key = folder.resolve()
        if key in seen or not folder.is_dir():
            continue
        seen.add(key)
        try:
            done += import_dir(store, folder)
        except SyncError as exc:
            done.append(Imported("folder", str(folder), changed=False, error=str(exc)))
    publish_decisions(store, up)  # decisions made while the stick was out
    return done


# ---------------------------------------------------------------- what the screens show


@dataclass(frozen=True)
class LowerOffice:
    """A lower office this office serves, and how it reaches this office."""

    name: str
    credit_code: str
    via: Via
    folder: str = ""

    @property
    def label(self) -> str:
        if self.via == "folder":
            return f"{self.name}（文件夹 {self.folder}）"
        return f"{self.name}（上报服务器）"


def lower_offices(session: Session) -> list[LowerOffice]:
    """Offices that sent path requests or batches here, with the transport each uses."""
    found: dict[str, LowerOffice] = {}
    for o in session.exec(select(BundleOrigin)).all():
        found[o.credit_code] = LowerOffice(o.name, o.credit_code, "folder", o.folder)
    by_http = session.exec(
        select(InboxEntry.from_code, func.max(InboxEntry.from_name))
        .where(col(InboxEntry.seq) < 10**12)
        .group_by(col(InboxEntry.from_code))
    ).all()
    for code, name in by_http:
        found.setdefault(code, LowerOffice(name, code, "http"))
    for p in session.exec(select(SyncPath).where(SyncPath.role == "upper")).all():
        via: Via = "folder" if p.via == "folder" else "http"
        found.setdefault(p.lower_code, LowerOffice(p.lower_name, p.lower_code, via))
    return sorted(found.values(), key=lambda o: (o.via, o.name))


def path_via(session: Session, path: SyncPath) -> str:
    """ "http" or "folder" for a path (older rows: a request held by the bundle hub is folder)."""
    if path.via:
        return path.via
    if path.role == "upper":
        return "folder" if session.get(HubPath, path.path_id) is not None else "http"
    return ""


def batch_via(session: Session, batch_id: str) -> Via:
    """How a batch of this office went upward."""
    return "folder" if session.get(BundleSent, batch_id) is not None else "http"


def inbox_via(entry: InboxEntry) -> Via:
    return "folder" if came_by_bundle(entry.seq) else "http"
