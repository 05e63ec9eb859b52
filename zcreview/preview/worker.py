"""Decode pages in persistent worker processes, so a pathological file cannot freeze or exhaust the app."""

# Why processes and not threads: a thread cannot be stopped. A page that makes pdfium or Pillow
# loop or allocate without end would keep running (and keep holding the pdfium lock) after the
# caller gave up, and a MemoryError could hit any thread of the app. A worker process can be
# killed on a timeout and replaced, and its address space is capped (RLIMIT_AS) so that running
# out of memory stays inside it. Workers are persistent: the ~0.3 s interpreter start is paid
# once (ahead of time with warm_up), after which a request costs a pipe round trip (< 1 ms) on
# top of the decode itself (~20 ms for a scan). Each worker keeps its last few documents open,
# so the file is sent and parsed once, not per page.

from __future__ import annotations

import atexit
import contextlib
import hashlib
import multiprocessing
import os
import sys
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Final, Protocol

from PIL import Image

from zcreview.preview.document import DocInfo, Document, open_document
from zcreview.preview.failure import (
    MAX_IMAGE_PIXELS,
    MSG_TIMEOUT,
    ErrorKind,
    PreviewError,
    contain,
    quiet_pypdf_logger,
)
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
from zcreview.preview.ocr import warm_up as warm_up_ocr
from zcreview.preview.page_text import PageText

DEFAULT_TIMEOUT: Final = 8.0
OCR_TIMEOUT: Final = 60.0
"""A page's recognition: ~0.5–2 s on a busy core, the first one also loads the models."""
# Address-space cap for a worker: the interpreter, pdfium and Pillow take ~0.5 GB of it.
DEFAULT_MEMORY_LIMIT: Final = 2 * 1024 * 1024 * 1024
# Documents a worker keeps open; the parent mirrors this to know when to resend the bytes.
_WORKER_DOCS: Final = 4

MSG_WORKER_DIED: Final = "解码进程意外退出，文件可能已损坏"
MSG_WORKER_START: Final = "无法启动解码进程"

DataSource = Callable[[], bytes]


@dataclass(frozen=True, slots=True)
class PageResult:
    """A decoded page: its image (None on error), its text if asked for, and the document info."""

    image: Image.Image | None
    text: PageText | None
    info: DocInfo | None
    source: str = ""
    note: str | None = None
    error: PreviewError | None = None


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


class _DocCache:
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


def _page_of(
    doc: Document, page: int, max_px: int, want_text: bool
) -> tuple[PageRender, PageText | None]:
    render = doc.render_page(page, max_px)
    text = doc.text(page) if want_text else None
    return render, text


class InlineRunner:
    """Decode in the calling thread: fast and simple, but nothing bounds time or memory."""

    def __init__(self, docs: int = _WORKER_DOCS) -> None:
        self._docs = _DocCache(docs)
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
                return _page_of(self._doc(sha, name, data), page, max_px, want_text)
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


# --- the worker process ------------------------------------------------------------------------


def _limit_memory(limit: int) -> None:
    try:
        import resource  # POSIX only, hence imported here

        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass  # not enforceable here (Windows, macOS); the timeout still bounds the worker


def _handle(request: tuple[Any, ...], docs: _DocCache) -> tuple[Any, ...]:
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
    render, text = _page_of(cached, page, max_px, want_text)
    return ("ok", (render, text, cached.info))


def worker_main(conn: Connection, memory_limit: int) -> None:
    """Serve open/page requests on ``conn`` until the parent goes away."""
    _limit_memory(memory_limit)
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    quiet_pypdf_logger()
    # Pillow and pypdf warn through `warnings`; nobody reads a worker's stderr.
    warnings.simplefilter("ignore")
    docs = _DocCache(_WORKER_DOCS)
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


_tracker_lock = threading.Lock()


def ensure_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with a stderr that is a real file.

    The tracker (started with the first spawned process) hands `sys.stderr.fileno()` to its
    child. Inside a Textual app `sys.stderr` is a capture object whose `fileno()` is -1, and the
    spawn fails with "bad value(s) in fds_to_keep", so no decoder process could start. The
    process's own stderr (or /dev/null when it has none) is put in place while the tracker
    starts; once it runs, later starts do not read stderr at all.
    """
    from multiprocessing import resource_tracker

    with _tracker_lock:
        saved = sys.stderr
        devnull = None
        stream: Any = sys.__stderr__
        try:
            if stream is None or _bad_fileno(stream):
                stream = devnull = open(os.devnull, "w")  # noqa: SIM115 - closed below
            sys.stderr = stream
            resource_tracker.ensure_running()
        finally:
            sys.stderr = saved
            if devnull is not None:
                devnull.close()


def _bad_fileno(stream: Any) -> bool:
    try:
        return int(stream.fileno()) < 0
    except Exception:
        return True


class _Worker:
    """One worker process and the parent's end of its pipe; used by one thread at a time."""

    def __init__(self, context: Any, memory_limit: int) -> None:
        self._context = context
        self._memory_limit = memory_limit
        self._process: Any = None
        self._conn: Connection | None = None
        # Mirror of the worker's open documents, to skip resending bytes it already has.
        self.recent: OrderedDict[str, None] = OrderedDict()

    def start(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        self.kill()
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=worker_main, args=(child, self._memory_limit), daemon=True
        )
        try:
            ensure_resource_tracker()
            process.start()
        except Exception as exc:
            raise PreviewError(MSG_WORKER_START, ErrorKind.DAMAGED, repr(exc)) from exc
        child.close()
        self._process, self._conn = process, parent

    def kill(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._process is not None:
            with contextlib.suppress(Exception):
                self._process.kill()
                self._process.join(timeout=2)
        self._process = self._conn = None
        self.recent.clear()

    def _exchange(self, request: tuple[Any, ...], timeout: float) -> tuple[Any, ...]:
        self.start()
        conn = self._conn
        assert conn is not None
        try:
            conn.send(request)
            if not conn.poll(timeout):
                self.kill()
                raise PreviewError(MSG_TIMEOUT, ErrorKind.TIMEOUT, f"no answer in {timeout} s")
            reply: tuple[Any, ...] = conn.recv()
        except PreviewError:
            raise
        except Exception as exc:  # EOF or broken pipe: the worker died (crash, memory cap)
            self.kill()
            raise PreviewError(MSG_WORKER_DIED, ErrorKind.DAMAGED, repr(exc)) from exc
        return reply

    def ping(self, timeout: float) -> None:
        self._exchange(("ping", "", "", None), timeout)

    def call(
        self, op: str, sha: str, name: str, data: DataSource, args: tuple[Any, ...], timeout: float
    ) -> Any:
        payload = None if sha in self.recent else data()
        reply = self._exchange((op, sha, name, payload, *args), timeout)
        if reply[0] == "need-data":
            reply = self._exchange((op, sha, name, data(), *args), timeout)
        self.recent[sha] = None
        self.recent.move_to_end(sha)
        while len(self.recent) > _WORKER_DOCS:
            self.recent.popitem(last=False)
        if reply[0] == "error":
            error = reply[1]
            raise error if isinstance(error, PreviewError) else contain(error)
        return reply[1]


class ProcessRunner:
    """A small pool of worker processes with a timeout per request."""

    def __init__(
        self,
        workers: int = 2,
        timeout: float = DEFAULT_TIMEOUT,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
        start_method: str = "spawn",
    ) -> None:
        # "spawn": forking a process that already runs threads (Textual does) is unsafe.
        context = multiprocessing.get_context(start_method)
        self.timeout = timeout
        self._workers = [_Worker(context, memory_limit) for _ in range(max(1, workers))]
        self._idle = list(self._workers)
        self._cond = threading.Condition()
        self._closed = False

    def warm_up(self, wait: bool = False) -> None:
        """Start the worker processes now, so the first preview does not wait for them.

        With ``wait``, return only once every worker has finished importing its decoders.
        """
        with self._cond:
            workers = list(self._idle)
            self._idle.clear()
        try:
            for worker in workers:
                worker.start()
            if wait:
                for worker in workers:
                    worker.ping(self.timeout + 30)
        finally:
            with self._cond:
                self._idle.extend(workers)
                self._cond.notify_all()

    def _acquire(self, sha: str) -> _Worker:
        with self._cond:
            while not self._idle:
                self._cond.wait()
            # Prefer a worker that already has the document open.
            chosen = next((w for w in self._idle if sha in w.recent), self._idle[0])
            self._idle.remove(chosen)
            return chosen

    def _release(self, worker: _Worker) -> None:
        with self._cond:
            if self._closed:
                worker.kill()
            self._idle.append(worker)
            self._cond.notify()

    def _call(
        self, op: str, sha: str, name: str, data: DataSource, args: tuple[Any, ...], timeout: float
    ) -> Any:
        worker = self._acquire(sha)
        try:
            return worker.call(op, sha, name, data, args, timeout)
        finally:
            self._release(worker)

    def open(self, sha: str, name: str, data: DataSource) -> DocInfo:
        info: DocInfo = self._call("open", sha, name, data, (), self.timeout)
        return info

    def page(
        self,
        sha: str,
        name: str,
        data: DataSource,
        page: int,
        max_px: int,
        want_text: bool,
        timeout: float | None = None,
    ) -> tuple[PageRender, PageText | None]:
        render, text, _info = self._call(
            "page", sha, name, data, (page, max_px, want_text), timeout or self.timeout
        )
        return render, text

    def warm_up_ocr(self) -> None:
        """Start a worker and load the OCR models in it, so the first page does not wait."""
        self._call("warm-ocr", "", "", lambda: b"", (), OCR_TIMEOUT)

    def recognise(
        self,
        sha: str,
        name: str,
        data: DataSource,
        page: int,
        timeout: float = OCR_TIMEOUT,
    ) -> Recognised:
        """Read page ``page``'s text (text layer or OCR) in a worker; raises PreviewError."""
        result: Recognised = self._call("ocr", sha, name, data, (page,), timeout)
        return result

    def close(self) -> None:
        """Stop the workers (busy ones are stopped when they finish)."""
        with self._cond:
            self._closed = True
            for worker in self._idle:
                worker.kill()


_default_pool: ProcessRunner | None = None
_default_lock = threading.Lock()


def default_pool() -> ProcessRunner:
    """The process-wide pool behind render_page_bounded (created on first use)."""
    global _default_pool
    with _default_lock:
        if _default_pool is None:
            _default_pool = ProcessRunner()
            atexit.register(_default_pool.close)
        return _default_pool


def render_page_bounded(
    data: bytes,
    name: str,
    page: int,
    max_px: int,
    *,
    want_text: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> PageResult:
    """Decode one page in a worker process, bounded in time and memory; never raises.

    Returns a PageResult with the image (longest side ≤ max_px), the page text if asked for
    and the document info; on any failure ``error`` holds a PreviewError with a Chinese
    message (a timeout gives ErrorKind.TIMEOUT and the worker is replaced).
    """
    sha = hashlib.sha256(data).hexdigest()
    pool = default_pool()
    try:
        info = pool.open(sha, name, lambda: data)
        render, text = pool.page(sha, name, lambda: data, page, max_px, want_text, timeout)
    except Exception as exc:
        return PageResult(None, None, None, error=contain(exc))
    return PageResult(render.image, text, info, render.source, render.note)
