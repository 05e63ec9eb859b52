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
from collections import OrderedDict
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Final

from PIL import Image

from zcreview.preview.decoder_process import worker_main
from zcreview.preview.document import DocInfo
from zcreview.preview.failure import MSG_TIMEOUT, ErrorKind, PreviewError, contain
from zcreview.preview.images import PageRender
from zcreview.preview.ocr import Recognised
from zcreview.preview.page_text import PageText
from zcreview.preview.runner import WORKER_DOCS, DataSource

DEFAULT_TIMEOUT: Final = 8.0
OCR_TIMEOUT: Final = 60.0
"""A page's recognition: ~0.5–2 s on a busy core, the first one also loads the models."""
# Address-space cap for a worker: the interpreter, pdfium and Pillow take ~0.5 GB of it.
DEFAULT_MEMORY_LIMIT: Final = 2 * 1024 * 1024 * 1024

MSG_WORKER_DIED: Final = "解码进程意外退出，文件可能已损坏"
MSG_WORKER_START: Final = "无法启动解码进程"


@dataclass(frozen=True, slots=True)
class PageResult:
    """A decoded page: its image (None on error), its text if asked for, and the document info."""

    image: Image.Image | None
    text: PageText | None
    info: DocInfo | None
    source: str = ""
    note: str | None = None
    error: PreviewError | None = None


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
        while len(self.recent) > WORKER_DOCS:
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
