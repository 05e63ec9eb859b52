"""Command line: `zcreview [--home DIR] [--db URL] COMMAND …`; the TUI is imported only to open it."""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from zcreview import __version__
from zcreview.commands import Handler, add_command
from zcreview.errors import UserError


def _common() -> argparse.ArgumentParser:
    """Options every command takes, before or after the command name."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--home",
        type=Path,
        default=argparse.SUPPRESS,
        help="office directory: database, blobs, settings (env ZCREVIEW_HOME)",
    )
    p.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        help="database URL, e.g. postgresql://user@host/db (env ZCREVIEW_DB)",
    )
    return p


def build_parser(*, extras: bool = True) -> argparse.ArgumentParser:
    """The whole parser; without `extras` only the core commands (cheaper to import)."""
    common = _common()
    parser = argparse.ArgumentParser(
        prog="zcreview",
        parents=[common],
        description="职称申报审核终端工作台 — review professional-title applications.",
    )
    parser.add_argument("--version", action="version", version=f"zcreview {__version__}")
    # `zcreview --reviewer NAME` opens the workstation like `zcreview open --reviewer NAME`.
    parser.add_argument("--reviewer", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_: str, handler: Handler) -> argparse.ArgumentParser:
        return add_command(common, sub, name, help_, handler)

    p = add("open", "open the review workstation (TUI) on this office", cmd_open)
    p.add_argument("--reviewer", help="reviewer name (when several are registered)")

    p = add(
        "init",
        "set up this office (name, 统一社会信用代码, type, level)",
        cmd_init,
    )
    p.add_argument("--name", required=True, help="office name")
    p.add_argument("--code", required=True, help="统一社会信用代码 (18 chars, GB 32100)")
    p.add_argument(
        "--type",
        dest="office_type",
        default="用人单位",
        help="用人单位 / 主管部门 / 人社局 / 呈报部门 / 评委会办事机构",
    )
    p.add_argument("--level", dest="office_level", default="区县", help="区县 / 市直 / 省直")
    p.add_argument("--region", default="", help="所属地区, e.g. 山东省威海市环翠区")

    p = add("reviewer", "manage named reviewers (实名制审核人员)", cmd_reviewer)
    rsub = p.add_subparsers(dest="reviewer_command", metavar="ACTION", required=True)
    ra = rsub.add_parser("add", parents=[common], help="register a reviewer")
    ra.add_argument("name")
    ra.add_argument("--id-number", default="")
    ra.add_argument("--phone", default="")
    rsub.add_parser("list", parents=[common], help="list reviewers")

    p = add(
        "import",
        "import application packages (directories, .zip, or folders of them)",
        cmd_import,
    )
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--quiet", action="store_true", help="no progress output")

    p = add("demo", "build a realistic demo office and open it", cmd_demo)
    p.add_argument("--count", type=int, default=300, help="number of applications (default 300)")
    p.add_argument("--seed", type=int, default=1, help="random seed (same seed, same office)")
    p.add_argument("--no-ui", action="store_true", help="build only, do not open the TUI")

    add("schema", "print the JSON Schema of application.json", cmd_schema)

    p = add(
        "check",
        "run every pre-check on packages without importing them; exit 0 no ✗, 1 a ✗, 2 refused",
        cmd_check,
    )
    p.add_argument("paths", nargs="+", type=Path, help="package folders, .zip, or folders of them")
    p.add_argument("--json", action="store_true", help="one JSON object per package and line")
    p.add_argument("--year", type=int, help="check as for this 年度 (default: the package's)")
    p.add_argument("--today", type=date.fromisoformat, help="date for the date rules, YYYY-MM-DD")
    p.add_argument(
        "--ocr",
        action="store_true",
        help="also read every attachment (OCR, about a second a page) and run the EVID checks",
    )

    if extras:
        _register_extras(sub, common)
    return parser


def _register_extras(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """The review, backup, OCR, statistics, sync and hub commands: each module adds its own sub-parsers,
    with its handlers. Imported here, not at the top: they cost start-up the workstation and the
    core commands do not need."""
    from zcreview import backup_cmd, ocr_cmd, review_cmd, stats_cmd
    from zcreview.hub import cli as hub_cli
    from zcreview.sync import cli as sync_cli

    for register in (
        review_cmd.register,
        backup_cmd.register,
        sync_cli.register,
        hub_cli.register,
        ocr_cmd.register,
        stats_cmd.register,
    ):
        register(sub, common)


# Core command handlers: each imports its module only when its command runs.


def cmd_init(args: argparse.Namespace) -> int:
    from zcreview.office_cmd import cmd_init as run

    return run(args)


def cmd_reviewer(args: argparse.Namespace) -> int:
    from zcreview.office_cmd import cmd_reviewer as run

    return run(args)


def cmd_import(args: argparse.Namespace) -> int:
    from zcreview.intake.cli import cmd_import as run

    return run(args)


def cmd_demo(args: argparse.Namespace) -> int:
    from zcreview.demo.cli import cmd_demo as run

    return run(args)


def cmd_check(args: argparse.Namespace) -> int:
    from zcreview.check_cmd import cmd_check as run

    return run(args)


def cmd_schema(args: argparse.Namespace) -> int:
    from zcreview.domain.model import json_schema

    json.dump(json_schema(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def cmd_open(args: argparse.Namespace) -> int:
    # No cyclic garbage collection until the queue's first page is on screen (the app resumes
    # it): each full pass over the heap that SQLAlchemy and Textual build while loading costs
    # tens of milliseconds, and nothing loaded at start-up is garbage.
    gc.disable()
    try:
        return _open(args)
    finally:
        gc.enable()


def _open(args: argparse.Namespace) -> int:
    from zcreview.context import open_context, resolve_settings

    ctx = open_context(settings=resolve_settings(args), deferred=True)
    from zcreview.screens.launch import run_app  # Textual is loaded only here

    return int(run_app(ctx, reviewer=getattr(args, "reviewer", None)))


CORE_COMMANDS = frozenset({"open", "init", "reviewer", "import", "demo", "schema", "check"})


def _command_word(argv: Sequence[str]) -> str | None:
    """The subcommand named in argv, skipping global options and their values."""
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in ("--home", "--db", "--reviewer"):
            skip = True
        elif not word.startswith("-"):
            return word
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    word = _command_word(argv)
    # Importing the sync and review command modules costs a second of start-up; the workstation
    # and the core commands do not need them to parse their arguments.
    extras = (word is not None and word not in CORE_COMMANDS) or "-h" in argv or "--help" in argv
    parser = build_parser(extras=extras)
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        args.handler = cmd_open
        args.reviewer = getattr(args, "reviewer", None)
    handler: Handler = args.handler
    try:
        return int(handler(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        return 0
    except UserError as exc:
        print(f"zcreview: {exc}", file=sys.stderr)
        return 2
