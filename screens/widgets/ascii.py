"""ASCII mode helpers for Textual widgets (no ambiguous-width glyphs on screen)."""

from __future__ import annotations

from typing import ClassVar

from textual.dom import DOMNode
from textual.scrollbar import ScrollBarRender
from textual.widget import Widget


class AsciiScrollBarRender(ScrollBarRender):
    """Scrollbars drawn with spaces and colour only (▁▂▃ are ambiguous-width)."""

    VERTICAL_BARS: ClassVar[list[str]] = [" "] * 8
    HORIZONTAL_BARS: ClassVar[list[str]] = [" "] * 8


def use_ascii_scrollbars(root: DOMNode) -> None:
    """Give every scrollable widget under `root` (and `root`) colour-only scrollbars."""
    nodes = [root, *root.walk_children(Widget)]
    for node in nodes:
        if isinstance(node, Widget) and node.is_scrollable:
            node.vertical_scrollbar.renderer = AsciiScrollBarRender  # type: ignore[misc]
            node.horizontal_scrollbar.renderer = AsciiScrollBarRender  # type: ignore[misc]
