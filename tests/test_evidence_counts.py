"""Evidence counts in the queue once an attachment is read to its last page, whatever reads it."""

from __future__ import annotations

from tests.review_helpers import add_app
from zcreview.configfiles import default_config
from zcreview.domain.recognised import PageText, TextLine
from zcreview.preview.ocr import engine_version
from zcreview.storage.applications import get_row, load_revision, refresh_counts_of
from zcreview.storage.recognised import application_evidence, save_page
from zcreview.storage.store import Store

CFG = default_config()


def _diploma(sha: str, name: str, school: str, major: str, when: str) -> PageText:
    rows = ["毕业证书", f"姓名：{name}", f"学校：{school}", f"专业：{major}", f"毕业时间：{when}"]
    lines = tuple(
        TextLine(text, 0.98, (0.1, 0.05 + i * 0.05, 0.6, 0.08 + i * 0.05))
        for i, text in enumerate(rows)
    )
    return PageText(sha, 0, engine_version(), "ocr", lines)


def _fails(store: Store, app_id: str) -> int:
    with store.session() as s:
        row = get_row(app_id, session=s)
        assert row is not None
        return row.n_fail


def test_a_read_diploma_that_names_another_school_counts_as_a_fail(store: Store) -> None:
    app_id = add_app(store, seed=3)
    with store.session() as s:
        app = load_revision(app_id, session=s)
        refresh_counts_of([app_id], CFG, session=s)
        s.commit()
    basis = app.education.basis or app.education.full_time
    assert basis is not None and basis.attachments and basis.attachments[0].sha256
    sha = basis.attachments[0].sha256
    before = _fails(store, app_id)
    when = f"{basis.graduated_on.year}年{basis.graduated_on.month}月"

    # Two pages, one read: no evidence yet (a value on the unread page must not look missing).
    with store.session() as s:
        page = _diploma(sha, app.basic.name, "某某职业技术学院", basis.major, when)
        save_page(page, engine=engine_version(), page_count=2, session=s)
        assert application_evidence(app, session=s) == {}
        refresh_counts_of([app_id], CFG, session=s)
        s.commit()
    assert _fails(store, app_id) == before

    with store.session() as s:
        second = PageText(sha, 1, engine_version(), "ocr", ())
        save_page(second, engine=engine_version(), page_count=2, session=s)
        assert sha in application_evidence(app, session=s)
        refresh_counts_of([app_id], CFG, session=s)
        s.commit()
    assert _fails(store, app_id) == before + 1


def test_a_read_diploma_that_agrees_adds_no_fail(store: Store) -> None:
    app_id = add_app(store, seed=4)
    with store.session() as s:
        app = load_revision(app_id, session=s)
        refresh_counts_of([app_id], CFG, session=s)
        s.commit()
    basis = app.education.basis or app.education.full_time
    assert basis is not None and basis.attachments[0].sha256
    before = _fails(store, app_id)
    when = f"{basis.graduated_on.year}年{basis.graduated_on.month}月"
    with store.session() as s:
        page = _diploma(
            basis.attachments[0].sha256, app.basic.name, basis.school, basis.major, when
        )
        save_page(page, engine=engine_version(), page_count=1, session=s)
        refresh_counts_of([app_id], CFG, session=s)
        s.commit()
    assert _fails(store, app_id) == before
