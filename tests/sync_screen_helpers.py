"""Pilot helpers for the sync screens: an office's workstation on a hub, waiting for workers."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.widgets import DataTable

from tests.sync_helpers import Net, Office
from zcreview.context import Context
from zcreview.screens.app import ZcReviewApp, make_app
from zcreview.settings import Settings
from zcreview.storage.office import add_reviewer
from zcreview.storage.store import Store

REVIEWER = "王审核"
WAIT = 30.0
"""Bound on waiting for a background worker (a real hub on loopback answers in milliseconds)."""


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
    return make_app(Context(settings=settings, store=office.store), reviewer=REVIEWER)


def _has_reviewer(store: Store) -> bool:
    from zcreview.storage.office import list_reviewers

    with store.session() as s:
        return bool(list_reviewers(session=s))


async def settle(pilot: Any, rounds: int = 4) -> None:
    for _ in range(rounds):
        await asyncio.wait_for(pilot.app.workers.wait_for_complete(), WAIT)
        await pilot.pause()


async def until(pilot: Any, condition: Any, what: str) -> None:
    """Wait (bounded) until `condition()` holds, letting workers and messages run."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await settle(pilot, 1)
        await pilot.pause(0.05)


async def sync_once(pilot: Any) -> None:
    """One background cycle, run to its end, with its messages handled."""
    await asyncio.to_thread(pilot.app.run_sync_cycle)
    await settle(pilot)


def cell_texts(table: DataTable[Any], column: int) -> list[str]:
    return [str(table.get_row_at(i)[column]) for i in range(table.row_count)]
