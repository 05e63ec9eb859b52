"""Commands `serve` and `hub …` (offices, audit trail, backup); registered by zcreview.cli.

Refusals are `UserError`s: printed without a traceback, exit 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from zcreview.commands import command_adder
from zcreview.domain.text import terminal_safe
from zcreview.errors import UserError
from zcreview.hub.core import Hub
from zcreview.hub.errors import HubError

DEFAULT_PORT = 8765


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the `serve` and `hub` commands to the `zcreview` parser."""

    add = command_adder(common)

    def hub_data(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data",
            type=Path,
            default=None,
            help="hub data directory: blobs, hub.db (env ZCREVIEW_HUB_DATA); the hub's database "
            "is hub.db there, or --db / ZCREVIEW_HUB_DB for PostgreSQL (never ZCREVIEW_DB)",
        )

    p = add(sub, "serve", "run the 上报 hub (HTTP API for offices)", cmd_serve)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any)"
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="hub processes sharing the port, the database and the data folder (default 1)",
    )
    p.add_argument("--tls-cert", type=Path, help="serve HTTPS with this certificate (PEM chain)")
    p.add_argument("--tls-key", type=Path, help="the certificate's private key (PEM)")
    hub_data(p)

    p = add(sub, "hub", "administer the hub: register offices and print their tokens")
    hsub = p.add_subparsers(dest="hub_command", metavar="ACTION", required=True)
    office = add(hsub, "office", "offices registered at the hub")
    osub = office.add_subparsers(dest="office_command", metavar="ACTION", required=True)
    oa = add(osub, "add", "register an office; prints its token once", cmd_hub_office_add)
    oa.add_argument("name", help="office name as registered on the platform")
    oa.add_argument("--code", required=True, help="统一社会信用代码")
    oa.add_argument(
        "--type",
        dest="office_type",
        default="用人单位",
        help="用人单位 / 主管部门 / 人社局 / 呈报部门 / 评委会办事机构",
    )
    oa.add_argument("--level", dest="office_level", default="区县", help="区县 / 市直 / 省直")
    oa.add_argument("--token-only", action="store_true", help="print only the token (for scripts)")
    hub_data(oa)
    ol = add(osub, "list", "list registered offices", cmd_hub_office_list)
    hub_data(ol)
    for name, help_ in (
        ("rotate", "give an office a new token (printed once); the old one stops working"),
        ("revoke", "make an office's token worthless (rotate gives a new one)"),
        ("disable", "refuse every request of an office; its token and data are kept"),
        ("enable", "accept an office's requests again"),
        ("status", "last contact, open batches and cursor lag (all offices without CODE)"),
    ):
        oc = add(osub, name, help_, cmd_hub_office_admin)
        oc.add_argument("code", nargs="?" if name == "status" else None, help="统一社会信用代码")
        if name == "rotate":
            oc.add_argument("--token-only", action="store_true", help="print only the token")
        hub_data(oc)
    orn = add(osub, "rename", "change an office's name", cmd_hub_office_admin)
    orn.add_argument("code", help="统一社会信用代码")
    orn.add_argument("name", help="the new name")
    hub_data(orn)
    audit = add(hsub, "audit", "the hub's hash-chained audit trail")
    ausub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    av = add(ausub, "verify", "check the trail; exit 0 if intact, 1 otherwise", cmd_hub_audit)
    hub_data(av)
    ash = add(ausub, "show", "the newest entries of the trail", cmd_hub_audit)
    ash.add_argument("--limit", type=int, default=50, help="how many entries (default 50)")
    hub_data(ash)
    for name, help_, arg in (
        ("backup", "back up the hub (database, blobs) into a new folder", "dest"),
        ("restore", "restore a hub backup into a new data folder (and --db)", "src"),
    ):
        hb = add(hsub, name, help_, cmd_hub_backup if name == "backup" else cmd_hub_restore)
        hb.add_argument(arg)
        hub_data(hb)


def _hub_data(args: argparse.Namespace) -> Path:
    if getattr(args, "data", None):
        return Path(args.data).expanduser()
    env = os.environ.get("ZCREVIEW_HUB_DATA")
    return Path(env).expanduser() if env else Path(user_data_dir("zcreview-hub", appauthor=False))


def _hub_db(args: argparse.Namespace) -> str | None:
    # The office's ZCREVIEW_DB is not the hub's database; only --db or ZCREVIEW_HUB_DB are.
    return getattr(args, "db", None) or os.environ.get("ZCREVIEW_HUB_DB")


def _open_hub(args: argparse.Namespace, *, create: bool) -> Hub:
    """The hub of `--data`/`--db`; never a new empty one where an existing one was meant.

    Only `serve` and `hub office add` may create a hub. A configured PostgreSQL database that
    cannot be reached is an error, whatever the command.
    """
    data, db_url = _hub_data(args), _hub_db(args)
    if db_url is None and not (data / "hub.db").is_file() and not create:
        hint = ""
        if os.environ.get("ZCREVIEW_DB"):
            hint = (
                "（ZCREVIEW_DB 是办公单位的数据库，上报中心不读它：请用 --db 或 ZCREVIEW_HUB_DB）"
            )
        raise UserError(
            f"上报中心数据目录 {data} 中没有数据库 hub.db{hint}；"
            "用 --data（或 ZCREVIEW_HUB_DATA）指定数据目录，或用 --db 指定 PostgreSQL"
        )
    try:
        return Hub.open(data, db_url)
    except Exception as exc:  # unreachable server, bad URL, schema too new
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"无法打开上报中心数据库（{db_url or data / 'hub.db'}）：{first}") from None


def cmd_serve(args: argparse.Namespace) -> int:
    import copy

    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from zcreview.hub.web.app import observed_app

    if (args.tls_cert is None) != (args.tls_key is None):
        raise UserError("--tls-cert 和 --tls-key 要一起指定")
    for path in (args.tls_cert, args.tls_key):
        if path is not None and not path.is_file():
            raise UserError(f"找不到证书文件 {path}")
    # The hub's own lines (one per request naming the office, refusals worth a note, clients
    # going away) through uvicorn's handler; uvicorn's access log, which names no office, is off.
    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["loggers"]["zcreview"] = {"handlers": ["default"], "level": "INFO"}
    if args.workers < 1:
        raise UserError("--workers 至少为 1")
    data, db_url = _hub_data(args), _hub_db(args)
    app: Any
    if args.workers == 1:
        app = observed_app(data, db_url)
    else:
        # Each worker process builds its own app from these (uvicorn imports the factory).
        os.environ["ZCREVIEW_HUB_DATA"] = str(data.resolve())
        os.environ["ZCREVIEW_HUB_DB"] = db_url or ""
        Hub.open(data, db_url).dispose()  # migrate once, before the workers race to do it
        app = "zcreview.hub.web.app:app_from_environment"
    tls: dict[str, Any] = {}
    if args.tls_cert is not None:
        tls = {"ssl_certfile": str(args.tls_cert), "ssl_keyfile": str(args.tls_key)}
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="info",
        log_config=log_config,
        access_log=False,
        timeout_keep_alive=75,
        workers=args.workers,
        factory=args.workers > 1,
        **tls,
    )
    return 0


def cmd_hub_office_add(args: argparse.Namespace) -> int:
    hub = _open_hub(args, create=True)
    try:
        info, token = hub.add_office(args.name, args.code, args.office_type, args.office_level)
    except HubError as exc:
        raise UserError(exc.message.split(" / ")[0]) from None
    finally:
        hub.dispose()
    if args.token_only:
        _say(token)
        return 0
    _say(f"已登记：{info.name}（{info.credit_code}，{info.office_type}，{info.office_level}）")
    _say("访问令牌（只显示这一次，请交给该单位写入 settings.toml 的 [sync] token）：")
    _say(token)
    return 0


def cmd_hub_office_admin(args: argparse.Namespace) -> int:
    from zcreview.storage import hub_admin

    hub = _open_hub(args, create=False)
    action = args.office_command
    try:
        if action == "status":
            for st in hub_admin.status(hub.engine, args.code):
                _say(_status_line(st))
            return 0
        if action == "rotate":
            token = hub_admin.rotate_token(hub.engine, args.code)
            if args.token_only:
                _say(token)
                return 0
            _say(f"已更换 {args.code} 的访问令牌，旧令牌立即失效。新令牌（只显示这一次）：")
            _say(token)
            return 0
        if action == "revoke":
            hub_admin.revoke_token(hub.engine, args.code)
            _say(f"已吊销 {args.code} 的访问令牌；需要时用 `zcreview hub office rotate` 发新令牌")
        elif action in ("disable", "enable"):
            hub_admin.set_active(hub.engine, args.code, action == "enable")
            _say(f"已{'停用' if action == 'disable' else '启用'} {args.code}")
        elif action == "rename":
            hub_admin.rename(hub.engine, args.code, args.name)
            _say(f"已把 {args.code} 改名为 {args.name.strip()}")
    except hub_admin.AdminError as exc:
        raise UserError(str(exc)) from None
    finally:
        hub.dispose()
    return 0


def _status_line(st: Any) -> str:
    seen = st.last_seen.strftime("%Y-%m-%d %H:%M") if st.last_seen else "从未联系"
    state = "启用" if st.active else "停用"
    return (
        f"{st.credit_code}\t{st.name}\t{state}\t最近联系 {seen}\t"
        f"未完成批次 {st.batches_open}\t已提交批次 {st.batches_committed}\t"
        f"待取申报 {st.inbox_behind}\t待取退回 {st.returns_behind}"
    )


def cmd_hub_audit(args: argparse.Namespace) -> int:
    from zcreview.storage import hub_audit

    hub = _open_hub(args, create=False)
    try:
        if args.audit_command == "verify":
            report = hub_audit.verify(hub.engine)
            print(report.text(), file=sys.stdout if report.ok else sys.stderr)
            return 0 if report.ok else 1
        for row in hub_audit.recent(hub.engine, max(1, args.limit)):
            at = row.at.strftime("%Y-%m-%d %H:%M:%S")
            _say(f"{row.seq}\t{at}\t{row.actor}\t{row.action}\t{row.subject or ''}\t{row.payload}")
    finally:
        hub.dispose()
    return 0


def cmd_hub_backup(args: argparse.Namespace) -> int:
    from zcreview.storage.backup import BackupError, backup

    data = _hub_data(args)
    try:
        done = backup(data, Path(args.dest), db_url=_hub_db(args), kind="hub", db_name="hub.db")
    except BackupError as exc:
        raise UserError(str(exc)) from None
    _say(f"已备份上报中心到 {done.dest}：数据库（{done.database}）和 {done.files} 个文件")
    return 0


def cmd_hub_restore(args: argparse.Namespace) -> int:
    from zcreview.storage.backup import BackupError, restore

    data = _hub_data(args)
    try:
        manifest = restore(Path(args.src), data, db_url=_hub_db(args), kind="hub")
    except BackupError as exc:
        raise UserError(str(exc)) from None
    hub = Hub.open(data, _hub_db(args))
    try:
        offices = len(hub.list_offices())
    finally:
        hub.dispose()
    _say(f"已从 {args.src}（{manifest['created_at']}）恢复上报中心到 {data}：{offices} 个单位")
    return 0


def cmd_hub_office_list(args: argparse.Namespace) -> int:
    hub = _open_hub(args, create=False)
    try:
        for o in hub.list_offices():
            _say(f"{o.credit_code}\t{o.name}\t{o.office_type}\t{o.office_level}")
    finally:
        hub.dispose()
    return 0


def _say(text: str) -> None:
    # Office names come from other offices: none of their escape sequences or control
    # characters may reach this terminal.
    print(terminal_safe(text), flush=True)
