"""The decoder worker process itself: its address space capped, it serves open, page and OCR
requests on its pipe until the parent goes away, answering whatever happens.

Started by `worker.ProcessRunner`; nothing here runs in the app's own process.
"""

from __future__ import annotations

import warnings
from multiprocessing.connection import Connection
from typing import Any

from PIL import Image

from zcreview.preview.failure import MAX_IMAGE_PIXELS, PreviewError, contain, quiet_pypdf_logger
from zcreview.preview.ocr import warm_up as warm_up_ocr
from zcreview.preview.runner import WORKER_DOCS, DocCache, page_of, recognise_page


def _limit_memory(limit: int) -> None:
    try:
        import resource  # POSIX only, hence imported here

        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass  # not enforceable here (Windows, macOS); the timeout still bounds the worker


def _handle(request: tuple[Any, ...], docs: DocCache) -> tuple[Any, ...]:
    op, sha, name, data = request[0], request[1], request[2], request[3]
    if op == "ping":
        return ("ok", None)
    if op == "warm-ocr":
        warm_up_ocr()
        return ("ok", None)
    cached = docs.get(sha)
    if cached is None:
        if data is None:
            return ("need-data",)
        cached = docs.open(sha, name, data)
    if isinstance(cached, PreviewError):
        raise cached
    if op == "open":
        return ("ok", cached.info)
    if op == "ocr":
        return ("ok", recognise_page(cached, request[4]))
    page, max_px, want_text = request[4], request[5], request[6]
    render, text = page_of(cached, page, max_px, want_text)
    return ("ok", (render, text, cached.info))


def worker_main(conn: Connection, memory_limit: int) -> None:
    """Serve open/page requests on ``conn`` until the parent goes away."""
    _limit_memory(memory_limit)
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    quiet_pypdf_logger()
    # Pillow and pypdf warn through `warnings`; nobody reads a worker's stderr.
    warnings.simplefilter("ignore")
    docs = DocCache(WORKER_DOCS)
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = _handle(request, docs)
        except BaseException as exc:  # the worker must answer whatever happened
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                return
            reply = ("error", contain(exc))
        try:
            conn.send(reply)
        except (BrokenPipeError, EOFError, ConnectionError):
            return  # the parent is gone (killed): leave quietly, not with a traceback
        except Exception as exc:  # an unpicklable result: report instead of going silent
            try:
                conn.send(("error", contain(exc)))
            except OSError:
                return
