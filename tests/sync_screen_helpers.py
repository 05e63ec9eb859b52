"""Pilot helpers for the sync screens: an office's workstation on a hub, one sync cycle, cells."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.widgets import DataTable

from tests.pilot_helpers import settle, until, workstation_app
from tests.sync_helpers import Net, Office
from zcreview.screens.app import ZcReviewApp
from zcreview.settings import Settings
from zcreview.storage.office import add_reviewer
from zcreview.storage.store import Store

REVIEWER = "王审核"


def office_app(net: Net, office: Office, *, synced: bool = True) -> ZcReviewApp:
    """The workstation of `office`, its named reviewer chosen, talking to the hub."""
    if not _has_reviewer(office.store):
        with office.store.session() as s:
            add_reviewer(session=s, name=REVIEWER)
            s.commit()
    extra: dict[str, object] = {}
    if synced:
        extra["sync"] = {"transport": "http", "url": net.url, "token": office.token, "interval": 0}
    settings = Settings(home=office.store.home, extra=extra)
    return workstation_app(settings, office.store, reviewer=REVIEWER)


def _has_reviewer(store: Store) -> bool:
    from zcreview.storage.office import list_reviewers

    with store.session() as s:
        return bool(list_reviewers(session=s))


async def sync_once(pilot: Any) -> None:
    """One background cycle, run to its end, with its messages handled."""
    await asyncio.to_thread(pilot.app.sync.run_cycle)
    await settle(pilot)


def cell_texts(table: DataTable[Any], column: int) -> list[str]:
    return [str(table.get_row_at(i)[column]) for i in range(table.row_count)]


__all__ = ["REVIEWER", "cell_texts", "office_app", "settle", "sync_once", "until"]
