"""`zcreview backup DEST` / `restore SRC`: a consistent copy of the office and its verified restore."""

from __future__ import annotations

import argparse

from zcreview.context import resolve_settings
from zcreview.errors import UserError


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add `backup` and `restore` to the `zcreview` parser (called by `zcreview.cli`)."""
    b = sub.add_parser(
        "backup",
        parents=[common],
        help="back up this office (database, attachments, keys, settings) into a new folder",
        description="备份本单位：数据库（在线一致副本或 pg_dump）、附件、密钥、设置。"
        "备份含个人信息和签名密钥，请妥善保管。",
    )
    b.add_argument("dest", help="a new, empty folder")
    b.set_defaults(handler=cmd_backup)
    r = sub.add_parser(
        "restore",
        parents=[common],
        help="restore a backup into a new office home (and --db), then verify the audit log",
        description="把备份恢复到一个新的数据目录（PostgreSQL 用 --db 指定空数据库），恢复后校验审计日志",
    )
    r.add_argument("src", help="a folder written by `zcreview backup`")
    r.set_defaults(handler=cmd_restore)


def _size(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB" if n >= 1_048_576 else f"{n / 1024:.0f} KB"


def cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from zcreview.storage.backup import BackupError, backup

    settings = resolve_settings(args)
    try:
        done = backup(settings.home, Path(args.dest), db_url=settings.db_url, kind="office")
    except BackupError as exc:
        raise UserError(str(exc)) from None
    print(
        f"已备份到 {done.dest}：数据库（{done.database}）和 {done.files} 个文件，共 {_size(done.bytes)}。"
    )
    print("备份含申报人个人信息和本单位签名密钥：请存放在安全的位置。")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from zcreview.context import open_context
    from zcreview.storage.audit import verify_audit
    from zcreview.storage.backup import BackupError, restore

    settings = resolve_settings(args)
    try:
        manifest = restore(Path(args.src), settings.home, db_url=settings.db_url, kind="office")
    except BackupError as exc:
        raise UserError(str(exc)) from None
    ctx = open_context(settings=settings)
    try:
        with ctx.store.session() as s:
            report = verify_audit(s)
    finally:
        ctx.store.dispose()
    print(f"已从 {args.src}（{manifest['created_at']}）恢复到 {settings.home}")
    print(report.text())
    return 0 if report.ok else 1
