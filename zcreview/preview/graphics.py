"""Terminal pixel graphics (kitty, sixel): encoders, capability queries and reply parsing."""

# Nothing here writes to or reads from the terminal: the caller sends the query, collects the
# reply with a timeout long enough for a slow link (≥ 500 ms), caches the result and honours
# the user's "graphics = auto|kitty|sixel|none" setting through choose_protocol.

from __future__ import annotations

import base64
import functools
import io
import re
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:  # Pillow is loaded by the encoders: the start-up probe needs only the parsers
    from PIL import Image

Protocol = Literal["kitty", "sixel", "none"]
GraphicsSetting = Literal["auto", "kitty", "sixel", "none"]

# Kitty: query support with a 1×1 RGB image that is never stored (a=q); id 31 marks our reply.
KITTY_QUERY: Final = b"\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
XTVERSION_QUERY: Final = b"\x1b[>0q"
DA1_QUERY: Final = b"\x1b[c"
# Cell size in pixels (xterm window op 16); answered as CSI 6 ; height ; width t.
CELL_SIZE_QUERY: Final = b"\x1b[16t"

_KITTY_OK = re.compile(rb"\x1b_Gi=31;OK\x1b\\")
_DA1_REPLY = re.compile(rb"\x1b\[\?([\d;]*)c")
_XTVERSION_REPLY = re.compile(rb"\x1bP>\|([^\x1b]*)\x1b\\")
_CELL_SIZE_REPLY = re.compile(rb"\x1b\[6;(\d+);(\d+)t")

# Terminals known by name (XTVERSION) to draw a protocol even when DA1 does not say so.
_KNOWN_KITTY: Final = ("kitty", "ghostty", "wezterm")
_KNOWN_SIXEL: Final = ("wezterm", "foot", "mintty", "konsole", "iterm2", "contour", "mlterm")

KITTY_CHUNK: Final = 4096


def capability_query() -> bytes:
    """The bytes to write to the terminal to ask what it can draw.

    DA1 comes last: every terminal answers it, so its reply marks the end of the answers
    (see ``response_complete``).
    """
    return KITTY_QUERY + XTVERSION_QUERY + CELL_SIZE_QUERY + DA1_QUERY


def response_complete(response: bytes) -> bool:
    """True once the DA1 reply has arrived, i.e. no further answers are coming."""
    return _DA1_REPLY.search(response) is not None


def parse_terminal_name(response: bytes) -> str | None:
    """The terminal's name and version from an XTVERSION reply, e.g. 'WezTerm 20240203'."""
    match = _XTVERSION_REPLY.search(response)
    return match.group(1).decode("utf-8", "replace").strip() if match else None


def parse_cell_size(response: bytes) -> tuple[int, int] | None:
    """A cell's (width, height) in pixels from a ``CSI 6 ; h ; w t`` reply, or None.

    Implausible sizes (zero, or larger than 200 pixels) count as no answer.
    """
    match = _CELL_SIZE_REPLY.search(response)
    if match is None:
        return None
    height, width = int(match.group(1)), int(match.group(2))
    if not (0 < width <= 200 and 0 < height <= 200):
        return None
    return width, height


def parse_capabilities(response: bytes) -> set[str]:
    """Graphics protocols the replies announce: a subset of {"kitty", "sixel"}.

    kitty: the terminal answered the kitty query with OK. sixel: DA1 lists attribute 4, or
    XTVERSION names a terminal known to draw sixels.
    """
    capabilities: set[str] = set()
    if _KITTY_OK.search(response):
        capabilities.add("kitty")
    da1 = _DA1_REPLY.search(response)
    if da1 and "4" in da1.group(1).decode("ascii").split(";")[1:]:
        capabilities.add("sixel")
    name = (parse_terminal_name(response) or "").lower()
    if any(known in name for known in _KNOWN_KITTY):
        capabilities.add("kitty")
    if any(known in name for known in _KNOWN_SIXEL):
        capabilities.add("sixel")
    return capabilities


def choose_protocol(setting: str, capabilities: set[str]) -> Protocol:
    """Pick the protocol to use: an explicit setting wins; "auto" prefers kitty, then sixel."""
    if setting == "kitty":
        return "kitty"
    if setting == "sixel":
        return "sixel"
    if setting == "auto":
        if "kitty" in capabilities:
            return "kitty"
        if "sixel" in capabilities:
            return "sixel"
    return "none"


def encode_kitty(
    img: Image.Image,
    *,
    cols: int | None = None,
    rows: int | None = None,
    image_id: int | None = None,
    chunk: int = KITTY_CHUNK,
) -> str:
    """Encode ``img`` as a kitty graphics "transmit and display" sequence (PNG, chunked base64).

    ``cols``/``rows`` scale the image to that many cells; ``q=2`` keeps the terminal from
    answering (an answer would arrive as stray input).
    """
    png = io.BytesIO()
    img.convert("RGBA" if img.mode in ("RGBA", "LA") else "RGB").save(png, "PNG", compress_level=6)
    payload = base64.standard_b64encode(png.getvalue()).decode("ascii")
    controls = ["a=T", "f=100", "q=2"]
    if cols:
        controls.append(f"c={cols}")
    if rows:
        controls.append(f"r={rows}")
    if image_id is not None:
        controls.append(f"i={image_id}")
    chunk = max(4, chunk - chunk % 4)
    parts = [payload[i : i + chunk] for i in range(0, len(payload), chunk)] or [""]
    out = []
    for index, part in enumerate(parts):
        more = 1 if index < len(parts) - 1 else 0
        head = ",".join(controls) + "," if index == 0 else ""
        out.append(f"\x1b_G{head}m={more};{part}\x1b\\")
    return "".join(out)


def kitty_delete(image_id: int | None = None) -> str:
    """Sequence that removes our kitty image (or all images) from the screen."""
    if image_id is None:
        return "\x1b_Ga=d,d=A,q=2\x1b\\"
    return f"\x1b_Ga=d,d=I,i={image_id},q=2\x1b\\"


@functools.lru_cache(maxsize=256 * 6)
def _bit_table(colour: int, bit: int) -> bytes:
    # Maps palette index `colour` to the sixel bit for row `bit` of a band, others to 0.
    table = bytearray(256)
    table[colour] = 1 << bit
    return bytes(table)


_SIXEL_OFFSET: Final = bytes(min(v + 63, 255) for v in range(256))
_RUN = re.compile(rb"(.)\1{3,}", re.S)


def _compress(line: bytes) -> bytes:
    return _RUN.sub(lambda m: b"!%d%c" % (len(m.group(0)), m.group(1)[0]), line)


_SIXEL_RASTER = re.compile(r'\x1bP[\d;]*q"\d+;\d+;(\d+);(\d+)')


def sixel_size(data: str) -> tuple[int, int] | None:
    """(width, height) in pixels from a sixel image's raster attributes, or None."""
    match = _SIXEL_RASTER.match(data)
    return (int(match.group(1)), int(match.group(2))) if match else None


def encode_sixel(img: Image.Image, colors: int = 256) -> str:
    """Encode ``img`` as a sixel image with at most ``colors`` (≤ 256) palette entries.

    Colours come from Pillow's quantizer without dithering (dither noise defeats the run-length
    compression); each band of six rows writes one run-length-encoded line per colour used.
    """
    from PIL import Image

    colors = max(2, min(colors, 256))
    rgb = img.convert("RGB")
    quantized = rgb.quantize(colors=colors, dither=Image.Dither.NONE)
    width, height = quantized.size
    pixels = quantized.tobytes()
    palette = quantized.getpalette() or []
    used = sorted(set(pixels))
    out = [b'\x1bP0;1;0q"1;1;%d;%d' % (width, height)]
    for index in used:
        r, g, b = palette[index * 3 : index * 3 + 3]
        out.append(b"#%d;2;%d;%d;%d" % (index, r * 100 // 255, g * 100 // 255, b * 100 // 255))
    bands: list[bytes] = []
    for top in range(0, height, 6):
        rows = [pixels[y * width : (y + 1) * width] for y in range(top, min(top + 6, height))]
        lines: list[bytes] = []
        for colour in sorted(set(b"".join(rows))):
            # Bits of different rows never overlap, so OR-ing the rows as big integers packs
            # six rows into one sixel byte per column at C speed.
            bits = 0
            for bit, row in enumerate(rows):
                bits |= int.from_bytes(row.translate(_bit_table(colour, bit)), "big")
            line = bits.to_bytes(width, "big").translate(_SIXEL_OFFSET).rstrip(b"?")
            if line:
                lines.append(b"#%d%s" % (colour, _compress(line)))
        bands.append(b"$".join(lines))
    out.append(b"-".join(bands))
    out.append(b"\x1b\\")
    return b"".join(out).decode("ascii")
