"""Byte-budgeted LRU caches and the Previewer facade the review screen calls from a worker thread."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from typing import Final, Generic, TypeVar

from PIL import Image

from zcreview.preview.cells import CellMode, Lines, Region, fit_pixels, to_halfblocks, zoom_crop
from zcreview.preview.document import DocInfo
from zcreview.preview.failure import MSG_PAGE_RANGE, ErrorKind, PreviewError, contain
from zcreview.preview.graphics import Protocol, encode_kitty, encode_sixel
from zcreview.preview.page_text import PageText
from zcreview.preview.runner import InlineRunner, Runner
from zcreview.preview.worker import ProcessRunner

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MSG_MISSING: Final = "附件文件缺失或无法读取"
MSG_NO_PAGE: Final = "无法显示该页"
MSG_NO_GRAPHICS: Final = "终端不支持图像显示"

# Page images are decoded at one of these sizes (longest side, pixels), so that resizing the
# terminal or the pane re-cuts cells from a cached image instead of decoding again.
PIXEL_BUCKETS: Final = (256, 512, 1024, 2048, 4096)


class LRUCache(Generic[K, V]):
    """A thread-safe least-recently-used cache that evicts by total size in bytes."""

    def __init__(self, budget_bytes: int, sizeof: Callable[[V], int]) -> None:
        self.budget_bytes = budget_bytes
        self._sizeof = sizeof
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._inflight: dict[K, threading.Lock] = {}
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __contains__(self, key: K) -> bool:
        with self._lock:
            return key in self._items

    def get(self, key: K) -> V | None:
        """The cached value (now most recently used), or None."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: K, value: V) -> None:
        """Store ``value``; evict least recently used entries beyond the budget.

        A value larger than the whole budget is not stored.
        """
        size = max(1, self._sizeof(value))
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            if size > self.budget_bytes:
                return
            self._items[key] = (value, size)
            self.bytes += size
            while self.bytes > self.budget_bytes and self._items:
                _, (_, evicted) = self._items.popitem(last=False)
                self.bytes -= evicted

    def get_or_compute(self, key: K, compute: Callable[[], V]) -> V:
        """The cached value, or ``compute()`` stored; concurrent callers of one key compute once."""
        value = self.get(key)
        if value is not None:
            return value
        with self._lock:
            flight = self._inflight.setdefault(key, threading.Lock())
        with flight:
            with self._lock:
                item = self._items.get(key)
            if item is not None:
                return item[0]
            try:
                value = compute()
                self.put(key, value)
            finally:
                with self._lock:
                    self._inflight.pop(key, None)
        return value

    def discard(self, predicate: Callable[[K], bool]) -> None:
        """Drop every entry whose key matches ``predicate``."""
        with self._lock:
            for key in [k for k in self._items if predicate(k)]:
                self.bytes -= self._items.pop(key)[1]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0


@dataclass(frozen=True, slots=True)
class DocStatus:
    """What opening a document gave: its info, or the message saying why it cannot be shown."""

    info: DocInfo | None
    error: str | None = None
    error_kind: ErrorKind | None = None


@dataclass(frozen=True, slots=True)
class _Page:
    image: Image.Image | None
    source: str = ""
    note: str | None = None
    error: PreviewError | None = None


@dataclass(frozen=True, slots=True)
class RenderedPage:
    """A page drawn as terminal cells, with its text; ``error`` is set instead of raising."""

    lines: Lines
    text: str = ""
    info: DocInfo | None = None
    error: str | None = None
    error_kind: ErrorKind | None = None
    page: int = 0
    page_count: int = 0
    text_low_quality: bool = False
    # Something to tell the reader: a partial image, unreliable text, a repaired file.
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class RenderedGraphics:
    """A page encoded for a pixel protocol (kitty or sixel), or the reason it is not."""

    data: str
    error: str | None = None


def pixel_bucket(needed: int) -> int:
    """The smallest standard decode size that covers ``needed`` pixels."""
    for bucket in PIXEL_BUCKETS:
        if bucket >= needed:
            return bucket
    return PIXEL_BUCKETS[-1]


def _magnify(zoom: Region | None) -> float:
    # A zoomed region must be decoded larger, in proportion to how much of the page it is.
    if zoom is None:
        return 1.0
    return 1 / max(0.05, min(zoom.right - zoom.left, zoom.bottom - zoom.top))


def _lines_size(lines: Lines) -> int:
    # Python object overhead dominates; ~80 bytes a segment plus its text is near enough.
    return sum(80 + len(segment.text) * 2 for line in lines for segment in line) + 64


def _page_size(page: _Page) -> int:
    if page.image is None:
        return 256
    return page.image.width * page.image.height * len(page.image.getbands()) + 256


class Previewer:
    """Everything the review screen needs to show attachments; every method is thread-safe.

    ``blob_reader(sha256)`` returns an attachment's bytes; it is called only when the file
    is not already open. Decoding runs in worker processes (``isolate=True``, the default),
    bounded by ``timeout`` seconds per request; ``isolate=False`` decodes in the calling
    thread (tests, or where processes cannot be started). No method raises on a bad file:
    problems come back as Chinese messages.
    """

    def __init__(
        self,
        blob_reader: Callable[[str], bytes],
        *,
        isolate: bool = True,
        workers: int = 2,
        timeout: float = 8.0,
        image_budget: int = 96 * 1024 * 1024,
        cells_budget: int = 16 * 1024 * 1024,
    ) -> None:
        self._blob_reader = blob_reader
        self._runner: Runner = (
            ProcessRunner(workers=workers, timeout=timeout) if isolate else InlineRunner()
        )
        self._status: LRUCache[str, DocStatus] = LRUCache(4 * 1024 * 1024, lambda _: 512)
        self._pages: LRUCache[tuple[str, int, int], _Page] = LRUCache(image_budget, _page_size)
        self._texts: LRUCache[tuple[str, int], PageText] = LRUCache(
            8 * 1024 * 1024, lambda t: len(t.text) * 2 + 128
        )
        self._cells: LRUCache[tuple[object, ...], Lines] = LRUCache(cells_budget, _lines_size)
        self._graphics: LRUCache[tuple[object, ...], str] = LRUCache(cells_budget, len)

    # -- lifecycle ---------------------------------------------------------------------------

    def warm_up(self, wait: bool = False) -> None:
        """Start decoder processes now (call when the review screen opens).

        Returns at once unless ``wait``, then only when the workers are ready.
        """
        if isinstance(self._runner, ProcessRunner):
            self._runner.warm_up(wait)

    def close(self) -> None:
        """Stop decoder processes and free open documents."""
        self._runner.close()

    def __enter__(self) -> Previewer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def forget(self, sha: str) -> None:
        """Drop everything cached for one attachment (e.g. to retry after a timeout)."""
        self._status.discard(lambda key: key == sha)
        self._pages.discard(lambda key: key[0] == sha)
        self._texts.discard(lambda key: key[0] == sha)
        self._cells.discard(lambda key: key[0] == sha)
        self._graphics.discard(lambda key: key[0] == sha)

    # -- documents ---------------------------------------------------------------------------

    def _read(self, sha: str) -> Callable[[], bytes]:
        def read() -> bytes:
            try:
                return self._blob_reader(sha)
            except Exception as exc:
                raise PreviewError(MSG_MISSING, ErrorKind.MISSING, repr(exc)) from exc

        return read

    def status(self, sha: str, name: str) -> DocStatus:
        """Open the attachment (once) and report its info or why it cannot be shown."""

        def open_doc() -> DocStatus:
            try:
                return DocStatus(self._runner.open(sha, name, self._read(sha)))
            except Exception as exc:
                error = contain(exc)
                return DocStatus(None, error.message_zh, error.kind)

        status = self._status.get_or_compute(sha, open_doc)
        if status.error_kind is ErrorKind.TIMEOUT:
            # Do not remember a timeout forever: the next look may find the worker free.
            self._status.discard(lambda key: key == sha)
        return status

    def page_count(self, sha: str, name: str) -> int:
        """Number of pages (1 for an image), or 0 when the file cannot be opened."""
        info = self.status(sha, name).info
        return info.page_count if info is not None else 0

    def info(self, sha: str, name: str) -> DocInfo | None:
        """The document's flags (encrypted, scanned, …), or None when it cannot be opened."""
        return self.status(sha, name).info

    def _page(self, sha: str, name: str, page: int, max_px: int) -> _Page:
        def decode() -> _Page:
            want_text = (sha, page) not in self._texts
            try:
                render, text = self._runner.page(
                    sha, name, self._read(sha), page, max_px, want_text
                )
            except Exception as exc:
                return _Page(None, error=contain(exc))
            if text is not None:
                self._texts.put((sha, page), text)
            return _Page(render.image, render.source, render.note)

        result = self._pages.get_or_compute((sha, page, max_px), decode)
        if result.error is not None and result.error.kind is ErrorKind.TIMEOUT:
            self._pages.discard(lambda key: key == (sha, page, max_px))
        return result

    def page_image(self, sha: str, name: str, page: int, max_px: int) -> Image.Image | None:
        """The page's image at least ``max_px`` on its longest side where the page has that many."""
        status = self.status(sha, name)
        if status.info is None or not 0 <= page < status.info.page_count:
            return None
        return self._page(sha, name, page, pixel_bucket(max_px)).image

    def text(self, sha: str, name: str, page: int) -> PageText | None:
        """The page's extracted text (decoding the page if needed), or None on failure."""
        cached = self._texts.get((sha, page))
        if cached is None and self.page_image(sha, name, page, PIXEL_BUCKETS[0]) is not None:
            cached = self._texts.get((sha, page))
        return cached

    # -- drawing -----------------------------------------------------------------------------

    def render(
        self,
        sha: str,
        name: str,
        page: int,
        width: int,
        height: int,
        mode: CellMode = "grey8",
        zoom: Region | None = None,
    ) -> RenderedPage:
        """Draw page ``page`` (0-based) into ``width``×``height`` cells; never raises.

        ``zoom`` shows only that part of the page, decoded at a higher resolution so that
        small text becomes legible.
        """
        try:
            return self._render(sha, name, page, width, height, mode, zoom)
        except Exception as exc:  # a bug here must not take the review screen down
            error = contain(exc)
            return RenderedPage([], error=error.message_zh, error_kind=error.kind, page=page)

    def _render(
        self,
        sha: str,
        name: str,
        page: int,
        width: int,
        height: int,
        mode: CellMode,
        zoom: Region | None,
    ) -> RenderedPage:
        status = self.status(sha, name)
        info = status.info
        if info is None:
            return RenderedPage(
                [], error=status.error, error_kind=status.error_kind, page=page, page_count=0
            )
        if not 0 <= page < info.page_count:
            return RenderedPage(
                [],
                info=info,
                error=MSG_PAGE_RANGE,
                error_kind=ErrorKind.PAGE_RANGE,
                page=page,
                page_count=info.page_count,
            )
        needed = round(max(width, height * 2) * _magnify(zoom))
        decoded = self._page(sha, name, page, pixel_bucket(needed))
        text = self._texts.get((sha, page))
        notes = list(info.notes)
        if decoded.note:
            notes.append(decoded.note)
        if text is not None and text.note:
            notes.append(text.note)
        base = RenderedPage(
            [],
            text=text.text if text is not None else "",
            info=info,
            page=page,
            page_count=info.page_count,
            text_low_quality=bool(text and text.low_quality),
            notes=tuple(notes),
        )
        image = decoded.image
        if image is None:
            error = decoded.error or PreviewError(MSG_NO_PAGE)
            return replace(base, error=error.message_zh, error_kind=error.kind)

        def draw() -> Lines:
            source = zoom_crop(image, zoom) if zoom is not None else image
            return to_halfblocks(source, width, height, mode)

        key = (sha, page, width, height, mode, zoom)
        return replace(base, lines=self._cells.get_or_compute(key, draw))

    def graphics(
        self,
        sha: str,
        name: str,
        page: int,
        protocol: Protocol,
        px_width: int,
        px_height: int,
        *,
        cols: int | None = None,
        rows: int | None = None,
        zoom: Region | None = None,
    ) -> RenderedGraphics:
        """Encode a page for kitty or sixel, fitted into ``px_width``×``px_height`` pixels.

        ``cols``/``rows`` (kitty) scale it to a cell box. Never raises.
        """
        if protocol == "none":
            return RenderedGraphics("", MSG_NO_GRAPHICS)
        try:
            key = (sha, page, protocol, px_width, px_height, cols, rows, zoom)

            def encode() -> str:
                status = self.status(sha, name)
                if status.info is None:
                    raise PreviewError(
                        status.error or MSG_MISSING, status.error_kind or ErrorKind.DAMAGED
                    )
                needed = round(max(px_width, px_height) * _magnify(zoom))
                decoded = self._page(sha, name, page, pixel_bucket(needed))
                if decoded.image is None:
                    raise decoded.error or PreviewError(MSG_NO_PAGE)
                image = zoom_crop(decoded.image, zoom) if zoom is not None else decoded.image
                size = fit_pixels(image.size, (px_width, px_height))
                if size != image.size and size[0] > 0:
                    image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
                if protocol == "kitty":
                    return encode_kitty(image, cols=cols, rows=rows)
                return encode_sixel(image)

            return RenderedGraphics(self._graphics.get_or_compute(key, encode))
        except Exception as exc:
            return RenderedGraphics("", contain(exc).message_zh)

    def prefetch(
        self, sha: str, name: str, width: int = 80, height: int = 40, mode: CellMode = "grey8"
    ) -> None:
        """Open an attachment and draw its first page ahead of need (e.g. the next application)."""
        self.render(sha, name, 0, width, height, mode)

    def stats(self) -> dict[str, int]:
        """Cache counters, for the bench and for diagnostics."""
        return {
            "page_hits": self._pages.hits,
            "page_misses": self._pages.misses,
            "cells_hits": self._cells.hits,
            "cells_misses": self._cells.misses,
            "page_bytes": self._pages.bytes,
            "cells_bytes": self._cells.bytes,
        }
