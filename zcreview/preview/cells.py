"""Draw page images as terminal cells: half-blocks in 8 greys, 256 or true colour, or plain ASCII."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal, get_args

from PIL import Image, ImageOps
from rich.color import Color
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style

CellMode = Literal["grey8", "256", "truecolor", "ascii"]
CELL_MODES: Final[tuple[str, ...]] = get_args(CellMode)

# One list of segments per terminal row; each row is exactly the requested width in cells.
Lines = list[list[Segment]]

UPPER: Final = "▀"
LOWER: Final = "▄"
FULL: Final = "█"
# Dark ink → dense glyph. Only printable ASCII, so terminals that draw East-Asian-ambiguous
# characters (▀, ─) two cells wide still line up.
ASCII_RAMP: Final = " .:-=+*#%@"

# How far (largest channel difference, 0-255) a colour may be moved to join a neighbouring run.
# One grey8 step is ~36; 256-colour cube steps are 40; the defaults were tuned against the
# 25 KB budget for a pane of an A4 scan at 256 colours.
DEFAULT_TOLERANCE: Final[dict[str, int]] = {"grey8": 40, "256": 48, "truecolor": 32, "ascii": 0}

# Longest stretch of cells that may be redrawn in a neighbouring colour.
_MAX_SNAP_STREAK: Final = 2

# Marks a half cell outside the picture (letterbox): drawn in the terminal's own background.
_NONE: Final = -1


def _xterm_rgb(index: int) -> tuple[int, int, int]:
    if index >= 232:
        level = 8 + 10 * (index - 232)
        return level, level, level
    index -= 16
    steps = (0, 95, 135, 175, 215, 255)
    return steps[index // 36], steps[(index // 6) % 6], steps[index % 6]


def _nearest_grey_code(value: int) -> int:
    # Candidates: black (16), white (231) and the 24-step grey ramp (232-255).
    candidates = [16, 231, *range(232, 256)]
    distances = [(abs(_xterm_rgb(code)[0] - value), code) for code in candidates]
    return int(min(distances)[1])


# 8 evenly spaced grey levels, as xterm-256 codes (same bytes whatever the colour system).
GREY8_CODES: Final[tuple[int, ...]] = tuple(
    _nearest_grey_code(round(level * 255 / 7)) for level in range(8)
)
_GREY8_LUT: Final[list[int]] = [value * 8 // 256 for value in range(256)]


@functools.lru_cache(maxsize=1)
def _xterm_palette() -> Image.Image:
    # Codes 0-15 are themed by each terminal, so only the fixed cube and grey ramp are used.
    flat: list[int] = []
    for code in range(16, 256):
        flat.extend(_xterm_rgb(code))
    flat.extend(flat[:3] * (256 - 240))  # padding repeats code 16 (black)
    palette = Image.new("P", (1, 1))
    palette.putpalette(flat)
    return palette


RGB = tuple[int, int, int]


def _true_rgb(code: int) -> RGB:
    return code >> 16, (code >> 8) & 0xFF, code & 0xFF


@functools.lru_cache(maxsize=256)
def _xterm_rgb_cached(code: int) -> RGB:
    return _xterm_rgb(code)


@dataclass(frozen=True, slots=True)
class Region:
    """A part of a page in fractions of its width and height (0..1)."""

    left: float = 0.0
    top: float = 0.0
    right: float = 1.0
    bottom: float = 1.0

    @classmethod
    def grid(cls, n: int, col: int, row: int, overlap: float = 0.04) -> Region:
        """Cell (col, row) of an n×n grid, widened by ``overlap`` so text on a seam stays whole."""
        n = max(1, n)
        col, row = min(max(col, 0), n - 1), min(max(row, 0), n - 1)
        return cls(
            max(0.0, col / n - overlap),
            max(0.0, row / n - overlap),
            min(1.0, (col + 1) / n + overlap),
            min(1.0, (row + 1) / n + overlap),
        )

    @classmethod
    def quadrant(cls, index: int) -> Region:
        """Quadrants 0-3: top-left, top-right, bottom-left, bottom-right."""
        return cls.grid(2, index % 2, (index // 2) % 2)


def zoom_crop(img: Image.Image, region: Region) -> Image.Image:
    """Cut ``region`` out of ``img`` at its full resolution, to be rendered enlarged."""
    width, height = img.size
    left = min(max(int(region.left * width), 0), width - 1)
    top = min(max(int(region.top * height), 0), height - 1)
    right = max(min(round(region.right * width), width), left + 1)
    bottom = max(min(round(region.bottom * height), height), top + 1)
    return img.crop((left, top, right, bottom))


def fit_pixels(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The largest size with the aspect ratio of ``size`` inside ``box`` (both at least 1)."""
    width, height = size
    box_w, box_h = box
    if width <= 0 or height <= 0 or box_w <= 0 or box_h <= 0:
        return 0, 0
    scale = min(box_w / width, box_h / height)
    return max(1, min(box_w, round(width * scale))), max(1, min(box_h, round(height * scale)))


def _codes(img: Image.Image, mode: CellMode, normalise: bool) -> list[int]:
    """Colour code of every pixel: xterm-256 index, or 0xRRGGBB for true colour."""
    if mode == "grey8":
        grey = img.convert("L")
        if normalise:
            # Scans have grey paper; stretching makes it white, which also merges into long runs.
            grey = ImageOps.autocontrast(grey, cutoff=1)
        return [GREY8_CODES[level] for level in grey.point(_GREY8_LUT).tobytes()]
    rgb_img = img.convert("RGB")
    if normalise:
        # Stretch luminance only, so that colours (seals, signatures) keep their hue.
        rgb_img = ImageOps.autocontrast(rgb_img, cutoff=1, preserve_tone=True)
    if mode == "256":
        indexed = rgb_img.quantize(palette=_xterm_palette(), dither=Image.Dither.NONE)
        return [index + 16 if index < 240 else 16 for index in indexed.tobytes()]
    rgb = rgb_img.tobytes()
    # Dropping the two low bits per channel is invisible here and lets neighbours merge.
    return [
        ((rgb[i] & 0xFC) << 16) | ((rgb[i + 1] & 0xFC) << 8) | (rgb[i + 2] & 0xFC)
        for i in range(0, len(rgb), 3)
    ]


@functools.lru_cache(maxsize=4096)
def _style(fg: int, bg: int, truecolor: bool) -> Style:
    def colour(code: int) -> Color | None:
        if code == _NONE:
            return None
        if truecolor:
            return Color.from_rgb(code >> 16, (code >> 8) & 0xFF, code & 0xFF)
        return Color.from_ansi(code)

    return Style(color=colour(fg), bgcolor=colour(bg))


def _snap(code: int, colours: set[int], tolerance: int, rgb: Callable[[int], RGB]) -> int:
    if code in colours or code == _NONE:
        return code
    r, g, b = rgb(code)
    best, best_distance = code, tolerance * tolerance + 1
    for other in colours:
        if other == _NONE:
            continue
        r2, g2, b2 = rgb(other)
        distance = max((r - r2) ** 2, (g - g2) ** 2, (b - b2) ** 2)
        if distance < best_distance:
            best, best_distance = other, distance
    return best


def _row_segments(
    top: Sequence[int], bottom: Sequence[int], truecolor: bool, tolerance: int = 0
) -> list[Segment]:
    """Segments for one row of cells, merged into runs that use at most two colours.

    With ▀ ▄ █ and space, any mix of two colours fits one style, so a run ends only when a
    third colour appears: text on paper stays one segment instead of one per colour change.
    With ``tolerance``, a short blip of a third colour close to one of the run's two is drawn
    as that colour (invisible at this size, and it saves a whole escape sequence); a longer
    stretch of it starts a new run, so areas and lines keep their own colour.
    """
    segments: list[Segment] = []
    rgb = _true_rgb if truecolor else _xterm_rgb_cached
    n = len(top)
    i = 0
    while i < n:
        colours = {top[i], bottom[i]}
        run_top, run_bottom = [top[i]], [bottom[i]]
        streak = 0
        j = i + 1
        while j < n:
            t, b = top[j], bottom[j]
            if t not in colours or b not in colours:
                if len(colours) == 2 and tolerance:
                    t, b = _snap(t, colours, tolerance, rgb), _snap(b, colours, tolerance, rgb)
                    if (t, b) != (top[j], bottom[j]):
                        streak += 1
                        if streak > _MAX_SNAP_STREAK:
                            # Not a blip: give the snapped cells back to the next run.
                            j -= streak - 1
                            del run_top[-(streak - 1) :], run_bottom[-(streak - 1) :]
                            break
                merged = colours | {t, b}
                if len(merged) > 2:
                    break
                colours = merged
            else:
                streak = 0
            run_top.append(t)
            run_bottom.append(b)
            j += 1
        segments.append(_run_segment(run_top, run_bottom, colours, truecolor))
        i = j
    return segments


def _run_segment(top: list[int], bottom: list[int], colours: set[int], truecolor: bool) -> Segment:
    if len(colours) == 1:
        (only,) = colours
        style = None if only == _NONE else _style(_NONE, only, truecolor)
        return Segment(" " * len(top), style)
    first, second = colours
    if _NONE in colours:
        bg = _NONE
    else:
        # The colour of more whole cells becomes the background: a space is 1 byte, ▀ is 3.
        pairs = list(zip(top, bottom, strict=True))
        bg = first if pairs.count((first, first)) >= pairs.count((second, second)) else second
    fg = second if bg == first else first
    chars = [
        (" " if t == bg else UPPER) if b == bg else (LOWER if t == bg else FULL)
        for t, b in zip(top, bottom, strict=True)
    ]
    return Segment("".join(chars), _style(fg, bg, truecolor))


def _blank(width: int) -> list[Segment]:
    return [Segment(" " * width)]


def _letterbox(rows: Lines, width: int, height: int, inner_width: int) -> Lines:
    left = (width - inner_width) // 2
    right = width - inner_width - left
    framed: Lines = []
    for row in rows:
        line = list(row)
        if left:
            line.insert(0, Segment(" " * left))
        if right:
            line.append(Segment(" " * right))
        framed.append(line)
    above = (height - len(framed)) // 2
    below = height - len(framed) - above
    return [_blank(width) for _ in range(above)] + framed + [_blank(width) for _ in range(below)]


def to_ascii(
    img: Image.Image, width_cells: int, height_cells: int, normalise: bool = True
) -> Lines:
    """Draw ``img`` with the grey ramp ``ASCII_RAMP`` (no colour, no ambiguous-width characters)."""
    if width_cells <= 0 or height_cells <= 0:
        return []
    # A cell is about twice as tall as wide, so one character stands for a 1×2 block of pixels.
    width, height = fit_pixels((img.width * 2, img.height), (width_cells, height_cells))
    grey = img.convert("L").resize((width, height), Image.Resampling.BOX)
    if normalise:
        grey = ImageOps.autocontrast(grey, cutoff=1)
    data = grey.tobytes()
    steps = len(ASCII_RAMP)
    rows: Lines = []
    for y in range(height):
        row = data[y * width : (y + 1) * width]
        rows.append([Segment("".join(ASCII_RAMP[(255 - v) * steps // 256] for v in row))])
    return _letterbox(rows, width_cells, height_cells, width)


def to_halfblocks(
    img: Image.Image,
    width_cells: int,
    height_cells: int,
    mode: CellMode = "grey8",
    *,
    normalise: bool = True,
    tolerance: int | None = None,
) -> Lines:
    """Draw ``img`` into a ``width_cells``×``height_cells`` box of terminal cells.

    Each cell shows two pixels with ``▀`` (foreground = upper pixel, background = lower),
    keeping the aspect ratio and centring the picture (letterbox in the terminal's own
    background). ``mode``: "grey8" (8 greys, fewest bytes), "256" (xterm-256 colours),
    "truecolor", or "ascii" (see ``to_ascii``). Returns one list of segments per row, each
    row exactly ``width_cells`` wide; Textual's ``Strip(segments)`` accepts a row as is.
    """
    if mode == "ascii":
        return to_ascii(img, width_cells, height_cells, normalise)
    if mode not in CELL_MODES:
        raise ValueError(f"unknown cell mode {mode!r}")
    if width_cells <= 0 or height_cells <= 0:
        return []
    width, height = fit_pixels(img.size, (width_cells, height_cells * 2))
    small = img.resize((width, height), Image.Resampling.BOX, reducing_gap=3.0)
    codes = _codes(small, mode, normalise)
    if height % 2:
        codes.extend([_NONE] * width)
        height += 1
    truecolor = mode == "truecolor"
    if tolerance is None:
        tolerance = DEFAULT_TOLERANCE[mode]
    rows = [
        _row_segments(
            codes[y * width : (y + 1) * width],
            codes[(y + 1) * width : (y + 2) * width],
            truecolor,
            tolerance,
        )
        for y in range(0, height, 2)
    ]
    return _letterbox(rows, width_cells, height_cells, width)


class CellsRenderable:
    """Rich renderable for rendered lines (for printing and for measuring bytes)."""

    def __init__(self, lines: Lines) -> None:
        self.lines = lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines:
            yield from line
            yield Segment.line()


def render_bytes(lines: Lines, color_system: str = "256") -> bytes:
    """The bytes a terminal receives for ``lines`` written by Rich with ``color_system``."""
    width = max((sum(seg.cell_length for seg in line) for line in lines), default=1)
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=max(width, 1),
        color_system=color_system,  # type: ignore[arg-type]
        force_terminal=True,
        legacy_windows=False,
        soft_wrap=True,
    )
    console.print(CellsRenderable(lines), end="")
    return buffer.getvalue().encode("utf-8")


def segments_count(lines: Lines) -> int:
    """How many styled runs the lines hold (a cheap proxy for bytes)."""
    return sum(len(line) for line in lines)
