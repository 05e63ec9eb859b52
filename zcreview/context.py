"""Everything a command needs: resolved settings and the opened office store."""

from __future__ import annotations

import argparse
import getpass
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from zcreview.errors import UserError
from zcreview.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from zcreview.storage.store import Store


@dataclass
class Context:
    settings: Settings
    store: Store


def resolve_settings(
    args: argparse.Namespace | None = None, *, home: Path | None = None, db_url: str | None = None
) -> Settings:
    """Settings for `--home`/`--db` (or the environment); raises UserError for a bad file."""
    if args is not None:
        home = home or getattr(args, "home", None)
        db_url = db_url or getattr(args, "db", None)
    try:
        return load_settings(home, db_url)
    except SettingsError as exc:
        raise UserError(str(exc)) from exc


def open_context(
    args: argparse.Namespace | None = None,
    *,
    home: Path | None = None,
    db_url: str | None = None,
    settings: Settings | None = None,
    deferred: bool = False,
) -> Context:
    """Open the store of `settings` (else resolved from `args`/`home`/`db_url`), migrating it.

    `deferred`: a current SQLite database is only checked, and its engine opens on first use
    (`zcreview.storage.store.deferred_store`; the workstation paints its queue first).
    Raises UserError when the settings or the database cannot be used.
    """
    from zcreview.storage.store import deferred_store, open_store

    if settings is None:
        settings = resolve_settings(args, home=home, db_url=db_url)
    try:
        opener = deferred_store if deferred else open_store
        store = opener(settings.home, settings.db_url)
    except Exception as exc:  # database unreachable, bad URL, schema too new
        raise UserError(f"无法打开办公数据库 ({settings.db_url or settings.home}): {exc}") from exc
    return Context(settings=settings, store=store)


def acting_user(args: argparse.Namespace, ctx: Context) -> str:
    """Who acts, for the audit log: a registered reviewer (实名制), else the login name."""
    from zcreview.storage.office import is_reviewer

    named = getattr(args, "reviewer", None)
    with ctx.store.session() as s:
        if named:
            if not is_reviewer(named, session=s):
                raise UserError(f"未登记的审核人：{named}（登记：zcreview reviewer add {named}）")
            return str(named)
        if ctx.settings.reviewer and is_reviewer(ctx.settings.reviewer, session=s):
            return ctx.settings.reviewer
    return f"命令行:{getpass.getuser()}"
