"""Commands `sync` (send, fetch and witness once) and `report` (数据上报: seal and send)."""

from __future__ import annotations

import argparse

from sqlmodel import col, select

from zcreview.domain.workflow import State
from zcreview.settings import Settings
from zcreview.storage.office import list_reviewers
from zcreview.storage.store import Store
from zcreview.storage.tables import ApplicationRow
from zcreview.sync.cli_office import CliError, lower_hub_of, say, with_office
from zcreview.sync.cli_results import print_drives, print_imported, print_receipt
from zcreview.sync.transport import AwaitingReceipt, Transport


@with_office
def cmd_sync(
    args: argparse.Namespace, settings: Settings, store: Store, transport: Transport
) -> int:
    from zcreview.sync import routes

    # Bundles from below first (whatever the upward transport), from every exchange folder a
    # lower office used that is plugged in now.
    status = print_imported(routes.import_from_below(store, transport))
    for sent in routes.push_bundle_returns(store, transport):
        say(f"已退回下级：{sent.application_id} → {sent.to_name}（写入文件夹）")
    hub = lower_hub_of(settings, args)
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
    status = print_drives(drive_all(transport, store))
    for sent in routes.push_returns(store, transport, hub):
        say(f"已退回下级：{sent.application_id} → {sent.to_name}")
    received = routes.pull_inbox(store, transport, hub)
    for r in received:
        if r.outcome != "unchanged":
            say(f"收到上报：{r.name or r.application_id}（{r.from_office}，{r.outcome}）")
            if r.note:
                say(f"  拒收：{r.note}")
    for a in pull_returns(transport, store):
        note = f"：{a.note}" if a.note else ""
        say(f"上级退回：{a.application_id}{note}")
    if args.prefetch:
        say(f"已下载附件 {_size(prefetch(store, transport))}")
    audithead.push(transport, store)  # a witness of the audit log outside the office
    return status


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


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


@with_office
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
    say(f"已封存批次 {batch_id}（{len(ids)} 份）")
    try:
        receipt = drive(batch_id, transport, store)
    except AwaitingReceipt as exc:  # a folder bundle: the receipt comes back later
        say(str(exc))
        return 0
    print_receipt(receipt)
    return 1 if receipt.rejected else 0
