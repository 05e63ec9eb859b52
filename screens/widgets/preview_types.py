"""What the preview pane shows and how: the attachment, the zoom regions, the views, and the
key its drawn pages are kept under."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from zcreview.preview.cells import CellMode, Region

ZOOMS: tuple[tuple[str, Region], ...] = (
    *((name, Region.quadrant(i)) for i, name in enumerate(("左上", "右上", "左下", "右下"))),
    *((f"九宫格 {r * 3 + c + 1}/9", Region.grid(3, c, r)) for r in range(3) for c in range(3)),
)
"""What `z` cycles through: the four quadrants, then the nine cells of a 3-by-3 grid."""

View = Literal["image", "text", "both"]
VIEWS: tuple[View, ...] = ("image", "text", "both")
"""What `t` cycles through: the page image, its recognised text, both (image above)."""
VIEW_NAMES = {"image": "图像", "text": "文字", "both": "图像+文字"}


@dataclass(frozen=True)
class PreviewTarget:
    """The attachment to show and the item it backs."""

    sha: str
    name: str
    label: str = ""


Key = tuple[str, int, int, int, CellMode, int | None]
"""A drawn page: attachment hash, page, width, height (cells), cell mode, zoom."""
