"""`zcreview stats [--json | --xlsx FILE]`: the office statistics the 统计 screen shows."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from zcreview.errors import UserError

DEFAULT_DUE_DAYS = 2
DEFAULT_DAYS = 14


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add `stats` to the `zcreview` parser (called by `zcreview.cli`)."""
    p = sub.add_parser(
        "stats",
        parents=[common],
        help="office statistics: counts, reviewers per day, deadlines, batches",
        description="统计：按年度、级别、系列、状态（及上报单位）的件数，审核人每日工作量，"
        "临近和逾期的补正期限，数据上报批次",
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="one JSON object")
    out.add_argument("--xlsx", type=Path, metavar="FILE", help="write a workbook")
    p.add_argument(
        "--due-days",
        type=int,
        default=DEFAULT_DUE_DAYS,
        metavar="N",
        help=f"returns due within N working days (default {DEFAULT_DUE_DAYS})",
    )
    p.add_argument(
        "--days",
        type=int,
        default=DEFAULT_DAYS,
        metavar="N",
        help=f"reviewers' work over the last N days (default {DEFAULT_DAYS})",
    )
    p.add_argument("--today", type=date.fromisoformat, help="as of this day, YYYY-MM-DD")
    p.set_defaults(handler=cmd_stats)


def cmd_stats(args: argparse.Namespace) -> int:
    from zcreview.configfiles import load_config
    from zcreview.context import acting_user, open_context
    from zcreview.domain.corrections import local_today, policy_from_config, to_local
    from zcreview.stats_report import as_text, due_by, stats_export_payload, write_xlsx
    from zcreview.storage import audit
    from zcreview.storage.office import get_self
    from zcreview.storage.stats import office_stats

    if args.due_days < 0 or args.days < 1:
        raise UserError("--due-days 不能为负数，--days 至少为 1")
    if args.xlsx is not None and args.xlsx.suffix.lower() != ".xlsx":
        raise UserError(f"--xlsx 的文件名应以 .xlsx 结尾：{args.xlsx}")
    today = args.today or local_today()
    policy = policy_from_config(load_config())
    ctx = open_context(args)
    try:
        with ctx.store.session() as s:
            stats = office_stats(
                session=s,
                today=today,
                due_by=due_by(today, args.due_days, policy),
                due_days=args.due_days,
                days=args.days,
            )
            me = get_self(session=s)
        if args.xlsx is not None:
            when = f"统计于 {to_local(datetime.now(UTC)):%Y-%m-%d %H:%M}"
            caption = "，".join(p for p in (me.name if me is not None else "", when) if p)
            try:
                write_xlsx(stats, args.xlsx, caption=caption)
            except OSError as exc:
                raise UserError(f"无法写入 {args.xlsx}：{exc.strerror or exc}") from None
            # Names of applicants with returns due leave the database: record who took them.
            with ctx.store.session() as s:
                payload = stats_export_payload(stats, args.xlsx)
                audit.append(
                    session=s, actor=acting_user(args, ctx), action="export", payload=payload
                )
                s.commit()
            print(f"已导出统计到 {args.xlsx}")
            return 0
    finally:
        ctx.store.dispose()
    if args.json:
        json.dump(stats.as_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    width = min(120, shutil.get_terminal_size((100, 24)).columns)
    sys.stdout.write(as_text(stats, width))
    return 0
