"""Attachment preview beside the fields: half-block pages through the Line API, text, zoom.

Pages are drawn by `zcreview.preview.cache.Previewer` in a thread worker (it decodes in its own
worker processes and caches by hash, page and size); the pane keeps the strips of recent pages so
flipping back is immediate. A file that cannot be shown (encrypted, damaged, not a PDF …) gives a
message in the pane; review goes on. Terminal graphics (kitty, sixel) are drawn over the pane only
when the terminal said it can (asked at start-up, or forced by the user's setting) and the
reviewer asks for pixels; half-blocks always work.

Beside it: what it shows (`preview_types`), its text view with the evidence marked
(`preview_reading`), and the terminal pixels drawn over it (`preview_graphics`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import work
from textual.geometry import Region as TextualRegion
from textual.message import Message
from textual.reactive import var
from textual.strip import Strip
from textual.widget import Widget
from textual.worker import get_current_worker

from zcreview.domain.recognised import PageText
from zcreview.preview.cache import Previewer, RenderedPage
from zcreview.preview.cells import CellMode
from zcreview.preview.graphics import Protocol
from zcreview.preview.probe import DEFAULT_CELL
from zcreview.screens import kinsoku
from zcreview.screens.evidence_match import Finding, findings
from zcreview.screens.text import clean, fit
from zcreview.screens.widgets.preview_graphics import PixelOverlay
from zcreview.screens.widgets.preview_reading import ReadingStyles, TextState, reading_text
from zcreview.screens.widgets.preview_types import (
    VIEW_NAMES,
    VIEWS,
    ZOOMS,
    Key,
    PreviewTarget,
    View,
)
from zcreview.storage.recognised import RecognisedDoc

__all__ = ["PreviewPane", "PreviewTarget"]

_KEEP = 24
"""Rendered pages the pane keeps (each ≈ 30 KB of strips)."""


class PreviewPane(Widget):
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

    target: var[PreviewTarget | None] = var(None)
    page: var[int] = var(0)
    view: var[View] = var("image")
    needles: var[tuple[str, ...]] = var(())
    """Values of the field under the cursor, highlighted where the recognised text has them."""
    zoom: var[int | None] = var(None)
    pixels: var[bool] = var(False)
    """Draw pages with the terminal's pixel protocol: only on request (300-800 KB a page)."""

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

    def __init__(
        self,
        previewer: Previewer,
        *,
        mode: CellMode = "grey8",
        protocol: Protocol = "none",
        cell: tuple[int, int] = DEFAULT_CELL,
        ascii_mode: bool = False,
        recognised: Callable[[str], RecognisedDoc | None] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.previewer = previewer
        self.mode: CellMode = mode
        self.protocol: Protocol = protocol
        self.cell = cell
        """A cell's (width, height) in pixels, as the terminal reported it."""
        self._ascii = ascii_mode
        self.result: RenderedPage | None = None
        self._key: Key | None = None
        self._kept: OrderedDict[Key, RenderedPage] = OrderedDict()
        self._body: list[Strip] = []
        self._overlay = PixelOverlay(protocol, cell)
        self._recognised = recognised
        self._docs: OrderedDict[str, RecognisedDoc] = OrderedDict()
        """Recognised text of attachments read completely (OCR done): shown again without a
        database read when the reviewer comes back to them."""
        """Reads what is stored for an attachment; None: no recognition in this session."""
        if recognised is not None:
            self.set_reactive(PreviewPane.view, "both")
        self.page_text: PageText | None = None
        self.text_state: TextState = "off" if recognised is None else "pending"
        self.text_error = ""
        self.found: list[Finding] = []

    # ----- state --------------------------------------------------------------------------

    @property
    def page_count(self) -> int:
        return self.result.page_count if self.result is not None else 0

    @property
    def show_text(self) -> bool:
        return self.view == "text"

    def _body_size(self) -> tuple[int, int]:
        """Cells for the page image: the whole body, or its upper part beside the text."""
        width = max(1, self.size.width)
        height = max(1, self.size.height - 2)
        if self.view == "both":
            height = max(4, min(height - 4, height * 2 // 5))
        return width, height

    def _current_key(self) -> Key | None:
        if self.target is None or not self.display or self.size.width <= 0:
            return None
        width, height = self._body_size()
        return (self.target.sha, self.page, width, height, self.mode, self.zoom)

    def watch_target(self, old: PreviewTarget | None, new: PreviewTarget | None) -> None:
        if old != new:
            self.set_reactive(PreviewPane.page, 0)
            self.set_reactive(PreviewPane.zoom, None)
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

    def _write_graphics(self) -> None:
        self._overlay.write(self.app._driver, self.content_region, self._key)

    def _clear_graphics(self) -> None:
        self._overlay.clear(self.app._driver)

    # ----- drawing ------------------------------------------------------------------------

    def _styled(self, name: str) -> Style:
        return self.get_component_rich_style(f"preview-pane--{name}", partial=True)

    def _text_strips(self, text: Text, width: int) -> list[Strip]:
        console = self.app.console
        return [
            Strip(list(line.render(console))).extend_cell_length(width).crop(0, width)
            for line in kinsoku.wrap(text, console, width)
        ]

    def header_text(self) -> str:
        """Page, kind and zoom first (they must stay visible), then the file name."""
        if self.target is None:
            return "没有附件"
        sep = " | " if self._ascii else " · "
        parts: list[str] = []
        result = self.result
        if result is None:
            parts.append("载入中")
        elif result.page_count:
            parts.append(f"第 {result.page + 1}/{result.page_count} 页")
            info = result.info
            if info is not None and info.scanned:
                parts.append("扫描件")
            elif info is not None and info.has_text_layer:
                parts.append("有文字层")
        if self.zoom is not None:
            parts.append(f"放大 {ZOOMS[self.zoom][0]}")
        if self.view != "image":
            parts.append(VIEW_NAMES[self.view])
        parts.append(clean(self.target.name))
        return sep.join(parts)

    def _rebuild(self) -> None:
        width = max(1, self.size.width)
        height = max(1, self.size.height - 2)
        body: list[Strip] = []
        result = self.result
        if self.target is None:
            body = self._text_strips(
                Text("光标所在条目没有附件。", style=self._styled("muted")), width
            )
        elif result is None:
            body = self._text_strips(Text("正在生成预览", style=self._styled("muted")), width)
            if self.view != "image":
                body += self._reading(None, width)
        elif result.error:
            message = Text("无法预览：", style=self._styled("error"))
            message.append(clean(result.error), self._styled("error"))
            message.append("\n\n审核可以继续；需要时请申请人重新上传。", self._styled("muted"))
            body = self._text_strips(message, width)
        elif self.view == "text":
            body = self._reading(result, width)
        else:
            image = (
                [] if self._overlay.on else [Strip(line).crop(0, width) for line in result.lines]
            )
            if self.view == "both":
                rows = self._body_size()[1]
                image = image[:rows] + [Strip.blank(width)] * max(0, rows - len(image))
                rule = Strip([Segment("-" * width if self._ascii else "─" * width)])
                body = [
                    *image,
                    rule.apply_style(self._styled("muted")),
                    *self._reading(result, width),
                ]
            else:
                body = image
        if len(body) > height:
            body = body[:height]
        self._body = body
        overlay = self._overlay
        shown = overlay.shows(self._key)
        if overlay.on and overlay.drawn and shown and self.view != "text":
            # The pixels are up: repaint the header and the text under the picture only. A
            # repaint of the picture's cells erases a sixel, and drawing it again costs
            # 300-800 KB (seconds over a slow link) on every move of the cursor.
            rows = self._body_size()[1] if self.view == "both" else height
            below = self.size.height - 1 - rows
            self.refresh(
                TextualRegion(0, 0, width, 1), TextualRegion(0, 1 + rows, width, max(0, below))
            )
        else:
            self.refresh()
            overlay.drawn = False
            if overlay.on and shown and not overlay.pending:
                overlay.pending = True
                self.call_after_refresh(self._write_graphics)

    def _reading(self, result: RenderedPage | None, width: int) -> list[Strip]:
        """The page as text: recognised lines in reading order with the field's values marked."""
        styles = ReadingStyles(self._styled("muted"), self._styled("note"), self._styled("error"))
        text = reading_text(
            result,
            self.text_state,
            self.page_text,
            self.text_error,
            self.found,
            styles,
            ascii_mode=self._ascii,
        )
        return self._text_strips(text, width) if text is not None else []

    def _footer_text(self) -> Text:
        result = self.result
        if result is None:
            return Text("")
        if result.notes:
            return Text(clean("；".join(result.notes)), style=self._styled("note"))
        if result.info is not None and result.info.encrypted:
            return Text("文件已加密", style=self._styled("note"))
        return Text(", . 翻页  t 图像/文字  w 另存  z 放大  Z 还原", style=self._styled("muted"))

    def render_line(self, y: int) -> Strip:
        width = max(1, self.size.width)
        base = self.rich_style
        if y == 0:
            style = base + self._styled("header")
            return Strip([Segment(fit(self.header_text(), width), style)], width)
        if y == self.size.height - 1:
            footer = self._footer_text()
            strips = self._text_strips(footer, width)
            return (strips[0] if strips else Strip.blank(width)).apply_style(base)
        row = y - 1
        if row < len(self._body):
            return self._body[row].extend_cell_length(width).apply_style(base)
        return Strip.blank(width, base)
