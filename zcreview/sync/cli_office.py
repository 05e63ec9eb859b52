"""What every sync command shares: opening the office (settings, store, transport), turning
the user's fixable problems into one line without a traceback, and printing safely."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable

from zcreview.commands import Handler
from zcreview.domain.text import terminal_safe
from zcreview.settings import Settings, SettingsError, load_settings
from zcreview.storage.store import Store, open_store
from zcreview.sync.transport import SyncError, Transport

CLI_GIVE_UP = 300.0


class CliError(Exception):
    """A problem the user can fix; printed without a traceback."""


def friendly(fn: Handler) -> Handler:
    """The command, with the user's fixable problems printed as one line and exit status 2."""

    @functools.wraps(fn)
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except (CliError, SyncError, SettingsError) as exc:
            print(f"zcreview: {terminal_safe(exc)}", file=sys.stderr)
            return 2

    return wrapper


def say(text: str) -> None:
    # Office names, reasons and notes come from other offices: none of their escape sequences
    # or control characters may reach this terminal.
    print(terminal_safe(text), flush=True)


def open_office(args: argparse.Namespace) -> tuple[Settings, Store]:
    """Settings and the opened store (not via zcreview.context: sync sits below the CLI)."""
    settings = load_settings(getattr(args, "home", None), getattr(args, "db", None))
    try:
        store = open_store(settings.home, settings.db_url)
    except Exception as exc:  # unreachable server, bad URL, schema too new
        raise CliError(f"无法打开办公数据库（{settings.db_url or settings.home}）：{exc}") from exc
    return settings, store


def transport_of(settings: Settings, args: argparse.Namespace) -> Transport:
    from zcreview.sync.config import open_transport

    give_up = getattr(args, "give_up_after", CLI_GIVE_UP)
    return open_transport(settings, give_up_after=give_up if give_up and give_up > 0 else None)


def lower_hub_of(settings: Settings, args: argparse.Namespace) -> Transport | None:
    """The hub lower offices report to when the office reports upward by folder (else None)."""
    from zcreview.sync.config import open_lower_hub

    give_up = getattr(args, "give_up_after", CLI_GIVE_UP)
    return open_lower_hub(settings, give_up_after=give_up if give_up and give_up > 0 else None)


def with_office(fn: Callable[[argparse.Namespace, Settings, Store, Transport], int]) -> Handler:
    """Open settings, store and transport for a command, and close them afterwards."""

    @friendly
    @functools.wraps(fn)
    def wrapper(args: argparse.Namespace) -> int:
        settings, store = open_office(args)
        try:
            transport = transport_of(settings, args)
            try:
                return fn(args, settings, store, transport)
            finally:
                transport.close()
        finally:
            store.dispose()

    return wrapper
