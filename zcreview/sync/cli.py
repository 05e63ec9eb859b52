"""Commands `sync`, `path`, `report` and `bundle`; registered by zcreview.cli."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from zcreview.commands import command_adder
from zcreview.sync.cli_bundles import (
    cmd_bundle_export,
    cmd_bundle_import,
    cmd_bundle_key,
    cmd_bundle_returns,
    cmd_bundle_trust,
)
from zcreview.sync.cli_office import CLI_GIVE_UP
from zcreview.sync.cli_paths import cmd_path_decide, cmd_path_list, cmd_path_request
from zcreview.sync.cli_sync import cmd_report, cmd_sync


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the sync, path, report and bundle commands to the `zcreview` parser."""

    add = command_adder(common)

    p = add(
        sub, "sync", "send queued batches and returns, fetch inbox and returns (once)", cmd_sync
    )
    p.add_argument("--prefetch", action="store_true", help="also download received attachments")
    _give_up(p)

    p = add(sub, "path", "路径: request, list, approve or reject reporting paths")
    psub = p.add_subparsers(dest="path_command", metavar="ACTION", required=True)
    pr = add(psub, "request", "路径申请 to an upper office (searched by name)", cmd_path_request)
    pr.add_argument("--series", required=True, help="职称系列, e.g. 工程技术")
    pr.add_argument("--level", required=True, help="申报级别: 正高级/副高级/中级/助理级/员级")
    pr.add_argument("--upper", required=True, help="upper office name (fuzzy) or credit code")
    pr.add_argument("--year", type=int, default=date.today().year, help="年度")
    _give_up(pr)
    pl = add(psub, "list", "refresh and list paths (requested and to decide)", cmd_path_list)
    pl.add_argument("--offline", action="store_true", help="list the local copy only")
    _give_up(pl)
    for action, text in (
        ("approve", "路径审核通过"),
        ("reject", "路径审核不通过 (needs --reason)"),
    ):
        pd = add(psub, action, text, cmd_path_decide)
        pd.add_argument("path_id")
        pd.add_argument("--reason", default="")
        pd.set_defaults(approve=action == "approve")
        _give_up(pd)

    p = add(
        sub, "report", "数据上报: seal passed applications into a batch and send it", cmd_report
    )
    p.add_argument("--year", type=int, required=True, help="年度")
    p.add_argument("--level", required=True, help="申报级别")
    p.add_argument("--series", required=True, help="职称系列")
    p.add_argument(
        "--all", action="store_true", help="every 通过未上报 application of that selection"
    )
    p.add_argument(
        "--reviewer", default=None, help="实名审核人 (default: settings or the only one)"
    )
    p.add_argument("app_ids", nargs="*", metavar="APP_ID")
    _give_up(p)

    p = add(sub, "bundle", "folder bundles (USB stick, shared drive): keys, import, export")
    bsub = p.add_subparsers(dest="bundle_command", metavar="ACTION", required=True)
    key = add(bsub, "key", "this office's signing key")
    ksub = key.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    ke = add(ksub, "export", "print (or write) this office's public key file", cmd_bundle_key)
    ke.add_argument("--out", type=Path, default=None, help="write the key file here")
    bt = add(bsub, "trust", "trust another office's public key file", cmd_bundle_trust)
    bt.add_argument("name", help="the office's name or credit code, as a check on the file")
    bt.add_argument("keyfile", type=Path)
    bi = add(
        bsub, "import", "import bundles: a bundle or a whole exchange folder", cmd_bundle_import
    )
    bi.add_argument("dir", type=Path, help="a bundle, or the exchange folder (e.g. the USB stick)")
    bi.add_argument(
        "--receipts-to", type=Path, default=None, help="write receipts here (default: DIR)"
    )
    be = add(bsub, "export", "write unfinished batches as bundles into DIR", cmd_bundle_export)
    be.add_argument("dir", type=Path, help="exchange folder")
    br = add(
        bsub,
        "export-returns",
        "write queued returns for lower offices into DIR",
        cmd_bundle_returns,
    )
    br.add_argument("dir", type=Path, help="exchange folder")


def _give_up(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--give-up-after",
        type=float,
        default=CLI_GIVE_UP,
        metavar="SECONDS",
        help=f"stop retrying an unreachable hub after this long (default {CLI_GIVE_UP:.0f}; 0 = never)",
    )
