"""Terminal pixels (kitty, sixel) over the preview pane's picture box.

They are written to the terminal past Textual's cells: after the cells around them are on
screen, and never again while they stand (a repaint of their cells erases a sixel, and a page
costs 300-800 KB over the link).
"""

from __future__ import annotations

from typing import Protocol as TypingProtocol

from textual.geometry import Region

from zcreview.preview.graphics import Protocol, kitty_delete, sixel_size
from zcreview.screens.widgets.preview_types import Key


class Terminal(TypingProtocol):
    """What the overlay needs of Textual's driver."""

    def write(self, data: str) -> None: ...

    def flush(self) -> None: ...


class PixelOverlay:
    """The pixels of one page and whether they are on screen."""

    def __init__(self, protocol: Protocol, cell: tuple[int, int]) -> None:
        self.protocol: Protocol = protocol
        self.cell = cell
        """A cell's (width, height) in pixels, as the terminal reported it."""
        self.on = False
        """Pixels stand in for the half-block picture (which is then left blank)."""
        self.graphic: tuple[Key, str] | None = None
        """The pixels to draw over the pane's picture box."""
        self.drawn = False
        """Whether they are on screen: then only the cells around the box are repainted."""
        self.pending = False
        """A write is due after the next repaint (one is enough, however many repaints)."""

    def shows(self, key: Key | None) -> bool:
        """Whether the pixels held are of the page `key`."""
        return self.graphic is not None and self.graphic[0] == key

    def accept(self, key: Key, data: str) -> bool:
        """Hold these pixels, to be drawn after the next repaint; False: already on screen."""
        if self.drawn and self.graphic == (key, data):
            return False
        self.on = True
        self.graphic = (key, data)
        self.drawn = False
        return True

    def write(self, terminal: Terminal | None, region: Region, key: Key | None) -> None:
        """Draw the pixels held into `region` (the pane's content) if they are still wanted."""
        self.pending = False
        if self.graphic is None:
            return
        held, data = self.graphic
        if terminal is None or held != key or not self.on:
            return
        # Centred in the picture's box, as the half-blocks are.
        shift = 0
        size = sixel_size(data) if self.protocol == "sixel" else None
        if size is not None:
            shift = max(0, (region.width * self.cell[0] - size[0]) // 2 // max(1, self.cell[0]))
        # Save the cursor, move to the first body row of the pane, draw, restore.
        move = f"\x1b7\x1b[{region.y + 2};{region.x + 1 + shift}H"
        clear = kitty_delete() if self.protocol == "kitty" else ""
        terminal.write(clear + move + data + "\x1b8")
        terminal.flush()
        self.drawn = True

    def clear(self, terminal: Terminal | None) -> None:
        """Forget the pixels (kitty: delete its images; a sixel goes with the cells' repaint)."""
        if self.on and self.protocol == "kitty" and terminal is not None:
            terminal.write(kitty_delete())
        self.on = False
        self.graphic = None
        self.drawn = False
