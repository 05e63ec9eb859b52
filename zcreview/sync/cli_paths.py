"""Command `path`: request reporting paths, list them, and approve or reject them."""

from __future__ import annotations

import argparse
import sys

from zcreview.settings import Settings
from zcreview.storage.store import Store
from zcreview.sync.cli_office import (
    friendly,
    lower_hub_of,
    open_office,
    say,
    transport_of,
    with_office,
)
from zcreview.sync.transport import SyncError, Transport


@with_office
def cmd_path_request(
    args: argparse.Namespace, settings: Settings, store: Store, transport: Transport
) -> int:
    from zcreview.sync.paths import request_path

    info = request_path(store, transport, args.series, args.level, args.upper, args.year)
    state = {"pending": "待审核", "approved": "已通过", "rejected": "未通过"}[info.state]
    reused = "（沿用已有路径）" if info.reused else ""
    say(
        f"路径 {info.path_id}：{info.lower_office.name} → {info.upper_office.name} "
        f"{info.series}·{info.level}：{state}{reused}"
    )
    return 0


@friendly
def cmd_path_list(args: argparse.Namespace) -> int:
    from zcreview.sync.paths import local_paths
    from zcreview.sync.routes import VIA_LABELS, path_via, refresh_paths

    settings, store = open_office(args)
    try:
        if args.offline:
            with store.session() as s:
                rows = local_paths(s)
        else:
            transport = transport_of(settings, args)
            hub: Transport | None = None
            try:
                hub = lower_hub_of(settings, args)
                rows = refresh_paths(store, transport, hub)
            except SyncError as exc:
                # The hub is out of reach: the last known view beats no view at all.
                print(
                    f"zcreview: 暂时连不上上报中心（{exc}），以下是本地保存的路径，"
                    "可能不是最新情况",
                    file=sys.stderr,
                )
                with store.session() as s:
                    rows = local_paths(s)
            finally:
                transport.close()
                if hub is not None:
                    hub.close()
        with store.session() as s:
            vias = {r.path_id: VIA_LABELS[path_via(s, r)] for r in rows}
    finally:
        store.dispose()
    states = {"pending": "待审核", "approved": "已通过", "rejected": "未通过"}
    for r in rows:
        role = "申请" if r.role == "lower" else "待我审核" if r.state == "pending" else "下级"
        reason = f"（{r.reason}）" if r.reason else ""
        say(
            f"{r.path_id}\t{role}\t{r.lower_name} → {r.upper_name}\t{r.series}·{r.level}\t"
            f"{r.year}\t{states.get(r.state, r.state)}{reason}\t经{vias[r.path_id]}"
        )
    return 0


@with_office
def cmd_path_decide(
    args: argparse.Namespace, settings: Settings, store: Store, transport: Transport
) -> int:
    from zcreview.sync.routes import decide_path

    hub = lower_hub_of(settings, args)
    try:
        info = decide_path(store, transport, args.path_id, args.approve, args.reason, hub)
    finally:
        if hub is not None:
            hub.close()
    say(f"路径 {info.path_id}：{'审核通过' if info.state == 'approved' else '审核不通过'}")
    return 0
