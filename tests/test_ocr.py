"""OCR with the real model in the bounded workers, text-layer judgement, and `zcreview ocr` resuming."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.ocr_pages import CERTIFICATE, char_error_rate, scanned_pdf
from tests.review_screen_data import add_application, new_office
from zcreview.cli import main
from zcreview.demo.attachments import text_pdf
from zcreview.domain.model import iter_attachments
from zcreview.preview.ocr import (
    engine_version,
    reading_order,
    text_layer_lines,
    text_layer_reliable,
)
from zcreview.preview.worker import ProcessRunner
from zcreview.storage.recognised import load_doc


def test_a_scanned_certificate_is_read_in_a_worker_in_reading_order() -> None:
    data = scanned_pdf()
    sha = hashlib.sha256(data).hexdigest()
    runner = ProcessRunner(workers=1)
    try:
        result = runner.recognise(sha, "毕业证书.pdf", lambda: data, 0)
    finally:
        runner.close()
    assert result.source == "ocr"
    assert result.engine == engine_version() and result.engine.startswith("rapidocr-")
    text = "\n".join(line[0] for line in result.lines)
    assert char_error_rate("".join(CERTIFICATE), text) <= 0.05, text
    assert result.lines[0][0] == "毕业证书"  # reading order: the title first
    assert "山东大学" in text and "104221201205001234" in text
    for _text, confidence, (x0, y0, x1, y1) in result.lines:
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
        assert 0 < confidence <= 1


def test_text_layers_that_decode_to_garbage_are_not_trusted() -> None:
    assert text_layer_reliable("专业技术人员年度考核登记表\n考核结果：合格")
    assert not text_layer_reliable("")
    assert not text_layer_reliable("  考核 ")  # too little to be the page's text
    assert not text_layer_reliable("考核结果\ufffd\ufffd\ufffd合格")
    assert not text_layer_reliable("견본 문서 ᄀ 考核登记表")  # Hangul from a broken font map
    assert not text_layer_reliable("ΑΒΓΔ ΕΖΗΘ 年度考核")  # Greek
    assert not text_layer_reliable("ⲀⲂⲄⲆ考核登记表合格")  # Coptic
    assert not text_layer_reliable("\ue000\ue001\ue002年度考核登记表")  # private use
    lines = text_layer_lines("年度考核登记表\n\n考核结果：合格\n")
    assert [line[0] for line in lines] == ["年度考核登记表", "考核结果：合格"]
    assert lines[1][2][1] == 0.5 and lines[0][1] == 1.0


def test_reading_order_is_rows_then_left_to_right() -> None:
    right = ("校长：李明", 0.9, (0.6, 0.50, 0.9, 0.55))
    left = ("校名：山东大学", 0.9, (0.1, 0.51, 0.4, 0.56))
    title = ("毕业证书", 0.9, (0.4, 0.1, 0.6, 0.16))
    assert [line[0] for line in reading_order([right, title, left])] == [
        "毕业证书",
        "校名：山东大学",
        "校长：李明",
    ]


def test_ocr_command_stores_every_page_once_and_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    store = new_office(home)
    proof = text_pdf("继续教育证明", ["张伟 2023年度 完成继续教育 90 学时"])
    files = {"学历/2012年6月本科学历.pdf": scanned_pdf(), "继续教育/2023年继续教育证明.pdf": proof}
    app_id = add_application(store, 0, files=files)
    with store.session() as session:
        from zcreview.storage.applications import load_revision

        app = load_revision(app_id, session=session)
    shas = {ref.sha256 for _path, ref in iter_attachments(app) if ref.sha256}
    cert = next(r.sha256 for p, r in iter_attachments(app) if p.startswith("education.basis"))
    assert main(["--home", str(home), "ocr", app_id]) == 0
    first = capsys.readouterr().err
    assert "识别完成" in first and "页/秒" in first
    engine = engine_version()
    with store.session() as session:
        docs = {sha: load_doc(sha, engine=engine, session=session) for sha in shas}
    assert all(doc is not None and doc.complete for doc in docs.values())
    certificate = docs[cert]
    assert certificate is not None
    page = certificate.page(0)
    assert page is not None and page.source == "ocr" and "山东大学" in page.text
    # A born-digital PDF is read from its text layer, without OCR.
    layer = docs[hashlib.sha256(proof).hexdigest()]
    assert layer is not None and layer.pages[0].source == "text-layer"
    assert "完成继续教育 90 学时" in layer.pages[0].text
    # A second run (as after a kill) reads nothing again.
    assert (
        main(["--home", str(home), "--db", f"sqlite:///{home / 'office.db'}", "ocr", "--all"]) == 0
    )
    second = capsys.readouterr().err
    assert "新识别 0 页" in second
    store.dispose()
