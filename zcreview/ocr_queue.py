"""Read every attachment's pages once, most urgent first: the open application, the next ones, the rest.

Pages are read in the bounded decoder worker processes (`zcreview.preview.worker`) by a few
threads here, and each page is stored as soon as it is read (`storage.recognised`), so a page is
never read twice, a killed run resumes where it stopped, and nothing here ever blocks a screen.
Urgency can change at any time: after each page the thread looks whether something more urgent
came in (the reviewer opened another application) and turns to it, putting the rest back.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from zcreview.domain.catalogue import Config
from zcreview.domain.recognised import PageText, TextLine
from zcreview.preview.failure import ErrorKind, PreviewError, contain
from zcreview.preview.ocr import Recognised, engine_version
from zcreview.preview.runner import Runner
from zcreview.preview.worker import OCR_TIMEOUT, ProcessRunner
from zcreview.storage.applications import refresh_counts_of
from zcreview.storage.recognised import (
    RecognisedDoc,
    applications_with_blob,
    attachment_names,
    load_doc,
    load_docs,
    save_failure,
    save_page,
    stored_pages,
)
from zcreview.storage.store import Store

Doc = tuple[str, str]
"""An attachment: (SHA-256, file name)."""

FOCUS: Final = 0
"""The application on screen; the attachment under the cursor first."""
AHEAD: Final = 1
"""The next applications of the reviewer's selection."""
BACKGROUND: Final = 2
"""Everything else the office holds."""

MSG_NOT_LOCAL: Final = "附件尚未从上级/下级取回，未识别"

Outcome = Literal["read", "failed", "skipped"]


@dataclass(frozen=True, slots=True)
class PageEvent:
    """One page done (read, failed and kept as failed) or a document found to need nothing."""

    sha256: str
    page: int
    page_count: int
    outcome: Outcome
    source: str = ""
    seconds: float = 0.0


def to_page_text(sha256: str, page: int, recognised: Recognised) -> PageText:
    """The worker's plain result as the shared domain type."""
    return PageText(
        sha256,
        page,
        recognised.engine,
        recognised.source,
        tuple(TextLine(text, conf, box) for text, conf, box in recognised.lines),
    )


@dataclass(order=True)
class _Entry:
    key: tuple[int, int, int]
    sha: str = ""
    name: str = ""
    fetch: bool = False


class OcrQueue:
    """A priority queue of attachments to read, drained by `workers` threads.

    `blob_reader(sha)` gives the bytes (it may fetch from the hub); `is_local(sha)` says
    whether they are here already: an attachment that is not is read only when it was added
    with `fetch=True` (the reviewer opened it, or the command line asked). `on_page` is called
    from a worker thread after every page.
    """

    def __init__(
        self,
        store: Store,
        blob_reader: Callable[[str], bytes],
        *,
        workers: int = 1,
        runner: Runner | None = None,
        is_local: Callable[[str], bool] | None = None,
        on_page: Callable[[PageEvent], None] | None = None,
        engine: str | None = None,
        config: Config | None = None,
    ) -> None:
        self.store = store
        # With a configuration, an attachment read to its last page refreshes the queue's
        # ✓/⚠/✗ of the applications it backs: its evidence checks count from then on.
        self.config = config
        self.engine = engine or engine_version()
        self._read = blob_reader
        self._is_local = is_local or store.blobs.has
        self._workers = max(1, workers)
        self._runner: Runner = runner or ProcessRunner(workers=self._workers, timeout=OCR_TIMEOUT)
        self._own_runner = runner is None
        self._listeners: list[Callable[[PageEvent], None]] = [on_page] if on_page else []
        self._heap: list[_Entry] = []
        self._best: dict[str, tuple[int, int, int]] = {}
        self._fetch: set[str] = set()
        self._busy = 0
        self._cond = threading.Condition()
        self._counter = itertools.count()
        self._generation = 0
        self._threads: list[threading.Thread] = []
        self._closed = False

    # -- what to read ------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[PageEvent], None]) -> None:
        with self._cond:
            self._listeners.append(listener)

    def add(self, docs: Iterable[Doc], priority: int = BACKGROUND, *, fetch: bool = False) -> None:
        """Queue attachments at `priority` in the order given; a newer call of the same
        priority goes before older ones (the application opened last is the one on screen)."""
        with self._cond:
            self._generation += 1
            for position, (sha, name) in enumerate(docs):
                if not sha:
                    continue
                key = (priority, -self._generation if priority < BACKGROUND else 0, position)
                if priority == BACKGROUND:
                    key = (priority, next(self._counter), 0)
                if fetch:
                    self._fetch.add(sha)
                best = self._best.get(sha)
                if best is not None and best <= key:
                    continue
                self._best[sha] = key
                heapq.heappush(self._heap, _Entry(key, sha, name))
            self._cond.notify_all()
        self._start()

    def focus(self, docs: Sequence[Doc], *, fetch: bool = False) -> None:
        """The application on screen: read now; with `fetch`, even if the bytes must come from
        the hub first (the attachment the reviewer is looking at is fetched for the preview anyway)."""
        self.add(docs, FOCUS, fetch=fetch)

    def ahead(self, docs: Sequence[Doc]) -> None:
        self.add(docs, AHEAD)

    def everything(self) -> None:
        """Queue every attachment of the office in the background (local ones get read)."""
        with self.store.session() as session:
            docs = attachment_names(session=session)
        self.add(docs, BACKGROUND)

    # -- results -----------------------------------------------------------------------------

    def doc(self, sha: str) -> RecognisedDoc | None:
        """What is stored for one attachment (None: nothing yet)."""
        with self.store.session() as session:
            return load_doc(sha, engine=self.engine, session=session)

    def docs(self, shas: Iterable[str]) -> dict[str, RecognisedDoc]:
        with self.store.session() as session:
            return load_docs(shas, engine=self.engine, session=session)

    def pending(self) -> int:
        """Attachments waiting or being read."""
        with self._cond:
            return len(self._best) + self._busy

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is queued or being read (the command line, tests)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._best and not self._busy, timeout)

    def warm_up(self) -> None:
        """Start a worker process and load the models in it (blocks ~1–3 s; call from a thread)."""
        if isinstance(self._runner, ProcessRunner):
            self._runner.warm_up_ocr()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._heap.clear()
            self._best.clear()
            self._cond.notify_all()
        if self._own_runner:
            self._runner.close()

    # -- the threads -------------------------------------------------------------------------

    def _start(self) -> None:
        with self._cond:
            if self._closed or len(self._threads) >= self._workers:
                return
            while len(self._threads) < self._workers:
                thread = threading.Thread(
                    target=self._run, name=f"ocr-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()

    def _pop(self) -> _Entry | None:
        with self._cond:
            while True:
                if self._closed:
                    return None
                while self._heap:
                    entry = heapq.heappop(self._heap)
                    if self._best.get(entry.sha) == entry.key:
                        del self._best[entry.sha]
                        entry.fetch = entry.sha in self._fetch
                        self._busy += 1
                        return entry
                self._cond.wait()

    def _more_urgent(self, key: tuple[int, int, int]) -> bool:
        with self._cond:
            return bool(self._heap) and self._heap[0].key < key and not self._closed

    def _requeue(self, entry: _Entry) -> None:
        with self._cond:
            best = self._best.get(entry.sha)
            if best is None or entry.key < best:
                self._best[entry.sha] = entry.key
                heapq.heappush(self._heap, _Entry(entry.key, entry.sha, entry.name))

    def _run(self) -> None:
        while True:
            entry = self._pop()
            if entry is None:
                return
            try:
                self._read_doc(entry)
            except Exception:  # a store or runner failure must not kill the thread
                pass
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _emit(self, event: PageEvent) -> None:
        for listener in list(self._listeners):
            with contextlib.suppress(Exception):
                listener(event)

    def _read_doc(self, entry: _Entry) -> None:
        sha, name = entry.sha, entry.name
        with self.store.session() as session:
            stored = load_doc(sha, engine=self.engine, session=session)
        if stored is not None and stored.complete:
            self._emit(PageEvent(sha, -1, stored.page_count, "skipped"))
            return
        if not entry.fetch and not self._is_local(sha):
            self._emit(PageEvent(sha, -1, 0, "skipped", MSG_NOT_LOCAL))
            return

        def data() -> bytes:
            return self._read(sha)

        try:
            page_count = self._runner.open(sha, name, data).page_count
        except Exception as exc:
            error = contain(exc)
            if error.kind is ErrorKind.MISSING or error.kind is ErrorKind.TIMEOUT:
                self._emit(PageEvent(sha, 0, 1, "failed", error.message_zh))
                return  # not here now, or the machine was busy: try again another time
            with self.store.session() as session:
                save_failure(
                    sha,
                    0,
                    engine=self.engine,
                    page_count=1,
                    message=error.message_zh,
                    session=session,
                )
            self._emit(PageEvent(sha, 0, 1, "failed", error.message_zh))
            return
        with self.store.session() as session:
            done = stored_pages(sha, engine=self.engine, session=session)
        for page in range(page_count):
            if page in done:
                continue
            self._read_page(sha, name, data, page, page_count)
            if page + 1 < page_count and self._more_urgent(entry.key):
                self._requeue(entry)  # the rest of this file after the urgent one
                return

    def _read_page(
        self, sha: str, name: str, data: Callable[[], bytes], page: int, page_count: int
    ) -> None:
        import time

        started = time.perf_counter()
        try:
            recognised = self._runner.recognise(sha, name, data, page)
        except Exception as exc:
            error = exc if isinstance(exc, PreviewError) else contain(exc)
            if error.kind is not ErrorKind.MISSING:
                with self.store.session() as session:
                    save_failure(
                        sha,
                        page,
                        engine=self.engine,
                        page_count=page_count,
                        message=error.message_zh,
                        session=session,
                    )
            self._settle_counts(sha)
            self._emit(PageEvent(sha, page, page_count, "failed", error.message_zh))
            return
        seconds = time.perf_counter() - started
        text = to_page_text(sha, page, recognised)
        with self.store.session() as session:
            save_page(text, engine=self.engine, page_count=page_count, session=session)
        self._settle_counts(sha)
        self._emit(PageEvent(sha, page, page_count, "read", recognised.source, seconds))

    def _settle_counts(self, sha: str) -> None:
        """Once every page of `sha` is read, recount the applications it backs."""
        if self.config is None:
            return
        with self.store.session() as session:
            doc = load_doc(sha, engine=self.engine, session=session)
            if doc is None or not doc.complete:
                return
            refresh_counts_of(
                applications_with_blob(sha, session=session), self.config, session=session
            )
            session.commit()
