"""Helpers for review tests: store factory applications with real blobs, resubmit, move time."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.factories import default_files, make_application
from zcreview.domain.model import Application, iter_attachments
from zcreview.storage import applications
from zcreview.storage.review_tables import AuditRow
from zcreview.storage.store import Store

T0 = datetime(2025, 6, 16, 2, 0, tzinfo=UTC)  # Monday 10:00 in Beijing


def with_blobs(app: Application, store: Store) -> Application:
    """Put the application's real file bytes into the blob store and fill hash, size, mime."""
    files = default_files(app)
    for _, ref in iter_attachments(app):
        data = files[ref.file]
        ref.sha256 = store.blobs.put_bytes(data)
        ref.size, ref.mime = len(data), "application/pdf"
    return app


def add_app(store: Store, seed: int = 0, **overrides: Any) -> str:
    """Record a new application (待审核) and return its id."""
    overrides.setdefault("application_id", str(uuid.uuid4()))
    app = with_blobs(make_application(seed, **overrides), store)
    with store.session() as s:
        result = applications.record_revision(app, session=s)
        s.commit()
    return result.application_id


def head(store: Store, app_id: str) -> Application:
    with store.session() as s:
        return applications.load_revision(app_id, session=s)


def resubmit(
    store: Store,
    app_id: str,
    change: Callable[[Application], None],
    received_on: date | None = None,
) -> str:
    """Record a new revision made by `change` on a copy of the head; returns the revision.

    It arrives on `received_on` (default: the day of the tests' fixed clock, T0), so deadlines
    in the tests are judged against the same calendar as the decisions.
    """
    app = head(store, app_id).model_copy(deep=True)
    change(app)
    with store.session() as s:
        result = applications.record_revision(app, session=s, received_on=received_on or T0.date())
        s.commit()
    return result.revision


def state_of(store: Store, app_id: str) -> str:
    with store.session() as s:
        row = applications.get_row(app_id, session=s)
        assert row is not None
        return row.state


class Clock:
    """A settable clock for ReviewDesk."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def audit_actions(store: Store) -> list[str]:
    from sqlmodel import col, select

    with store.session() as s:
        return [r.action for r in s.exec(select(AuditRow).order_by(col(AuditRow.seq))).all()]


def run_cli(store: Store, *args: str) -> int:
    """`zcreview ARGS…` on this office (its home and database), in-process; the exit status."""
    from zcreview.cli import main

    return main(
        [
            "--home",
            str(store.home),
            "--db",
            store.engine.url.render_as_string(hide_password=False),
            *args,
        ]
    )
