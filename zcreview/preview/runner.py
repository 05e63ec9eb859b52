"""Where documents are opened and pages decoded (`Runner`), and the part every runner shares:
the documents kept open and how one page is drawn or read. `InlineRunner` decodes in the
calling thread; `worker.ProcessRunner` in worker processes that can be killed."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Final, Protocol

from zcreview.preview.document import DocInfo, Document, open_document
from zcreview.preview.failure import PreviewError, contain
from zcreview.preview.images import PageRender
from zcreview.preview.ocr import (
    RENDER_PX,
    TEXT_LAYER_ENGINE,
    Recognised,
    engine_version,
    recognise_image,
    text_layer_lines,
    text_layer_reliable,
)
from zcreview.preview.page_text import PageText

# Documents a worker keeps open; the parent mirrors this to know when to resend the bytes.
WORKER_DOCS: Final = 4

DataSource = Callable[[], bytes]


class Runner(Protocol):
    """Where documents are opened and pages decoded: in this process or in workers."""

    def open(self, sha: str, name: str, data: DataSource) -> DocInfo: ...

    def page(
        self, sha: str, name: str, data: DataSource, page: int, max_px: int, want_text: bool
    ) -> tuple[PageRender, PageText | None]: ...

    def recognise(self, sha: str, name: str, data: DataSource, page: int) -> Recognised: ...

    def close(self) -> None: ...


def recognise_page(doc: Document, page: int) -> Recognised:
    """The page's text layer where it is reliable, else OCR of its image."""
    if doc.kind == "pdf":
        layer = doc.text(page)
        if not layer.low_quality and text_layer_reliable(layer.text):
            return Recognised("text-layer", TEXT_LAYER_ENGINE, text_layer_lines(layer.text))
    render = doc.render_page(page, RENDER_PX)
    return Recognised("ocr", engine_version(), recognise_image(render.image))


class DocCache:
    """Open documents (or the error opening them), most recently used last."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._docs: OrderedDict[str, Document | PreviewError] = OrderedDict()

    def get(self, sha: str) -> Document | PreviewError | None:
        doc = self._docs.get(sha)
        if doc is not None:
            self._docs.move_to_end(sha)
        return doc

    def open(self, sha: str, name: str, data: bytes) -> Document:
        try:
            doc: Document | PreviewError = open_document(data, name)
        except Exception as exc:
            doc = contain(exc)
        self._docs[sha] = doc
        while len(self._docs) > self._size:
            _, old = self._docs.popitem(last=False)
            if isinstance(old, Document):
                old.close()
        if isinstance(doc, PreviewError):
            raise doc
        return doc

    def close(self) -> None:
        for doc in self._docs.values():
            if isinstance(doc, Document):
                doc.close()
        self._docs.clear()


def page_of(
    doc: Document, page: int, max_px: int, want_text: bool
) -> tuple[PageRender, PageText | None]:
    render = doc.render_page(page, max_px)
    text = doc.text(page) if want_text else None
    return render, text


class InlineRunner:
    """Decode in the calling thread: fast and simple, but nothing bounds time or memory."""

    def __init__(self, docs: int = WORKER_DOCS) -> None:
        self._docs = DocCache(docs)
        # Documents are not thread-safe; callers may be several worker threads.
        self._lock = threading.Lock()

    def _doc(self, sha: str, name: str, data: DataSource) -> Document:
        cached = self._docs.get(sha)
        if isinstance(cached, PreviewError):
            raise cached
        return cached if cached is not None else self._docs.open(sha, name, data())

    def open(self, sha: str, name: str, data: DataSource) -> DocInfo:
        with self._lock:
            return self._doc(sha, name, data).info

    def page(
        self, sha: str, name: str, data: DataSource, page: int, max_px: int, want_text: bool
    ) -> tuple[PageRender, PageText | None]:
        with self._lock:
            try:
                return page_of(self._doc(sha, name, data), page, max_px, want_text)
            except Exception as exc:
                raise contain(exc) from exc

    def recognise(self, sha: str, name: str, data: DataSource, page: int) -> Recognised:
        with self._lock:
            try:
                return recognise_page(self._doc(sha, name, data), page)
            except Exception as exc:
                raise contain(exc) from exc

    def close(self) -> None:
        with self._lock:
            self._docs.close()
