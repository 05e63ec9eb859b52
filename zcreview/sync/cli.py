"""Commands `sync`, `path`, `report` and `bundle`; registered by zcreview.cli."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from zcreview.commands import Handler, command_adder
from zcreview.domain.text import terminal_safe
from zcreview.domain.workflow import State
from zcreview.settings import Settings, SettingsError, load_settings
from zcreview.storage.office import list_reviewers
from zcreview.storage.store import Store, open_store
from zcreview.storage.tables import ApplicationRow
from zcreview.sync.transport import AwaitingReceipt, SyncError, Transport

CLI_GIVE_UP = 300.0


class CliError(Exception):
    """A problem the user can fix; printed without a traceback."""


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


def _friendly(fn: Handler) -> Handler:
    @functools.wraps(fn)
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except (CliError, SyncError, SettingsError) as exc:
            print(f"zcreview: {terminal_safe(exc)}", file=sys.stderr)
            return 2

    return wrapper


def _say(text: str) -> None:
    # Office names, reasons and notes come from other offices: none of their escape sequences
    # or control characters may reach this terminal.
    print(terminal_safe(text), flush=True)


# ---------------------------------------------------------------- office side


def _office(args: argparse.Namespace) -> tuple[Settings, Store]:
    """Settings and the opened store (not via zcreview.context: sync sits below the CLI)."""
    settings = load_settings(getattr(args, "home", None), getattr(args, "db", None))
    try:
        store = open_store(settings.home, settings.db_url)
    except Exception as exc:  # unreachable server, bad URL, schema too new
        raise CliError(f"无法打开办公数据库（{settings.db_url or settings.home}）：{exc}") from exc
    return settings, store


def _transport(settings: Settings, args: argparse.Namespace) -> Transport:
    from zcreview.sync.config import open_transport

    give_up = getattr(args, "give_up_after", CLI_GIVE_UP)
    return open_transport(settings, give_up_after=give_up if give_up and give_up > 0 else None)


def _lower_hub(settings: Settings, args: argparse.Namespace) -> Transport | None:
    """The hub lower offices report to when the office reports upward by folder (else None)."""
    from zcreview.sync.config import open_lower_hub

    give_up = getattr(args, "give_up_after", CLI_GIVE_UP)
    return open_lower_hub(settings, give_up_after=give_up if give_up and give_up > 0 else None)


def _with_office(fn: Callable[[argparse.Namespace, Settings, Store, Transport], int]) -> Handler:
    """Open settings, store and transport for a command, and close them afterwards."""

    @_friendly
    @functools.wraps(fn)
    def wrapper(args: argparse.Namespace) -> int:
        settings, store = _office(args)
        try:
            transport = _transport(settings, args)
            try:
                return fn(args, settings, store, transport)
            finally:
                transport.close()
        finally:
            store.dispose()

    return wrapper


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _print_receipt(receipt: Any) -> None:
    from zcreview.protocol import Receipt

    assert isinstance(receipt, Receipt)
    _say(
        f"批次 {str(receipt.batch_id)[:8]} → {receipt.to_office.name}：接收 "
        f"{len(receipt.accepted)} 份，拒收 {len(receipt.rejected)} 份"
    )
    for r in receipt.rejected:
        _say(f"  拒收 {r.application_id}：{'；'.join(r.reasons)}")


def _print_drives(results: list[Any]) -> int:
    """A line per driven batch; 1 when a batch was refused."""
    status = 0
    for result in results:
        if result.receipt is not None:
            _print_receipt(result.receipt)
        elif result.waiting:
            _say(result.error)
        else:
            _say(f"批次 {result.batch_id[:8]} 被拒绝：{result.error}")
            status = 1
    return status


@_with_office
def cmd_sync(
    args: argparse.Namespace, settings: Settings, store: Store, transport: Transport
) -> int:
    from zcreview.sync import routes

    # Bundles from below first (whatever the upward transport), from every exchange folder a
    # lower office used that is plugged in now.
    status = _print_imported(routes.import_from_below(store, transport))
    for sent in routes.push_bundle_returns(store, transport):
        _say(f"已退回下级：{sent.application_id} → {sent.to_name}（写入文件夹）")
    hub = _lower_hub(settings, args)
    try:
        status = max(status, _sync_rest(args, store, transport, hub))
    finally:
        if hub is not None:
            hub.close()
    return status


def _sync_rest(
    args: argparse.Namespace, store: Store, transport: Transport, hub: Transport | None
) -> int:
    from zcreview.sync import audithead, routes
    from zcreview.sync.delivery import drive_all
    from zcreview.sync.inbox import prefetch, pull_returns

    routes.refresh_paths(store, transport, hub)
    status = _print_drives(drive_all(transport, store))
    for sent in routes.push_returns(store, transport, hub):
        _say(f"已退回下级：{sent.application_id} → {sent.to_name}")
    received = routes.pull_inbox(store, transport, hub)
    for r in received:
        if r.outcome != "unchanged":
            _say(f"收到上报：{r.name or r.application_id}（{r.from_office}，{r.outcome}）")
            if r.note:
                _say(f"  拒收：{r.note}")
    for a in pull_returns(transport, store):
        note = f"：{a.note}" if a.note else ""
        _say(f"上级退回：{a.application_id}{note}")
    if args.prefetch:
        _say(f"已下载附件 {_size(prefetch(store, transport))}")
    audithead.push(transport, store)  # a witness of the audit log outside the office
    return status


@_with_office
def cmd_path_request(
    args: argparse.Namespace, settings: Settings, store: Store, transport: Transport
) -> int:
    from zcreview.sync.paths import request_path

    info = request_path(store, transport, args.series, args.level, args.upper, args.year)
    state = {"pending": "待审核", "approved": "已通过", "rejected": "未通过"}[info.state]
    reused = "（沿用已有路径）" if info.reused else ""
    _say(
        f"路径 {info.path_id}：{info.lower_office.name} → {info.upper_office.name} "
        f"{info.series}·{info.level}：{state}{reused}"
    )
    return 0


@_friendly
def cmd_path_list(args: argparse.Namespace) -> int:
    from zcreview.sync.paths import local_paths
    from zcreview.sync.routes import VIA_LABELS, path_via, refresh_paths

    settings, store = _office(args)
    try:
        if args.offline:
            with store.session() as s:
                rows = local_paths(s)
        else:
            transport = _transport(settings, args)
            hub: Transport | None = None
            try:
                hub = _lower_hub(settings, args)
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
        _say(
            f"{r.path_id}\t{role}\t{r.lower_name} → {r.upper_name}\t{r.series}·{r.level}\t"
            f"{r.year}\t{states.get(r.state, r.state)}{reason}\t经{vias[r.path_id]}"
        )
    return 0


@_with_office
def cmd_path_decide(
    args: argparse.Namespace, settings: Settings, store: Store, transport: Transport
) -> int:
    from zcreview.sync.routes import decide_path

    hub = _lower_hub(settings, args)
    try:
        info = decide_path(store, transport, args.path_id, args.approve, args.reason, hub)
    finally:
        if hub is not None:
            hub.close()
    _say(f"路径 {info.path_id}：{'审核通过' if info.state == 'approved' else '审核不通过'}")
    return 0


def _reviewer(args: argparse.Namespace, settings: Settings, store: Store) -> str:
    with store.session() as s:
        names = [r.name for r in list_reviewers(session=s)]
    wanted = args.reviewer or settings.reviewer
    if wanted:
        if wanted not in names:  # 实名制: only a registered reviewer reports
            raise CliError(f"未登记的审核人：{wanted}（登记：zcreview reviewer add {wanted}）")
        return str(wanted)
    if len(names) == 1:
        return names[0]
    raise CliError("请用 --reviewer 指明实名审核人" + ("（尚未登记审核人）" if not names else ""))


@_with_office
def cmd_report(
    args: argparse.Namespace, settings: Settings, store: Store, transport: Transport
) -> int:
    from zcreview.sync.delivery import drive
    from zcreview.sync.outbox import approved_path, seal_batch
    from zcreview.sync.paths import refresh_paths

    reviewer = _reviewer(args, settings, store)
    if args.all == bool(args.app_ids):
        raise CliError("请给出申报编号，或用 --all 上报该年度、级别、系列全部通过未上报的申报")
    with store.session() as s:
        if approved_path(s, args.series, args.level) is None:
            s.close()
            refresh_paths(store, transport)  # approval may have come since the last sync
    with store.session() as s:
        ids = list(args.app_ids) or list(
            s.exec(
                select(ApplicationRow.id)
                .where(
                    ApplicationRow.year == args.year,
                    ApplicationRow.level == args.level,
                    ApplicationRow.series == args.series,
                    ApplicationRow.state == State.PASSED.value,
                )
                .order_by(col(ApplicationRow.submitted_on), col(ApplicationRow.id))
            ).all()
        )
        batch_id = seal_batch(
            s, ids, args.year, args.level, args.series, reviewer, blobs=store.blobs
        )
        s.commit()
    _say(f"已封存批次 {batch_id}（{len(ids)} 份）")
    try:
        receipt = drive(batch_id, transport, store)
    except AwaitingReceipt as exc:  # a folder bundle: the receipt comes back later
        _say(str(exc))
        return 0
    _print_receipt(receipt)
    return 1 if receipt.rejected else 0


# ---------------------------------------------------------------- folder bundles


def import_dir_of(store: Store, folder: Path, receipts_to: Path | None = None) -> list[Any]:
    from zcreview.sync.bundle_import import import_dir

    return list(import_dir(store, folder, receipts_to))


def _print_imported(results: list[Any]) -> int:
    """One line per bundle; 1 when any bundle was refused."""
    kinds = {
        "batch": "批次",
        "receipt": "回执",
        "return": "退回",
        "path-request": "路径申请",
        "path-decision": "路径审核",
        "path": "路径",
        "folder": "交换文件夹",
    }
    status = 0
    for r in results:
        what = f"{kinds.get(r.kind, r.kind)} {r.ident[:8]}"
        if r.error:
            _say(f"{what} 未导入：{r.error}")
            status = 1
        else:
            state = "已导入" if r.changed else "此前已导入，无变化"
            _say(f"{what} {state}" + (f"：{r.note}" if r.note else ""))
            for got in r.received:
                if got.outcome != "unchanged":
                    _say(f"  收到上报：{got.name or got.application_id}（{got.outcome}）")
                    if got.note:
                        _say(f"    拒收：{got.note}")
    return status


@_friendly
def cmd_bundle_key(args: argparse.Namespace) -> int:
    from zcreview.sync.bundle_trust import export_key
    from zcreview.sync.signing import fingerprint

    _, store = _office(args)
    try:
        key = export_key(store)
    finally:
        store.dispose()
    if args.out is None:
        sys.stdout.write(key.dumps())
        return 0
    from zcreview.sync.bundle_files import write_atomic

    write_atomic(args.out, key.dumps().encode())
    _say(f"已写出本单位公钥：{args.out}（指纹 {fingerprint(key.public_key)}）")
    return 0


@_friendly
def cmd_bundle_trust(args: argparse.Namespace) -> int:
    from zcreview.sync.bundle_trust import trust
    from zcreview.sync.signing import PublicKeyFile, fingerprint

    try:
        text = Path(args.keyfile).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"读不到公钥文件 {args.keyfile}：{exc}") from None
    key = PublicKeyFile.loads(text, str(args.keyfile))
    _, store = _office(args)
    try:
        row = trust(store, args.name, key)
    finally:
        store.dispose()
    _say(f"已信任：{row.name}（{row.credit_code}），指纹 {fingerprint(row.public_key)}")
    _say("请与对方电话核对指纹。")
    return 0


@_friendly
def cmd_bundle_import(args: argparse.Namespace) -> int:
    _, store = _office(args)
    try:
        results = import_dir_of(store, Path(args.dir), args.receipts_to)
    finally:
        store.dispose()
    if not results:
        _say(f"{args.dir} 中没有给本单位的文件")
    return _print_imported(results)


def _folder_transport(args: argparse.Namespace) -> tuple[Store, Transport]:
    from zcreview.sync.folder import FolderTransport

    _, store = _office(args)
    return store, FolderTransport(Path(args.dir), store, own_store=True)


@_friendly
def cmd_bundle_export(args: argparse.Namespace) -> int:
    from zcreview.sync.delivery import drive_all

    store, transport = _folder_transport(args)
    try:
        results = drive_all(transport, store)
    finally:
        transport.close()
    if not results:
        _say("没有待上报的批次")
    return _print_drives(results)


@_friendly
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
        _say(f"已写出退回：{row.application_id} → {row.to_name}")
    if not sent:
        _say("没有待送出的退回")
    return 0
