"""Half-block and ASCII cells, pixel-protocol encoders, capability parsing and the caches."""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import random
import re
import threading
import time
import unicodedata
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from rich.cells import cell_len
from rich.segment import Segment

from zcreview.preview.cache import LRUCache, Previewer, pixel_bucket
from zcreview.preview.cells import (
    ASCII_RAMP,
    GREY8_CODES,
    Region,
    render_bytes,
    to_ascii,
    to_halfblocks,
    zoom_crop,
)
from zcreview.preview.graphics import (
    DA1_QUERY,
    KITTY_QUERY,
    XTVERSION_QUERY,
    capability_query,
    choose_protocol,
    encode_kitty,
    encode_sixel,
    parse_capabilities,
    parse_terminal_name,
    response_complete,
    sixel_size,
)

BUDGET = 25 * 1024


@functools.cache
def a4_scan(seed: int = 0, size: tuple[int, int] = (1240, 1754)) -> Image.Image:
    """A noisy grey A4 page at 150 dpi with lines of 'text', a table rule and a round seal."""
    rng = random.Random(seed)
    width, height = size
    noise = Image.effect_noise(size, 24)
    page = Image.blend(Image.new("L", size, 232), noise, 0.2)
    draw = ImageDraw.Draw(page)
    y = height // 10
    while y < height * 0.9:
        x = width // 10
        while x < width * 0.88:
            word = rng.randint(20, 150)
            draw.rectangle((x, y, x + word, y + 20), fill=rng.randint(20, 90))
            x += word + rng.randint(15, 30)
        y += rng.randint(40, 70)
    draw.line((width // 10, height // 2, width * 9 // 10, height // 2), fill=0, width=4)
    draw.ellipse((width * 0.68, height * 0.8, width * 0.85, height * 0.92), outline=90, width=10)
    return page.convert("RGB")


def _widths(lines: list[list[Segment]]) -> set[int]:
    return {sum(cell_len(segment.text) for segment in line) for line in lines}


# --- half-blocks -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["grey8", "256", "truecolor", "ascii"])
def test_every_line_has_the_pane_width(mode: str) -> None:
    lines = to_halfblocks(a4_scan(), 80, 40, mode)  # type: ignore[arg-type]
    assert len(lines) == 40
    assert _widths(lines) == {80}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a4_pane_fits_the_byte_budget_at_256_colours(seed: int) -> None:
    """One 80×40 pane of an A4 scan, written by Rich at 256 colours, stays within 25 KB."""
    page = a4_scan(seed)
    for mode in ("grey8", "256"):
        written = render_bytes(to_halfblocks(page, 80, 40, mode), "256")  # type: ignore[arg-type]
        assert len(written) <= BUDGET, (mode, len(written))


def test_grey8_merges_runs() -> None:
    white = Image.new("L", (80, 80), 255)
    lines = to_halfblocks(white, 80, 40, "grey8")
    assert all(len(line) == 1 for line in lines)
    # Stripes of two greys alternate every pixel row: still one segment per row.
    stripes = Image.new("L", (80, 80), 255)
    draw = ImageDraw.Draw(stripes)
    for y in range(0, 80, 2):
        draw.line((0, y, 79, y), fill=0)
    lines = to_halfblocks(stripes, 80, 40, "grey8", normalise=False)
    assert all(len(line) == 1 for line in lines)
    # Either glyph with swapped colours draws the same cells.
    assert set(lines[0][0].text) in ({"▀"}, {"▄"})


def test_grey8_uses_only_eight_greys() -> None:
    gradient = Image.linear_gradient("L").resize((64, 128))
    lines = to_halfblocks(gradient, 64, 64, "grey8")
    codes = set()
    for line in lines:
        for segment in line:
            if segment.style is None:
                continue
            for colour in (segment.style.color, segment.style.bgcolor):
                if colour is not None:
                    codes.add(colour.number)
    assert codes <= set(GREY8_CODES)
    assert len(codes) >= 6


def test_aspect_ratio_and_letterbox() -> None:
    portrait = Image.new("L", (210, 297), 0)
    lines = to_halfblocks(portrait, 80, 40, "grey8", normalise=False)
    # 80 pixel rows of height; width 80 * 210/297 ≈ 57 columns, centred.
    first = lines[0]
    assert first[0].style is None and first[0].text.strip() == ""
    assert cell_len(first[0].text) == (80 - 57) // 2
    wide = Image.new("L", (400, 100), 0)
    lines = to_halfblocks(wide, 80, 40, "grey8", normalise=False)
    filled = [line for line in lines if len(line) > 1 or line[0].style is not None]
    assert len(filled) == 10  # 80 wide → 20 pixel rows → 10 cell rows


def test_odd_pixel_height_uses_default_background_below() -> None:
    img = Image.new("L", (2, 3), 0)
    lines = to_halfblocks(img, 2, 2, "grey8", normalise=False)
    last = lines[-1]
    assert last[0].text == "▀▀" and last[0].style is not None
    assert last[0].style.bgcolor is None


def test_ascii_mode_has_no_ambiguous_width_characters() -> None:
    lines = to_ascii(a4_scan(), 80, 40)
    text = "".join(segment.text for line in lines for segment in line)
    assert set(text) <= set(ASCII_RAMP)
    assert all(unicodedata.east_asian_width(ch) not in ("A", "W", "F") for ch in text)
    assert all(segment.style is None for line in lines for segment in line)
    assert _widths(lines) == {80}
    assert "@" in text or "%" in text


def test_halfblock_glyphs_are_single_cell_for_rich() -> None:
    assert cell_len("▀▄█") == 3


def test_zoom_crop_regions() -> None:
    img = Image.new("L", (300, 300), 255)
    assert zoom_crop(img, Region.grid(3, 1, 1, overlap=0)).size == (100, 100)
    assert zoom_crop(img, Region.quadrant(3)).size[0] >= 150
    corner = Region.grid(3, 2, 2)
    assert corner.right == 1.0 and corner.bottom == 1.0
    assert zoom_crop(img, Region(0.5, 0.5, 0.5, 0.5)).size == (1, 1)


def test_zoom_makes_small_text_larger() -> None:
    """A zoomed 3×3 cell spreads the same content over ~3× as many cells."""
    page = a4_scan()
    full = to_halfblocks(page, 80, 40, "grey8")
    zoomed = to_halfblocks(zoom_crop(page, Region.grid(3, 0, 1)), 80, 40, "grey8")
    assert sum(map(len, zoomed)) > sum(map(len, full)) / 3


def test_empty_box() -> None:
    assert to_halfblocks(a4_scan(), 0, 10) == []
    with pytest.raises(ValueError):
        to_halfblocks(a4_scan(), 10, 10, "sepia")  # type: ignore[arg-type]


# --- kitty and sixel -----------------------------------------------------------------------------


def test_kitty_sequence_is_well_formed() -> None:
    img = a4_scan(size=(200, 280))
    sequence = encode_kitty(img, cols=40, rows=30, chunk=4096)
    chunks = re.findall(r"\x1b_G([^;]*);([A-Za-z0-9+/=]*)\x1b\\", sequence)
    assert "".join(f"\x1b_G{c};{p}\x1b\\" for c, p in chunks) == sequence
    assert len(chunks) > 1
    assert chunks[0][0].startswith("a=T,f=100,q=2,c=40,r=30")
    assert all(c.endswith("m=1") for c, _ in chunks[:-1]) and chunks[-1][0] == "m=0"
    assert all(len(p) <= 4096 and len(p) % 4 == 0 for (p,) in [(p,) for _, p in chunks[:-1]])
    png = base64.b64decode("".join(p for _, p in chunks))
    assert Image.open(io.BytesIO(png)).size == (200, 280)


def _decode_sixel(
    sequence: str,
) -> tuple[int, int, dict[int, tuple[int, int, int]], list[list[int]]]:
    """A small sixel reader: raster size, palette (percent) and a pixel grid of palette indices."""
    match = re.fullmatch(r'\x1bP[\d;]*q"1;1;(\d+);(\d+)(.*)\x1b\\', sequence, re.S)
    assert match, "bad sixel envelope"
    width, height, body = int(match[1]), int(match[2]), match[3]
    palette: dict[int, tuple[int, int, int]] = {}
    grid = [[-1] * width for _ in range(height)]
    colour, x, band, i = 0, 0, 0, 0
    while i < len(body):
        ch = body[i]
        if ch == "#":
            m = re.match(r"#(\d+)(;2;(\d+);(\d+);(\d+))?", body[i:])
            assert m
            colour = int(m[1])
            if m[2]:
                palette[colour] = (int(m[3]), int(m[4]), int(m[5]))
                assert all(0 <= int(v) <= 100 for v in m.groups()[2:])
            i += m.end()
            continue
        if ch == "$":
            x = 0
        elif ch == "-":
            x, band = 0, band + 1
        elif ch == "!":
            m = re.match(r"!(\d+)([?-~])", body[i:])
            assert m
            for _ in range(int(m[1])):
                x = _put(grid, x, band, ord(m[2]) - 63, colour)
            i += m.end()
            continue
        else:
            assert "?" <= ch <= "~", repr(ch)
            x = _put(grid, x, band, ord(ch) - 63, colour)
        i += 1
    return width, height, palette, grid


def _put(grid: list[list[int]], x: int, band: int, bits: int, colour: int) -> int:
    for k in range(6):
        if bits >> k & 1:
            y = band * 6 + k
            assert y < len(grid) and x < len(grid[0]), "sixel outside the raster"
            grid[y][x] = colour
    return x + 1


def test_sixel_round_trips() -> None:
    img = Image.new("RGB", (37, 20), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((3, 2, 20, 13), fill=(200, 0, 0))
    draw.line((0, 19, 36, 0), fill=(0, 0, 200))
    sequence = encode_sixel(img, colors=16)
    width, height, palette, grid = _decode_sixel(sequence)
    assert (width, height) == (37, 20)
    assert len(palette) <= 16
    for y in range(height):
        for x in range(width):
            index = grid[y][x]
            assert index in palette, (x, y)
            expected = img.getpixel((x, y))
            got = tuple(round(v * 255 / 100) for v in palette[index])
            assert max(abs(a - b) for a, b in zip(got, expected, strict=True)) <= 8  # type: ignore[arg-type]


def test_sixel_palette_is_at_most_256() -> None:
    photo = Image.effect_noise((64, 64), 80).convert("RGB")
    _, _, palette, _ = _decode_sixel(encode_sixel(photo, colors=1000))
    assert len(palette) <= 256


# --- capabilities --------------------------------------------------------------------------------


def test_capability_query_bytes() -> None:
    assert KITTY_QUERY == b"\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
    assert capability_query().endswith(DA1_QUERY)
    assert XTVERSION_QUERY in capability_query()


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (b"\x1b_Gi=31;OK\x1b\\\x1bP>|kitty(0.35.2)\x1b\\\x1b[?62;c", {"kitty"}),
        (b"\x1bP>|XTerm(390)\x1b\\\x1b[?63;1;2;4;6;9;15;22c", {"sixel"}),
        (b"\x1bP>|WezTerm 20240203\x1b\\\x1b[?65;4;6;18;22c", {"kitty", "sixel"}),
        (b"\x1bP>|foot(1.16.2)\x1b\\\x1b[?62;4;22c", {"sixel"}),
        (b"\x1b[?64;1;2;6;9;15;18;21;22c", set()),  # GNOME Terminal / VTE
        (b"\x1b[?6c", set()),  # PuTTY
        (b"\x1b_Gi=31;EINVAL:bad\x1b\\\x1b[?62c", set()),
        (b"", set()),
    ],
)
def test_parse_capabilities(reply: bytes, expected: set[str]) -> None:
    assert parse_capabilities(reply) == expected


def test_reply_helpers_and_override() -> None:
    reply = b"\x1bP>|WezTerm 20240203\x1b\\\x1b[?65;4c"
    assert parse_terminal_name(reply) == "WezTerm 20240203"
    assert response_complete(reply) and not response_complete(reply[:-5])
    assert choose_protocol("auto", {"kitty", "sixel"}) == "kitty"
    assert choose_protocol("auto", {"sixel"}) == "sixel"
    assert choose_protocol("auto", set()) == "none"
    assert choose_protocol("sixel", set()) == "sixel"
    assert choose_protocol("none", {"kitty"}) == "none"


# --- caches --------------------------------------------------------------------------------------


def test_lru_hit_miss_and_eviction_by_bytes() -> None:
    cache: LRUCache[str, bytes] = LRUCache(100, len)
    assert cache.get("a") is None
    cache.put("a", b"x" * 40)
    cache.put("b", b"x" * 40)
    assert cache.get("a") is not None  # a is now most recent
    cache.put("c", b"x" * 40)  # over budget: b, the least recent, goes
    assert "b" not in cache and "a" in cache and "c" in cache
    assert cache.bytes == 80
    assert (cache.hits, cache.misses) == (1, 1)
    cache.put("huge", b"x" * 101)
    assert "huge" not in cache and cache.bytes == 80


def test_get_or_compute_runs_once_for_concurrent_callers() -> None:
    cache: LRUCache[str, int] = LRUCache(1000, lambda _: 1)
    calls = []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.05)
        return 7

    threads = [threading.Thread(target=cache.get_or_compute, args=("k", slow)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and cache.get("k") == 7


def test_pixel_buckets() -> None:
    assert pixel_bucket(80) == 256
    assert pixel_bucket(257) == 512
    assert pixel_bucket(100_000) == 4096


def _scan_pdf() -> bytes:
    buffer = io.BytesIO()
    pages = [a4_scan(seed) for seed in range(2)]
    pages[0].save(buffer, "PDF", resolution=150, save_all=True, append_images=pages[1:])
    return buffer.getvalue()


def test_previewer_caches_pages_and_cells() -> None:
    data = _scan_pdf()
    sha = hashlib.sha256(data).hexdigest()
    reads: list[str] = []

    def reader(key: str) -> bytes:
        reads.append(key)
        return data

    with Previewer(reader, isolate=False) as previewer:
        assert previewer.page_count(sha, "scan.pdf") == 2
        first = previewer.render(sha, "scan.pdf", 0, 80, 40)
        assert first.error is None and first.info is not None and first.info.scanned
        again = previewer.render(sha, "scan.pdf", 0, 80, 40)
        assert again.lines is first.lines
        stats = previewer.stats()
        assert stats["cells_hits"] >= 1 and stats["page_misses"] >= 1
        # Another size re-cuts cells from the cached page image: no new decode.
        before = previewer.stats()
        previewer.render(sha, "scan.pdf", 0, 60, 36)
        after = previewer.stats()
        assert after["page_misses"] == before["page_misses"]
        assert after["page_hits"] == before["page_hits"] + 1
        previewer.prefetch(sha, "scan.pdf")
        zoomed = previewer.render(sha, "scan.pdf", 1, 80, 40, zoom=Region.grid(3, 1, 1))
        assert zoomed.error is None and len(zoomed.lines) == 40
        kitty = previewer.graphics(sha, "scan.pdf", 0, "kitty", 400, 560, cols=40, rows=28)
        assert kitty.error is None and kitty.data.startswith("\x1b_G")
        sixel = previewer.graphics(sha, "scan.pdf", 0, "sixel", 200, 280)
        assert sixel.error is None and sixel.data.startswith("\x1bP")
        assert previewer.graphics(sha, "scan.pdf", 0, "none", 10, 10).error
    assert reads == [sha]  # the blob was read once


def test_previewer_evicts_within_budget() -> None:
    data = _scan_pdf()
    sha = hashlib.sha256(data).hexdigest()
    with Previewer(lambda _: data, isolate=False, image_budget=300_000) as previewer:
        previewer.render(sha, "scan.pdf", 0, 80, 40)
        previewer.render(sha, "scan.pdf", 1, 80, 40)
        assert previewer.stats()["page_bytes"] <= 300_000


def test_bench_script_exists() -> None:
    assert (Path(__file__).parent / "bench" / "bench_preview.py").is_file()


def test_grey8_pane_of_a4_scan_bytes_are_small_with_truecolor_console() -> None:
    """grey8 writes 256-palette codes, so a truecolor console sends the same small output."""
    lines = to_halfblocks(a4_scan(), 80, 40, "grey8")
    assert len(render_bytes(lines, "truecolor")) == len(render_bytes(lines, "256"))
    assert Segment(" ").cell_length == 1


def test_sixel_size_reads_the_raster_attributes() -> None:
    """The pane centres a sixel by the size it declares."""
    data = encode_sixel(Image.new("RGB", (37, 20), (200, 10, 10)))
    assert sixel_size(data) == (37, 20)
    assert sixel_size("not a sixel") is None
