"""Command `bundle`: folder bundles (USB stick, shared drive): keys, trust, import, export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from zcreview.storage.store import Store
from zcreview.sync.cli_office import CliError, friendly, open_office, say
from zcreview.sync.cli_results import print_drives, print_imported
from zcreview.sync.transport import Transport


def import_dir_of(store: Store, folder: Path, receipts_to: Path | None = None) -> list[Any]:
    from zcreview.sync.bundle_import import import_dir

    return list(import_dir(store, folder, receipts_to))


@friendly
def cmd_bundle_key(args: argparse.Namespace) -> int:
    from zcreview.sync.bundle_trust import export_key
    from zcreview.sync.signing import fingerprint

    _, store = open_office(args)
    try:
        key = export_key(store)
    finally:
        store.dispose()
    if args.out is None:
        sys.stdout.write(key.dumps())
        return 0
    from zcreview.sync.bundle_files import write_atomic

    write_atomic(args.out, key.dumps().encode())
    say(f"已写出本单位公钥：{args.out}（指纹 {fingerprint(key.public_key)}）")
    return 0


@friendly
def cmd_bundle_trust(args: argparse.Namespace) -> int:
    from zcreview.sync.bundle_trust import trust
    from zcreview.sync.signing import PublicKeyFile, fingerprint

    try:
        text = Path(args.keyfile).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"读不到公钥文件 {args.keyfile}：{exc}") from None
    key = PublicKeyFile.loads(text, str(args.keyfile))
    _, store = open_office(args)
    try:
        row = trust(store, args.name, key)
    finally:
        store.dispose()
    say(f"已信任：{row.name}（{row.credit_code}），指纹 {fingerprint(row.public_key)}")
    say("请与对方电话核对指纹。")
    return 0


@friendly
def cmd_bundle_import(args: argparse.Namespace) -> int:
    _, store = open_office(args)
    try:
        results = import_dir_of(store, Path(args.dir), args.receipts_to)
    finally:
        store.dispose()
    if not results:
        say(f"{args.dir} 中没有给本单位的文件")
    return print_imported(results)


def _folder_transport(args: argparse.Namespace) -> tuple[Store, Transport]:
    from zcreview.sync.folder import FolderTransport

    _, store = open_office(args)
    return store, FolderTransport(Path(args.dir), store, own_store=True)


@friendly
def cmd_bundle_export(args: argparse.Namespace) -> int:
    from zcreview.sync.delivery import drive_all

    store, transport = _folder_transport(args)
    try:
        results = drive_all(transport, store)
    finally:
        transport.close()
    if not results:
        say("没有待上报的批次")
    return print_drives(results)


@friendly
def cmd_bundle_returns(args: argparse.Namespace) -> int:
    from zcreview.sync.bundle_hub import bundle_sender_of
    from zcreview.sync.inbox import push_returns

    store, transport = _folder_transport(args)

    def by_bundle(row: Any) -> Transport | None:
        # Only applications that came by bundle can go back by bundle; the rest go by the hub.
        return transport if bundle_sender_of(store, row.application_id, row.revision) else None

    try:
        sent = push_returns(transport, store, by_bundle)
    finally:
        transport.close()
    for row in sent:
        say(f"已写出退回：{row.application_id} → {row.to_name}")
    if not sent:
        say("没有待送出的退回")
    return 0
