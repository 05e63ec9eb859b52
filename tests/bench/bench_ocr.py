"""Benchmark of attachment OCR; prints one JSON line.

Run from the repository root: `python tests/bench/bench_ocr.py [pages]`. Measures:

- `demo_pages_per_cpu_second`: demo certificate pages (drawn by `zcreview.demo.attachments`)
  recognised per second of CPU time, one thread: pages per second per core (goal ≥ 2);
- `known_text_pages_per_cpu_second` and `char_error_rate`: pages with known Chinese text
  (a certificate, an assessment form, a title certificate drawn with a CJK font, turned, blurred
  and JPEG-compressed) and the character error rate of what was read (goal ≤ 2 %);
- `first_text_seconds_cold` / `_warm`: from opening an application in the review screen with
  nothing recognised to its first attachment's text on screen (goal ≤ 2 s), with a fresh OCR
  worker (process start and model load included) and with the session's worker already up;
  `all_pages_seconds_warm`: until every page of that application is read.

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
from zcreview.demo.attachments import AttachmentPool, FileSpec
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


def rates(pages: int) -> dict[str, Any]:
    get_engine()(page_image())  # load the models outside the timings
    pool = AttachmentPool(1)
    demo = [_page(pool.get(FileSpec("certificate", i))) for i in range(pages)]
    demo_rate, _ = _cpu_pages(demo)
    known_texts = [CERTIFICATE, ASSESSMENT, TITLE]
    known = [_page(scanned_pdf(lines)) for lines in known_texts]
    known_rate, read = _cpu_pages(known)
    expected = "".join("".join(lines) for lines in known_texts)
    return {
        "demo_pages": len(demo),
        "demo_pages_per_cpu_second": round(demo_rate, 2),
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
    result["load_average"] = round(os.getloadavg()[0], 2)
    result["cpus"] = os.cpu_count()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
