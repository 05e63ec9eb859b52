"""Attachment preview beside the fields: half-block pages through the Line API, text, zoom.

Pages are drawn by `zcreview.preview.cache.Previewer` in a thread worker (it decodes in its own
worker processes and caches by hash, page and size); the pane keeps the strips of recent pages so
flipping back is immediate. A file that cannot be shown (encrypted, damaged, not a PDF …) gives a
message in the pane; review goes on. Terminal graphics (kitty, sixel) are drawn over the pane only
when the terminal said it can (asked at start-up, or forced by the user's setting) and the
reviewer asks for pixels; half-blocks always work.

The pane is built in layers: its state (`preview_state`), drawing it (`preview_drawing`), and
here the workers, navigation and terminal graphics. Beside it: what it shows
(`preview_types`), its text view with the evidence marked (`preview_reading`), and the
terminal pixels drawn over it (`preview_graphics`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import work
from textual.message import Message
from textual.worker import get_current_worker

from zcreview.preview.cache import RenderedPage
from zcreview.preview.graphics import Protocol
from zcreview.screens.evidence_match import findings
from zcreview.screens.widgets.preview_drawing import PreviewDrawing
from zcreview.screens.widgets.preview_graphics import PixelOverlay
from zcreview.screens.widgets.preview_state import PreviewState
from zcreview.screens.widgets.preview_types import VIEWS, ZOOMS, Key, PreviewTarget
from zcreview.storage.recognised import RecognisedDoc

__all__ = ["PreviewPane", "PreviewTarget"]

_KEEP = 24
"""Rendered pages the pane keeps (each ≈ 30 KB of strips)."""


class PreviewPane(PreviewDrawing):
    """Shows `target` (pushed down by the screen) at `page`, as an image or as its text."""

    DEFAULT_CSS = """
    PreviewPane {
        background: $panel;
        height: 1fr;
    }
    PreviewPane > .preview-pane--header { background: $primary-background; text-style: bold; }
    PreviewPane > .preview-pane--muted { color: $text-muted; }
    PreviewPane > .preview-pane--error { color: $error; text-style: bold; }
    PreviewPane > .preview-pane--note { color: $warning; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "preview-pane--header",
        "preview-pane--muted",
        "preview-pane--error",
        "preview-pane--note",
    }

    @dataclass
    class Shown(Message):
        """A page (or the reason it cannot be shown) is on screen."""

        target: PreviewTarget
        page: int
        page_count: int
        error: str | None

    @dataclass
    class _Done(Message):
        key: Key
        result: RenderedPage

    @dataclass
    class _Graphics(Message):
        key: Key
        data: str

    @dataclass
    class _Text(Message):
        sha: str
        page: int
        doc: RecognisedDoc | None

    def watch_target(self, old: PreviewTarget | None, new: PreviewTarget | None) -> None:
        if old != new:
            self.set_reactive(PreviewState.page, 0)
            self.set_reactive(PreviewState.zoom, None)
        self.reload_text()  # first: the page drawn next must not show the last file's text
        self._request()

    def watch_page(self) -> None:
        self.reload_text()
        self._request()

    def watch_needles(self) -> None:
        self._match()
        self._rebuild()

    def watch_view(self) -> None:
        self._clear_graphics()
        self._request()
        self._rebuild()

    def watch_zoom(self) -> None:
        self._request()

    def watch_pixels(self, on: bool) -> None:
        if not on:
            self._clear_graphics()
            self._rebuild()
        elif self.result is not None and self._key is not None:
            self._show(self._key, self.result)

    def on_resize(self) -> None:
        self._request()

    def on_show(self) -> None:
        self._request()

    def on_hide(self) -> None:
        self._clear_graphics()

    def use_terminal(self, protocol: Protocol, cell: tuple[int, int]) -> None:
        """Draw with what the terminal said it draws (its answer came after the pane opened):
        pixels on screen go, and come back in the new protocol if still asked for."""
        if (protocol, cell) == (self.protocol, self.cell):
            return
        self._clear_graphics()
        self.protocol, self.cell = protocol, cell
        self._overlay = PixelOverlay(protocol, cell)
        if self.pixels and protocol == "none":
            self.pixels = False  # redrawn in half-blocks by watch_pixels
            return
        self._rebuild()
        key, result, target = self._key, self.result, self.target
        if key is None or result is None or target is None:
            return
        if self.pixels and result.error is None and self.view != "text":
            self._encode(key, target)

    # ----- navigation (called by the screen's bindings) -----------------------------------

    def turn(self, step: int) -> bool:
        """Next/previous page within the attachment; False at either end."""
        target = self.page + step
        if self.result is None or not 0 <= target < max(1, self.page_count):
            return False
        self.page = target
        return True

    def cycle_view(self) -> None:
        """Image → text → both → image."""
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]

    def reload_text(self, sha: str | None = None) -> None:
        """Read the recognised text of the page shown again (after OCR stored some)."""
        target = self.target
        if self._recognised is None:
            return
        if sha is None or target is None:
            self.page_text = None
            self.text_state = "pending"
            self.found = []
        if target is None or (sha is not None and sha != target.sha):
            return
        done = self._docs.get(target.sha) if sha is None else None
        if done is not None:
            self._docs.move_to_end(target.sha)
            self._apply_text(target.sha, self.page, done)
            return
        self._load_text(target.sha, self.page)

    def cycle_zoom(self) -> None:
        self.zoom = 0 if self.zoom is None else (self.zoom + 1) % len(ZOOMS)

    def zoom_off(self) -> None:
        self.zoom = None

    def prefetch(self, sha: str, name: str) -> None:
        """Draw the first page of an attachment ahead of need (the next application's)."""
        width, height = self._body_size()
        self._prefetch(sha, name, width if width > 1 else 60, height if height > 1 else 36)

    # ----- workers ------------------------------------------------------------------------

    def _request(self) -> None:
        key = self._current_key()
        if key is None:
            self._key = None
            self._rebuild()
            return
        if key == self._key and self.result is not None:
            return
        self._key = key
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            self._show(key, kept)
            return
        self._clear_graphics()
        self.result = None
        self._rebuild()
        assert self.target is not None
        self._draw_page(key, self.target)

    @work(thread=True, exclusive=True, group="preview")
    def _draw_page(self, key: Key, target: PreviewTarget) -> None:
        sha, page, width, height, mode, zoom = key
        region = ZOOMS[zoom][1] if zoom is not None else None
        result = self.previewer.render(
            sha,
            target.name,
            page,
            width,
            height,
            mode=mode,
            zoom=region,
        )
        if not get_current_worker().is_cancelled:
            self.post_message(self._Done(key, result))

    @work(thread=True, exclusive=True, group="preview-text", exit_on_error=False)
    def _load_text(self, sha: str, page: int) -> None:
        assert self._recognised is not None
        try:
            doc = self._recognised(sha)
        except Exception:  # the database is busy or gone: stay "pending", the next event retries
            return
        self.post_message(self._Text(sha, page, doc))

    def on_preview_pane__text(self, message: _Text) -> None:
        message.stop()
        doc = message.doc
        if doc is not None and doc.complete:
            self._docs[message.sha] = doc
            self._docs.move_to_end(message.sha)
            while len(self._docs) > _KEEP:
                self._docs.popitem(last=False)
        self._apply_text(message.sha, message.page, doc)

    def _apply_text(self, sha: str, page_number: int, doc: RecognisedDoc | None) -> None:
        target = self.target
        if target is None or sha != target.sha or page_number != self.page:
            return
        page = doc.page(page_number) if doc is not None else None
        if page is None and self.page_text is not None:
            return  # an older read overtaken by a newer one: the text does not go away
        self.page_text = page
        if page is not None:
            self.text_state = "done"
        elif doc is not None and page_number in doc.errors:
            self.text_state, self.text_error = "error", doc.errors[page_number]
        else:
            self.text_state = "pending"
        self._match()
        self._rebuild()

    def _match(self) -> None:
        page = self.page_text
        self.found = (
            findings(self.needles, [line.text for line in page.lines]) if page is not None else []
        )

    @work(thread=True, group="prefetch")
    def _prefetch(self, sha: str, name: str, width: int, height: int) -> None:
        self.previewer.prefetch(sha, name, width, height, self.mode)

    def on_preview_pane__done(self, message: _Done) -> None:
        message.stop()
        self._kept[message.key] = message.result
        while len(self._kept) > _KEEP:
            self._kept.popitem(last=False)
        if message.key == self._key:
            self._show(message.key, message.result)

    def _show(self, key: Key, result: RenderedPage) -> None:
        self.result = result
        self._rebuild()
        if self.target is not None:
            self.post_message(self.Shown(self.target, result.page, result.page_count, result.error))
        if self.pixels and self.protocol != "none" and result.error is None and self.view != "text":
            assert self.target is not None
            self._encode(key, self.target)

    # ----- terminal graphics (forced by the setting) --------------------------------------

    @work(thread=True, exclusive=True, group="preview-graphics")
    def _encode(self, key: Key, target: PreviewTarget) -> None:
        sha, page, width, height, _mode, zoom = key
        region = ZOOMS[zoom][1] if zoom is not None else None
        px_w, px_h = width * self.cell[0], height * self.cell[1]
        encoded = self.previewer.graphics(
            sha, target.name, page, self.protocol, px_w, px_h, cols=width, rows=height, zoom=region
        )
        if encoded.error is None and not get_current_worker().is_cancelled:
            self.post_message(self._Graphics(key, encoded.data))

    def on_preview_pane__graphics(self, message: _Graphics) -> None:
        message.stop()
        if message.key != self._key or self.view == "text" or not self.pixels:
            return
        # Blank the half-block picture first and draw the pixels once that is on screen: cells
        # written after a sixel erase it, and a narrower sixel left half-blocks showing beside it.
        if self._overlay.accept(message.key, message.data):
            self._rebuild()
