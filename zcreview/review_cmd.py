"""Review subcommands: `audit verify`, `export notice`, `export list`, `expire` (for cron)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from zcreview.context import Context, acting_user, open_context
from zcreview.errors import UserError


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the review subcommands to the `zcreview` parser (called by `zcreview.cli`)."""
    p = sub.add_parser(
        "audit",
        parents=[common],
        help="audit log: verify the hash chain, show an application's history",
        description="审计日志：校验哈希链是否完整；查看一份申报的历史",
    )
    asub = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    v = asub.add_parser(
        "verify",
        parents=[common],
        help="check every entry; exit 0 if intact, 1 if edited, deleted or reordered",
    )
    v.set_defaults(handler=cmd_audit_verify)
    show = asub.add_parser(
        "show",
        parents=[common],
        help="the history of one application: claims, flags, decisions, reports, receipts",
    )
    show.add_argument(
        "app_id", metavar="APP", help="申报编号 (or its first 8 characters) or 身份证号"
    )
    show.set_defaults(handler=cmd_audit_show)

    p = sub.add_parser(
        "export",
        parents=[common],
        help="export a correction notice or a decision list",
        description="导出补正告知书或审核结果一览表",
    )
    esub = p.add_subparsers(dest="export_command", metavar="WHAT", required=True)
    n = esub.add_parser(
        "notice",
        parents=[common],
        help="the last correction notice of an application (text to stdout unless --pdf/--text)",
    )
    n.add_argument(
        "app_id",
        metavar="APP_ID",
        help="申报编号 (or the first 8 characters shown on screen) or the applicant's 身份证号",
    )
    n.add_argument("--pdf", type=Path, help="write a printable PDF here")
    n.add_argument("--text", type=Path, help="write the text here (UTF-8)")
    n.set_defaults(handler=cmd_export_notice)

    lst = esub.add_parser("list", parents=[common], help="decision list (一览表) as CSV or XLSX")
    lst.add_argument("--year", type=int, help="年度")
    lst.add_argument("--level", help="申报级别, e.g. 中级")
    lst.add_argument("--series", help="申报系列, e.g. 工程技术")
    lst.add_argument(
        "--state", action="append", default=[], help="状态 (repeatable), e.g. 通过未上报"
    )
    lst.add_argument("--out", type=Path, required=True, help="FILE.csv or FILE.xlsx")
    lst.add_argument(
        "--full-id", action="store_true", help="write ID numbers unmasked (office filing only)"
    )
    lst.add_argument("--reviewer", help="who exports (recorded in the audit log)")
    lst.set_defaults(handler=cmd_export_list)

    e = sub.add_parser(
        "expire",
        parents=[common],
        help="mark returns past their deadline as 逾期放弃 (run daily from cron)",
        description="把超过补正期限仍未补正的申报标记为逾期放弃",
    )
    e.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
    e.set_defaults(handler=cmd_expire)


def resolve_application(ref: str, session: Any) -> str:
    """The one application `ref` names (申报编号, a prefix of it, or a 身份证号); a clear
    message when it names none or several."""
    from zcreview.storage.applications import find_applications, short_id

    found = find_applications(ref, session=session)
    if not found:
        raise UserError(f"没有申报编号或身份证号为“{ref}”的申报")
    if len(found) > 1:
        lines = [
            f"  {short_id(r.id)}  {r.name}  {r.year}年度 {r.level} {r.title}  {r.state}"
            for r in found
        ]
        raise UserError(f"“{ref}”对应 {len(found)} 份申报，请用申报编号指明：\n" + "\n".join(lines))
    return found[0].id


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from zcreview.storage.audit import verify_audit

    ctx = open_context(args)
    note = ""
    try:
        with ctx.store.session() as s:
            report = verify_audit(s)
            witnessed, note = _hub_witness(ctx, s)
        report = replace(report, problems=report.problems + tuple(witnessed))
    finally:
        ctx.store.dispose()
    out = sys.stdout if report.ok else sys.stderr
    print(report.text(), file=out)
    if note:
        print(note, file=out)
    return 0 if report.ok else 1


def _hub_witness(ctx: Context, session: Any) -> tuple[list[Any], str]:
    """Compare the chain with the head the hub holds for this office, when there is a hub and
    it answers; problems found, and a line saying what was compared."""
    if not isinstance(ctx.settings.extra.get("sync"), dict):
        return [], ""
    from zcreview.sync.audithead import compare
    from zcreview.sync.config import open_transport
    from zcreview.sync.transport import SyncError

    try:
        transport = open_transport(ctx.settings, give_up_after=10)
        try:
            witness = transport.audit_head()
        finally:
            transport.close()
    except SyncError as exc:
        return [], f"未能与上报平台记录的链尾比对（{exc}）"
    if witness is None:
        return [], ""
    return compare(
        witness, session, "上报平台"
    ), f"已与上报平台记录的链尾（第 {witness.seq} 条）比对"


def cmd_audit_show(args: argparse.Namespace) -> int:
    from zcreview.domain.corrections import to_local
    from zcreview.storage.applications import get_row, short_id
    from zcreview.storage.history import application_history

    ctx = open_context(args)
    try:
        with ctx.store.session() as s:
            app_id = resolve_application(args.app_id, s)
            row = get_row(app_id, session=s)
            entries = application_history(app_id, session=s)
    finally:
        ctx.store.dispose()
    if row is not None:
        print(f"{row.name}  {row.year}年度 {row.level} {row.series} {row.title}  {row.state}")
    print(f"申报编号 {app_id}（{short_id(app_id)}）")
    for e in entries:
        who = f"{e.actor}  " if e.actor else ""
        print(f"{to_local(e.at):%Y-%m-%d %H:%M}  {who}{e.what}")
    return 0


def cmd_export_notice(args: argparse.Namespace) -> int:
    from zcreview.exports import write_notice_pdf, write_notice_text
    from zcreview.storage.applications import get_row
    from zcreview.storage.notices import last_return

    ctx = open_context(args)
    try:
        with ctx.store.session() as s:
            app_id = resolve_application(args.app_id, s)
            ret = last_return(app_id, session=s)
            if ret is None:
                row = get_row(app_id, session=s)
                who = f"（{row.name}，{row.state}）" if row is not None else ""
                raise UserError(f"申报 {app_id}{who}没有退回记录，无补正告知书可导出")
            text = ret.notice_text
    finally:
        ctx.store.dispose()
    if args.text is not None:
        write_notice_text(text, args.text)
        print(f"已写出 {args.text}")
    if args.pdf is not None:
        write_notice_pdf(text, args.pdf)
        print(f"已写出 {args.pdf}")
    if args.text is None and args.pdf is None:
        sys.stdout.write(text)
    return 0


def cmd_export_list(args: argparse.Namespace) -> int:
    from zcreview.domain.corrections import to_local
    from zcreview.exports import write_list
    from zcreview.storage import audit
    from zcreview.storage.office import get_self
    from zcreview.storage.queue import QueueFilter
    from zcreview.storage.review_reads import decision_list

    if args.out.suffix.lower() not in (".csv", ".xlsx"):
        raise UserError(f"不支持的导出格式“{args.out.suffix}”，请使用 .csv 或 .xlsx")
    flt = QueueFilter(
        year=args.year, level=args.level, series=args.series, states=frozenset(args.state)
    )
    ctx = open_context(args)
    try:
        with ctx.store.session() as s:
            rows = decision_list(flt, session=s)
            me = get_self(session=s)
            scope = [f"{args.year}年度" if args.year else "", args.level or "", args.series or ""]
            when = f"导出于 {to_local(datetime.now(UTC)):%Y-%m-%d %H:%M}"
            parts = [me.name if me is not None else "", " ".join(p for p in scope if p), when]
            caption = "，".join(p for p in parts if p)
            write_list(rows, args.out, mask_ids=not args.full_id, caption=caption)
            # Personal data leaves the office database: record who took what.
            payload: dict[str, Any] = {
                "what": "decision_list",
                "file": args.out.name,
                "rows": len(rows),
                "filter": {
                    "year": args.year,
                    "level": args.level,
                    "series": args.series,
                    "states": sorted(args.state),
                },
                "full_id": bool(args.full_id),
            }
            audit.append(session=s, actor=acting_user(args, ctx), action="export", payload=payload)
            s.commit()
    finally:
        ctx.store.dispose()
    print(f"已导出 {len(rows)} 条到 {args.out}")
    return 0


def cmd_expire(args: argparse.Namespace) -> int:
    from zcreview.domain.corrections import local_today
    from zcreview.storage.decisions import expire_overdue

    today = args.today or local_today()
    ctx = open_context(args)
    try:
        with ctx.store.session() as s:
            moved = expire_overdue(today, session=s)
            s.commit()
    finally:
        ctx.store.dispose()
    print(f"逾期未补正，标记为逾期放弃：{len(moved)} 份")
    for app_id in moved:
        print(f"  {app_id}")
    return 0
