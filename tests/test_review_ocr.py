"""The review screen reads attachments for the reviewer: text after OCR, never waiting, one key
between image and text, and the original file saved byte for byte."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ocr_pages import scanned_pdf
from tests.pilot_helpers import NARROW, WIDE, open_review, screen_text, settle
from tests.review_helpers import Clock
from tests.review_screen_data import add_application, new_office, review_app
from zcreview.domain.model import Application
from zcreview.preview.probe import TerminalGraphics
from zcreview.screens.app import ZcReviewApp
from zcreview.screens.review import ReviewScreen
from zcreview.screens.review_services import ReviewServices
from zcreview.screens.widgets.field_list import FieldList
from zcreview.screens.widgets.preview_pane import PreviewPane
from zcreview.settings import Settings
from zcreview.storage.store import Store

pytestmark = pytest.mark.anyio

CERTIFICATE_PATH = "education.basis.attachments[0]"


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Store]:
    """One application whose 学历 scan is a legible certificate of its own basis record."""
    store = new_office(tmp_path / "home")
    add_application(store, 0, files={"学历/2012年6月本科学历.pdf": scanned_pdf()})
    try:
        yield store
    finally:
        store.dispose()


async def open_at_certificate(pilot: object) -> ReviewScreen:
    screen = await open_review(pilot)
    await pilot.press("p")  # type: ignore[attr-defined]
    assert screen.query_one(FieldList).go_to_path(CERTIFICATE_PATH)
    await settle(pilot)
    return screen


async def test_text_appears_once_read_and_the_open_never_waits(office: Store) -> None:
    released = threading.Event()

    def slow_reader(sha: str) -> bytes:
        # Bytes that come slowly (a scan still on its way from the hub): OCR must wait, the
        # screen must not.
        released.wait(120)
        return office.blobs.read(sha)

    app = review_app(office)
    services = ReviewServices(
        office,
        Settings(home=office.home),
        clock=Clock(),
        isolate_previews=False,
        recognise=True,
        ocr_reader=slow_reader,
    )
    app.services = services
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_at_certificate(pilot)
        pane = screen.query_one(PreviewPane)
        assert pane.view == "both" and pane.result is not None  # the page image is there
        assert pane.text_state == "pending" and "正在识别" in screen_text(app)
        released.set()
        ocr = services.ocr
        assert ocr is not None
        assert await asyncio.to_thread(ocr.wait_idle, 300)
        await settle(pilot)
        for _ in range(50):
            if pane.text_state == "done":
                break
            await asyncio.sleep(0.1)
            await settle(pilot, 1)
        assert pane.text_state == "done" and pane.page_text is not None
        shown = screen_text(app)
        assert "准予毕业" in shown and "毕业证书" in shown
        # The cursor's row (the 评审依据 education) is looked for in the text.
        verdicts = {f.value: f.verdict for f in pane.found}
        assert verdicts.get("山东大学") == "found", pane.found
        assert verdicts.get("2012-06") == "found", pane.found
        # One key cycles image → text → both.
        await pilot.press("t")
        await settle(pilot)
        assert pane.view == "image" and "准予毕业" not in screen_text(app)
        await pilot.press("t")
        await settle(pilot)
        assert pane.view == "text" and "准予毕业" in screen_text(app)
        assert "文字" in pane.header_text()
        await pilot.press("t")
        await settle(pilot)
        assert pane.view == "both"
        # Away to a field without attachment and back: the kept page comes back with its text.
        # (Not 姓名: EVID-NAME quotes this certificate there, so the pane shows it.)
        fields = screen.query_one(FieldList)
        assert fields.go_to_path("basic.phone")
        await settle(pilot)
        assert pane.target is None
        assert fields.go_to_path(CERTIFICATE_PATH)
        await settle(pilot)
        for _ in range(50):
            if pane.text_state == "done":
                break
            await asyncio.sleep(0.1)
            await settle(pilot, 1)
        assert pane.text_state == "done" and "准予毕业" in screen_text(app)
        ocr.close()


async def test_save_key_writes_the_original_bytes(
    office: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)  # no desktop: save only, open nothing
    app = review_app(office)
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_at_certificate(pilot)
        target = screen.preview_target
        assert target is not None
        await pilot.press("w")
        await settle(pilot)
        saved = list((office.home / "exports").iterdir())
        assert len(saved) == 1 and saved[0].name == "2012年6月本科毕业证书学位证书学历备案表.pdf"
        assert saved[0].read_bytes() == office.blobs.read(target.sha)
        # Saving again does not make a second copy.
        await pilot.press("w")
        await settle(pilot)
        assert len(list((office.home / "exports").iterdir())) == 1


async def test_a_field_shows_the_scan_of_its_record(office: Store) -> None:
    """The cursor on 毕业学校 (a field, not the attachment row) previews the record's certificate
    and looks for that field's value in it, instead of saying there is no attachment."""
    app = review_app(office)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_at_certificate(pilot)
        certificate = screen.preview_target
        assert certificate is not None
        fields = screen.query_one(FieldList)
        pane = screen.query_one(PreviewPane)
        await pilot.press("up")  # the last field of the 评审依据 record, right above its scan
        await settle(pilot)
        item = fields.items[fields.cursor]
        assert item.kind == "field" and item.path.startswith("education.basis."), item.path
        assert screen.preview_target is not None
        assert screen.preview_target.sha == certificate.sha
        assert "没有附件" not in screen_text(app)
        assert fields.go_to_path("education.basis.school")
        await settle(pilot)
        assert pane.target is not None and pane.target.sha == certificate.sha
        assert pane.needles == ("山东大学",)
        # 基本信息 has no scan of its own, and no check quotes one on 手机: nothing to show.
        assert fields.go_to_path("basic.phone")
        await settle(pilot)
        assert pane.target is None and "没有附件" in screen_text(app)


async def test_pixels_stay_while_the_cursor_moves_within_the_record(office: Store) -> None:
    """Sixel over the picture box: drawn once after the half-blocks are blanked, not drawn again
    (300-800 KB) when only the text under it changes, erased by leaving the attachment, drawn
    again on coming back."""
    app = review_app(office)
    app.services = _services_drawing(
        office, TerminalGraphics("sixel", (8, 15), "probe", "XTerm(379)")
    )
    async with app.run_test(size=WIDE) as pilot:
        written = _recorded_writes(app)
        screen = await open_at_certificate(pilot)
        pane = screen.query_one(PreviewPane)

        def sixels() -> int:
            return sum(data.count("\x1bP0;1;0q") for data in written)

        await pilot.press("x")
        for _ in range(100):
            if sixels():
                break
            await settle(pilot, 1)
        assert sixels() == 1
        assert "▀" not in screen_text(app).split("─")[0].split("\n", 3)[-1]  # box blanked
        await pilot.press("up")  # another field of the same record: same scan
        await settle(pilot)
        assert pane.target is not None and sixels() == 1
        fields = screen.query_one(FieldList)
        assert fields.go_to_path("basic.phone")  # no scan: the pixels go with the repaint
        await settle(pilot)
        assert pane.target is None and "没有附件" in screen_text(app)
        assert fields.go_to_path(CERTIFICATE_PATH)
        for _ in range(100):
            if sixels() == 2:
                break
            await settle(pilot, 1)
        assert sixels() == 2


async def test_an_answer_after_the_review_opened_offers_pixels(office: Store) -> None:
    """The terminal answers the graphics question after the review opened with half-blocks
    (nothing cached for it): the open preview takes the answer up, and pixels come on request."""
    from zcreview.screens.terminal_driver import TerminalAnswered

    app = review_app(office)
    app.services = services = _services_drawing(office, TerminalGraphics())
    async with app.run_test(size=WIDE) as pilot:
        written = _recorded_writes(app)
        screen = await open_at_certificate(pilot)
        pane = screen.query_one(PreviewPane)
        assert pane.protocol == "none" and not screen.check_action("pixels", ())
        app.post_message(TerminalAnswered(TerminalGraphics("sixel", (8, 15), "probe")))
        await settle(pilot)
        assert services.terminal is not None and services.terminal.protocol == "sixel"
        assert (pane.protocol, pane.cell) == ("sixel", (8, 15))
        assert screen.check_action("pixels", ())
        await pilot.press("x")
        for _ in range(100):
            if any("\x1bP0;1;0q" in data for data in written):
                break
            await settle(pilot, 1)
        assert any("\x1bP0;1;0q" in data for data in written)


async def test_a_field_without_a_scan_of_its_own_shows_the_scan_its_check_quotes(
    tmp_path: Path,
) -> None:
    """The certificate says 张伟, the form 张玮: on 姓名 (基本信息 has no scan) the pane shows the
    certificate EVID-NAME quotes, with the name marked where the scan says otherwise."""

    def rename(application: Application) -> None:
        application.basic.name = "张玮"

    store = new_office(tmp_path / "home")
    add_application(store, 0, files={"学历/2012年6月本科学历.pdf": scanned_pdf()}, change=rename)
    app = review_app(store)
    services = ReviewServices(
        store, Settings(home=store.home), clock=Clock(), isolate_previews=False, recognise=True
    )
    app.services = services
    try:
        async with app.run_test(size=NARROW) as pilot:
            screen = await open_at_certificate(pilot)
            certificate = screen.preview_target
            assert certificate is not None
            ocr = services.ocr
            assert ocr is not None
            assert await asyncio.to_thread(ocr.wait_idle, 300)
            fields = screen.query_one(FieldList)
            for _ in range(100):  # the checks run again once the scan is read
                name = next(i for i in screen.items if i.path == "basic.name")
                if any(r.check_id == "EVID-NAME" for r in name.results):
                    break
                await settle(pilot, 1)
            assert fields.go_to_path("basic.name")
            await settle(pilot)
            pane = screen.query_one(PreviewPane)
            assert pane.target is not None and pane.target.sha == certificate.sha
            for _ in range(50):
                if pane.text_state == "done":
                    break
                await settle(pilot, 1)
            verdicts = {f.value: (f.verdict, f.seen) for f in pane.found}
            assert verdicts.get("张玮") == ("differs", "张伟"), pane.found
        services.close()
    finally:
        store.dispose()


def _services_drawing(office: Store, terminal: TerminalGraphics) -> ReviewServices:
    """Review services whose previews draw for `terminal`, decoded in this process."""
    return ReviewServices(
        office, Settings(home=office.home), clock=Clock(), isolate_previews=False, terminal=terminal
    )


def _recorded_writes(app: ZcReviewApp) -> list[str]:
    """Everything the app writes to its terminal from now on (it is still written)."""
    written: list[str] = []
    driver = app._driver
    assert driver is not None
    real_write = driver.write

    def record(data: str) -> None:
        written.append(data)
        real_write(data)

    driver.write = record  # type: ignore[method-assign]
    return written
