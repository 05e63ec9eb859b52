"""What the preview pane holds: the target, page, view, zoom and pixel request the screen sets,
the page drawn last, and the recognised text of that page with the field's values found in it.

The pane is built in layers, one job each: this state; drawing it as lines
(`preview_drawing`); workers, navigation and terminal graphics (`preview_pane`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from textual.reactive import var
from textual.strip import Strip
from textual.widget import Widget

from zcreview.domain.recognised import PageText
from zcreview.preview.cache import Previewer, RenderedPage
from zcreview.preview.cells import CellMode
from zcreview.preview.graphics import Protocol
from zcreview.preview.probe import DEFAULT_CELL
from zcreview.screens.evidence_match import Finding
from zcreview.screens.widgets.preview_graphics import PixelOverlay
from zcreview.screens.widgets.preview_reading import TextState
from zcreview.screens.widgets.preview_types import Key, PreviewTarget, View
from zcreview.storage.recognised import RecognisedDoc


class PreviewState(Widget):
    """State of the preview pane (see `PreviewPane`)."""

    target: var[PreviewTarget | None] = var(None)
    page: var[int] = var(0)
    view: var[View] = var("image")
    needles: var[tuple[str, ...]] = var(())
    """Values of the field under the cursor, highlighted where the recognised text has them."""
    zoom: var[int | None] = var(None)
    pixels: var[bool] = var(False)
    """Draw pages with the terminal's pixel protocol: only on request (300-800 KB a page)."""

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
        """Reads what is stored for an attachment; None: no recognition in this session."""
        self._docs: OrderedDict[str, RecognisedDoc] = OrderedDict()
        """Recognised text of attachments read completely (OCR done): shown again without a
        database read when the reviewer comes back to them."""
        if recognised is not None:
            self.set_reactive(PreviewState.view, "both")
        self.page_text: PageText | None = None
        self.text_state: TextState = "off" if recognised is None else "pending"
        self.text_error = ""
        self.found: list[Finding] = []

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
