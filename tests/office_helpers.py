"""Setting up a test office: its own record (name, credit code, type, level) and reviewers."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from zcreview.storage import applications
from zcreview.storage import queue as queue_db
from zcreview.storage.office import add_reviewer, init_office
from zcreview.storage.queue import QueueFilter
from zcreview.storage.store import Store, open_store
from zcreview.storage.tables import ApplicationRow


def set_up_office(
    store: Store,
    name: str,
    credit_code: str,
    *,
    office_type: str = "用人单位",
    office_level: str = "区县",
    reviewers: Iterable[str] = (),
) -> Store:
    """Register this office in `store` (as `zcreview init` does) with its reviewers."""
    with store.session() as s:
        init_office(
            session=s,
            name=name,
            credit_code=credit_code,
            office_type=office_type,
            office_level=office_level,
        )
        for reviewer in reviewers:
            add_reviewer(session=s, name=reviewer)
        s.commit()
    return store


def filled_office(home: Path, count: int = 300, reviewers: Iterable[str] = ("张审核",)) -> Store:
    """An office of `count` generated applications in every state, with its reviewers."""
    from tests import tui_data

    store = open_store(home)
    tui_data.fill(store, count)
    tui_data.add_reviewers(store, *reviewers)
    return store


def ids_in(store: Store, flt: QueueFilter | None = None) -> list[str]:
    """The first 100 application ids of the queue, in its order."""
    with store.session() as s:
        return [r.id for r in queue_db.page(flt or QueueFilter(), 0, 100, session=s)]


def row_of(store: Store, app_id: str) -> ApplicationRow:
    """The application's row as stored now."""
    with store.session() as s:
        row = applications.get_row(app_id, session=s)
        assert row is not None
        return row
