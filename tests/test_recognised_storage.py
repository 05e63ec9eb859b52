"""Recognised page text is stored once per (blob, page, engine) and read back intact."""

from __future__ import annotations

from zcreview.domain.recognised import PageText, TextLine
from zcreview.storage.recognised import (
    TEXT_LAYER_ENGINE,
    evidence_for,
    load_doc,
    save_failure,
    save_page,
    stored_pages,
)
from zcreview.storage.store import Store

ENGINE = "rapidocr-test/PP-OCR"
SHA = "a" * 64


def _page(page: int, *lines: tuple[str, float]) -> PageText:
    return PageText(
        SHA,
        page,
        ENGINE,
        "ocr",
        tuple(
            TextLine(text, conf, (0.1, round(0.1 * i, 4), 0.9, round(0.1 * i + 0.05, 4)))
            for i, (text, conf) in enumerate(lines)
        ),
    )


def test_pages_round_trip_in_order_and_only_once(store: Store) -> None:
    first = _page(1, ("学生王建国，性别男", 0.98), ("土木工程", 0.41))
    zero = _page(0, ("毕业证书", 0.999))
    with store.session() as session:
        assert save_page(first, engine=ENGINE, page_count=2, session=session)
        assert save_page(zero, engine=ENGINE, page_count=2, session=session)
        # The same page again (another process read it too) is not stored twice.
        assert not save_page(zero, engine=ENGINE, page_count=2, session=session)
    with store.session() as session:
        doc = load_doc(SHA, engine=ENGINE, session=session)
        assert doc is not None and doc.complete
        assert [p.page for p in doc.ordered()] == [0, 1]
        back = doc.page(1)
        assert back is not None
        assert [line.text for line in back.lines] == ["学生王建国，性别男", "土木工程"]
        assert back.lines[1].confidence == 0.41
        assert back.lines[1].box == (0.1, 0.1, 0.9, 0.15)
        assert back.engine == ENGINE and back.source == "ocr"
        assert stored_pages(SHA, engine=ENGINE, session=session) == {0, 1}
        # Another engine version has read nothing yet.
        assert load_doc(SHA, engine="rapidocr-next", session=session) is None
        assert evidence_for([SHA, "b" * 64], engine=ENGINE, session=session) == {SHA: [zero, first]}


def test_text_layer_and_failures_are_kept(store: Store) -> None:
    layer = PageText(
        SHA, 0, TEXT_LAYER_ENGINE, "text-layer", (TextLine("考核结果：合格", 1.0, (0, 0, 1, 1)),)
    )
    with store.session() as session:
        save_page(layer, engine=ENGINE, page_count=3, session=session)
        save_failure(SHA, 1, engine=ENGINE, page_count=3, message="解码超时", session=session)
    with store.session() as session:
        doc = load_doc(SHA, engine=ENGINE, session=session)
        assert doc is not None
        assert not doc.complete  # page 2 is still to read
        page = doc.page(0)
        assert page is not None and page.engine == TEXT_LAYER_ENGINE
        assert page.source == "text-layer" and page.text == "考核结果：合格"
        assert doc.errors == {1: "解码超时"}
