"""An office for the review-screen tests and benches: factory applications with real files."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from tests.factories import default_files, make_application
from tests.review_helpers import T0, Clock
from zcreview.configfiles import load_config
from zcreview.context import Context
from zcreview.domain.checks import counts, run_all
from zcreview.domain.corrections import CorrectionItem
from zcreview.domain.model import Application, iter_attachments
from zcreview.domain.workflow import State
from zcreview.preview.sniff import sniff_mime
from zcreview.screens.app import ZcReviewApp, make_app
from zcreview.screens.review_services import ReviewServices
from zcreview.settings import Settings
from zcreview.storage import applications, office
from zcreview.storage.decisions import record_return_from_above
from zcreview.storage.store import Store, open_store

REALWORLD = Path(__file__).resolve().parent / "data" / "realworld"
OFFICE = "威海市人力资源和社会保障局"
REVIEWERS = ("张审核", "李审核")


def encrypted_pdf() -> bytes:
    return next(REALWORLD.glob("encrypted-userpw_*.pdf")).read_bytes()


def scanned_pdf() -> bytes:
    return next(REALWORLD.glob("scan-jpeg-1p_*.pdf")).read_bytes()


def new_office(home: Path) -> Store:
    store = open_store(home)
    with store.session() as s:
        office.init_office(
            session=s,
            name=OFFICE,
            credit_code="11371000004172021N",
            office_type="人社局",
            office_level="市直",
        )
        for name in REVIEWERS:
            office.add_reviewer(session=s, name=name)
        s.commit()
    return store


def store_files(app: Application, store: Store, files: dict[str, bytes] | None = None) -> None:
    """Put every attachment's bytes in the blob store; fill hash, size and sniffed type."""
    data = default_files(app)
    data.update(files or {})
    for _, ref in iter_attachments(app):
        blob = data[ref.file]
        ref.sha256 = store.blobs.put_bytes(blob)
        ref.size, ref.mime = len(blob), sniff_mime(blob[:1024])


def add_application(
    store: Store,
    seed: int,
    *,
    files: dict[str, bytes] | None = None,
    change: Callable[[Application], None] | None = None,
    **overrides: Any,
) -> str:
    """Record one application (待审核) with its pre-check counts; returns its id."""
    overrides.setdefault("application_id", str(uuid.UUID(int=seed + 1)))
    app = make_application(seed, **overrides)
    if change is not None:
        change(app)
    store_files(app, store, files)
    found = counts(run_all(app, load_config(), today=T0.date()))
    with store.session() as s:
        result = applications.record_revision(app, session=s, counts=found)
        s.commit()
    return result.application_id


def fill(store: Store, count: int, *, first_files: dict[str, bytes] | None = None) -> list[str]:
    """`count` applications; the first gets `first_files` (e.g. a scan and an encrypted PDF)."""
    return [add_application(store, i, files=first_files if i == 0 else None) for i in range(count)]


def preview_files() -> dict[str, bytes]:
    """The first application's 学历 is a real scan; its 六公开监督卡 is password-protected."""
    return {
        "学历/2012年6月本科学历.pdf": scanned_pdf(),
        "其他/2025年6月六公开监督卡.pdf": encrypted_pdf(),
    }


def review_app(
    store: Store,
    reviewer: str | None = REVIEWERS[0],
    *,
    clock: Clock | None = None,
    ascii_mode: bool = False,
) -> ZcReviewApp:
    """The workstation over `store` with a frozen clock and in-process previews."""
    settings = Settings(home=store.home, ascii_mode=ascii_mode)
    app = make_app(Context(settings=settings, store=store), reviewer=reviewer)
    app.review_services = ReviewServices(  # type: ignore[attr-defined]
        store, settings, clock=clock or Clock(), isolate_previews=False
    )
    return app


UPPER_OFFICE = "山东省人力资源和社会保障厅"


def return_from_above(
    store: Store, app_id: str, items: list[CorrectionItem], deadline: date
) -> None:
    """Mark `app_id` 已上报, then record the upper office's return of it, as sync would."""
    with store.session() as s:
        row = applications.get_row(app_id, session=s)
        assert row is not None
        row.state = State.REPORTED.value
        s.add(row)
        s.commit()
    with store.session() as s:
        record_return_from_above(
            app_id, UPPER_OFFICE, "省厅审核人", items, deadline, session=s, now=T0
        )
        s.commit()


async def settle(pilot: Any, rounds: int = 6) -> None:
    """Let workers finish and the messages they post land."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
