"""Benchmark of attachment OCR; prints one JSON line.

Run from the repository root: `python tests/bench/bench_ocr.py [pages]`. Measures:

- `demo_pages_per_cpu_second`: demo certificate pages (the legible 毕业证书, 资格证书 and
  学时证明 scans the demo office carries) recognised per second of CPU time, one thread: pages
  per second per core (goal ≥ 2); `demo_char_error_rate`: against the text the demo printed;
- `known_text_pages_per_cpu_second` and `char_error_rate`: pages with known Chinese text
  (a certificate, an assessment form, a title certificate drawn with a CJK font, turned, blurred
  and JPEG-compressed) and the character error rate of what was read (goal ≤ 2 %);
- `first_text_seconds_cold` / `_warm`: from opening an application in the review screen with
  nothing recognised to its first attachment's text on screen (goal ≤ 2 s), with a fresh OCR
  worker (process start and model load included) and with the session's worker already up;
  `all_pages_seconds_warm`: until every page of that application is read;
- `demo_app_*`: a demo application (all its attachments, nothing recognised, a fresh OCR worker)
  opened in the review screen: seconds to its first attachment's text on screen and to all its
  evidence checks done (every page read and the checks run again on them), and its pages.

CPU time is the process's own (the engine runs single-threaded in this process for the rates),
so a busy machine slows the wall clock but not the per-core rate much; `load_average` is given.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.ocr_pages import CERTIFICATE, char_error_rate, page_image, scanned_pdf
from zcreview.demo.attachments import AttachmentPool, DocSpec
from zcreview.demo.documents import SCAN
from zcreview.demo.generate import generate_demo
from zcreview.preview.document import open_document
from zcreview.preview.ocr import RENDER_PX, engine_version, get_engine, recognise_image

ASSESSMENT = (
    "专业技术人员年度考核登记表",
    "姓名：张伟  单位：山东鲁东海产集团有限公司",
    "考核年度：2023年度",
    "现任专业技术职务：工程师",
    "考核结果：合格",
    "主管部门（盖章）  2024年1月15日",
)
TITLE = (
    "专业技术资格证书",
    "姓名：张伟  性别：男",
    "身份证号：370687198608031657",
    "专业技术资格：工程师",
    "专业：机械工程",
    "评审时间：2018年12月",
    "证书编号：鲁工程2018120345",
)


def _cpu_pages(images: list[Any]) -> tuple[float, list[str]]:
    texts: list[str] = []
    started = time.process_time()
    for image in images:
        texts.append("".join(line[0] for line in recognise_image(image)))
    return len(images) / max(1e-9, time.process_time() - started), texts


def _page(data: bytes) -> Any:
    doc = open_document(data, "page.pdf")
    try:
        return doc.render_page(0, RENDER_PX).image
    finally:
        doc.close()


def demo_certificates(pages: int) -> list[tuple[bytes, str]]:
    """Scanned demo certificates (first page) and the text printed on them, in reading order."""
    pool = AttachmentPool(1)
    out: list[tuple[bytes, str]] = []
    for demo in generate_demo(40, 1):
        for src in demo.files.values():
            if not isinstance(src, DocSpec) or src.style != SCAN:
                continue
            page = src.pages[0]
            if page.layout != "certificate" or any(src is s for _, s in out):
                continue
            text = page.title + "".join(f"{k}：{v}" if k else v for k, v in page.rows)
            out.append((pool.get(src), text))
            if len(out) >= pages:
                return out
    return out


def rates(pages: int) -> dict[str, Any]:
    get_engine()(page_image())  # load the models outside the timings
    certificates = demo_certificates(pages)
    demo = [_page(data) for data, _ in certificates]
    demo_rate, demo_read = _cpu_pages(demo)
    demo_cer = char_error_rate("".join(t for _, t in certificates), "".join(demo_read))
    known_texts = [CERTIFICATE, ASSESSMENT, TITLE]
    known = [_page(scanned_pdf(lines)) for lines in known_texts]
    known_rate, read = _cpu_pages(known)
    expected = "".join("".join(lines) for lines in known_texts)
    return {
        "demo_pages": len(demo),
        "demo_pages_per_cpu_second": round(demo_rate, 2),
        "demo_char_error_rate": round(demo_cer, 4),
        "known_text_pages": len(known),
        "known_text_pages_per_cpu_second": round(known_rate, 2),
        "char_error_rate": round(char_error_rate(expected, "".join(read)), 4),
    }


async def _first_text(warm: bool) -> dict[str, float]:
    from tests.review_helpers import Clock
    from tests.review_screen_data import add_application, new_office, review_app
    from zcreview.screens.review import ReviewScreen
    from zcreview.screens.review_services import ReviewServices
    from zcreview.screens.widgets.field_list import FieldList
    from zcreview.screens.widgets.preview_pane import PreviewPane
    from zcreview.settings import Settings
    from zcreview.storage.queue import QueueFilter

    with tempfile.TemporaryDirectory() as tmp:
        store = new_office(Path(tmp) / "home")
        files = {
            "学历/2012年6月本科学历.pdf": scanned_pdf(),
            "职称/2019年12月助理工程师资格证书.jpg": _jpeg(TITLE),
        }
        add_application(store, 0, files=files)
        app = review_app(store)
        services = ReviewServices(
            store, Settings(home=store.home), clock=Clock(), isolate_previews=True
        )
        app.services = services
        ocr = services.ocr
        assert ocr is not None
        if warm:
            # The session's worker has read another file already: process up, models loaded.
            other = scanned_pdf(ASSESSMENT)
            sha = store.blobs.put_bytes(other)
            ocr.add([(sha, "warm.pdf")])
            await asyncio.to_thread(ocr.wait_idle, 300)
        async with app.run_test(size=(120, 40)) as pilot:
            started = time.perf_counter()
            screen = ReviewScreen(services, QueueFilter(), 0, reviewer=app.reviewer, total=None)
            app.push_screen(screen)
            while screen.loaded is None:
                await asyncio.sleep(0.01)
            await pilot.press("p")
            fields = screen.query_one(FieldList)
            fields.go_to_path("education.basis.attachments[0]")
            pane = screen.query_one(PreviewPane)
            while pane.text_state != "done":
                await asyncio.sleep(0.01)
            first = time.perf_counter() - started
            await asyncio.to_thread(ocr.wait_idle, 600)
            everything = time.perf_counter() - started
        services.close()
        store.dispose()
    return {"first": first, "all": everything}


async def _demo_application() -> dict[str, float]:
    """Open a demo application with nothing recognised and a fresh OCR worker; seconds to the
    first attachment's text on screen and to all its evidence checks done."""
    from tests.review_helpers import Clock
    from tests.review_screen_data import review_app
    from zcreview.demo.office import build_demo_office
    from zcreview.domain.checks import EVIDENCE_REGISTRY
    from zcreview.domain.model import iter_attachments
    from zcreview.screens.review import ReviewScreen
    from zcreview.screens.review_services import ReviewServices
    from zcreview.screens.widgets.field_list import FieldList
    from zcreview.screens.widgets.preview_pane import PreviewPane
    from zcreview.settings import Settings
    from zcreview.storage.queue import QueueFilter
    from zcreview.storage.recognised import application_evidence
    from zcreview.storage.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "home")
        summary = build_demo_office(store, 3, 1, workdir=Path(tmp))
        app = review_app(store, summary.reviewers[0])
        services = ReviewServices(
            store, Settings(home=store.home), clock=Clock(), isolate_previews=True
        )
        app.services = services
        async with app.run_test(size=(120, 40)) as pilot:
            started = time.perf_counter()
            screen = ReviewScreen(services, QueueFilter(), 0, reviewer=app.reviewer, total=None)
            app.push_screen(screen)
            while screen.loaded is None:
                await asyncio.sleep(0.01)
            loaded = screen.loaded
            assert loaded.application is not None
            refs = [ref for _, ref in iter_attachments(loaded.application) if ref.sha256]
            shas = {ref.sha256 for ref in refs}
            await pilot.press("p")
            fields = screen.query_one(FieldList)
            first = next(path for path, ref in iter_attachments(loaded.application) if ref.sha256)
            fields.go_to_path(first)
            pane = screen.query_one(PreviewPane)
            while pane.text_state != "done":
                await asyncio.sleep(0.01)
            first_text = time.perf_counter() - started
            while True:
                with store.session() as session:
                    evidence = application_evidence(loaded.application, session=session)
                read = all(sha in evidence for sha in shas)
                running = any(w.group == "review-evidence" for w in screen.workers)
                checked = any(r.check_id in EVIDENCE_REGISTRY for r in screen.loaded.results)
                if read and checked and not running:
                    break
                await asyncio.sleep(0.05)
            all_checks = time.perf_counter() - started
            pages = sum(len(v) for v in evidence.values())
        services.close()
        store.dispose()
    return {"first": first_text, "all_checks": all_checks, "pages": pages, "files": len(shas)}


def _jpeg(lines: tuple[str, ...]) -> bytes:
    out = io.BytesIO()
    page_image(lines).save(out, "JPEG", quality=70)
    return out.getvalue()


def main() -> None:
    pages = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    result: dict[str, Any] = {"bench": "ocr", "engine": engine_version()}
    result.update(rates(pages))
    cold = asyncio.run(_first_text(warm=False))
    warm = asyncio.run(_first_text(warm=True))
    result["first_text_seconds_cold"] = round(cold["first"], 2)
    result["first_text_seconds_warm"] = round(warm["first"], 2)
    result["all_pages_seconds_warm"] = round(warm["all"], 2)
    demo_app = asyncio.run(_demo_application())
    result["demo_app_first_text_seconds_cold"] = round(demo_app["first"], 2)
    result["demo_app_all_evidence_checks_seconds_cold"] = round(demo_app["all_checks"], 2)
    result["demo_app_pages"] = int(demo_app["pages"])
    result["demo_app_files"] = int(demo_app["files"])
    result["load_average"] = round(os.getloadavg()[0], 2)
    result["cpus"] = os.cpu_count()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
