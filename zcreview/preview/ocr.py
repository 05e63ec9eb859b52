"""Read the text of a page offline: a reliable PDF text layer, else OCR with RapidOCR's PP-OCR models.

Runs inside the decoder worker processes (`zcreview.preview.decoder_process`), so the engine's
time and memory are bounded there and a crash of it never reaches the app. The models ship
inside the `rapidocr` wheel: nothing is downloaded at run time. The engine is built once per
process and uses one thread, so one worker costs one core.

Results are plain tuples (`RawLine`): the preview layer does not know the domain's types; the
storage layer turns them into `zcreview.domain.recognised.PageText`.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Final, Literal

from PIL import Image

from zcreview.preview.failure import ErrorKind, PreviewError

RawLine = tuple[str, float, tuple[float, float, float, float]]
"""(text, confidence 0–1, box as fractions of the page: x0, y0, x1, y1)."""

OcrSource = Literal["ocr", "text-layer"]

MODEL: Final = "PP-OCRv6-small"
TEXT_LAYER_ENGINE: Final = "pdf-text-layer"

RENDER_PX: Final = 1600
"""Longest side a page is drawn at for recognition (a scanned A4 at ~140 dpi)."""
MAX_SIDE: Final = 960
"""Longest side handed to the engine: A4 body text stays ~18 px high, enough for the recogniser."""
DET_SIDE: Final = 480
"""Longest side the text detector looks at: its cost grows with the pixels, and at 480 it still
finds body text (measured: the same character error rate as at 736, 1.6 times the pages a core)."""
REC_BATCH: Final = 1
"""Text lines per recogniser call (see `_build_engine`)."""
MIN_TEXT_LAYER_CHARS: Final = 4
"""A text layer with fewer visible characters than this is an empty scan, not text."""

_engine_lock = threading.Lock()
_engine: Any = None


@dataclass(frozen=True, slots=True)
class Recognised:
    """What was read from one page and how."""

    source: OcrSource
    engine: str
    lines: tuple[RawLine, ...]


@functools.cache
def engine_version() -> str:
    """The recogniser's version, e.g. `rapidocr-3.10.0/PP-OCRv6-small`: results are kept per version."""
    try:
        version = metadata.version("rapidocr")
    except metadata.PackageNotFoundError:
        version = "missing"
    return f"rapidocr-{version}/{MODEL}"


MSG_ENGINE_MISSING: Final = "文字识别组件（rapidocr、onnxruntime）未安装或无法载入，暂不能识别"


def _build_engine() -> Any:
    try:
        from rapidocr import RapidOCR  # heavy (onnxruntime, OpenCV): only where pages are read
    except ImportError as exc:
        # MISSING, not DAMAGED: the file is fine, and the page is read once the engine is there.
        raise PreviewError(MSG_ENGINE_MISSING, ErrorKind.MISSING, repr(exc)) from exc

    return RapidOCR(
        params={
            "Global.log_level": "error",
            "Global.use_cls": False,  # scans come upright; the angle classifier costs ~10 %
            "Global.max_side_len": MAX_SIDE,
            "Det.limit_type": "max",
            "Det.limit_side_len": DET_SIDE,
            # One line per recogniser call: a batch pads every line to its widest, and a
            # certificate's short lines (姓名：…) beside a long one cost the long one's width.
            # Measured on demo certificates: 2.7 -> 3.1 pages a core, the same error rate.
            "Rec.rec_batch_num": REC_BATCH,
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            # Reusing buffers between pages: ~10 % more pages a core, at most tens of MB held.
            "EngineConfig.onnxruntime.enable_cpu_mem_arena": True,
        }
    )


def get_engine() -> Any:
    """This process's engine, built on first use."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = _build_engine()
        return _engine


def warm_up() -> None:
    """Load the models now (they load on first use, ~1–2 s) by reading a blank image."""
    get_engine()(Image.new("RGB", (96, 48), (255, 255, 255)))


def recognise_image(image: Image.Image) -> tuple[RawLine, ...]:
    """OCR one page image; lines in reading order with boxes as fractions of the page."""
    img = image.convert("RGB") if image.mode != "RGB" else image
    if max(img.size) > MAX_SIDE:
        img = img.copy()
        # Bilinear after Pillow's block reduction: as legible to the engine as Lanczos
        # (measured: same error rate) at a fraction of the cost on a 1600 px page.
        img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    width, height = img.size
    result = get_engine()(img)
    boxes = getattr(result, "boxes", None)
    texts = getattr(result, "txts", None)
    scores = getattr(result, "scores", None)
    if boxes is None or texts is None or scores is None:
        return ()
    lines: list[RawLine] = []
    for box, text, score in zip(boxes, texts, scores, strict=False):
        text = str(text).strip()
        if not text:
            continue
        xs = [float(point[0]) for point in box]
        ys = [float(point[1]) for point in box]
        frac = (
            max(0.0, min(xs) / width),
            max(0.0, min(ys) / height),
            min(1.0, max(xs) / width),
            min(1.0, max(ys) / height),
        )
        lines.append((text, float(score), frac))
    return reading_order(lines)


def reading_order(lines: list[RawLine]) -> tuple[RawLine, ...]:
    """Top to bottom, and left to right within a row (boxes whose middles share a band)."""
    rows: list[list[RawLine]] = []
    for line in sorted(lines, key=lambda item: (item[2][1] + item[2][3]) / 2):
        middle = (line[2][1] + line[2][3]) / 2
        if rows:
            last = rows[-1]
            top = min(item[2][1] for item in last)
            bottom = max(item[2][3] for item in last)
            half = (bottom - top) / 2
            if abs(middle - (top + bottom) / 2) < max(half, 1e-6) * 0.6:
                last.append(line)
                continue
        rows.append([line])
    return tuple(line for row in rows for line in sorted(row, key=lambda item: item[2][0]))


# --- text layers ---------------------------------------------------------------------------

_GARBAGE_RANGES: Final = (
    (0x0370, 0x03FF),  # Greek and Coptic: what a CJK font without ToUnicode often decodes to
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x2C80, 0x2CFF),  # Coptic
    (0x3130, 0x318F),  # Hangul compatibility Jamo
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xE000, 0xF8FF),  # private use
    (0xF0000, 0x10FFFF),  # supplementary private use
    (0xFFFD, 0xFFFD),  # replacement character
)
_REPLACEMENT_RUN = re.compile("\ufffd{2,}")


def _garbage(ch: str) -> bool:
    code = ord(ch)
    return any(low <= code <= high for low, high in _GARBAGE_RANGES) or (
        code < 0x20 and ch not in "\n\r\t"
    )


def text_layer_reliable(text: str) -> bool:
    """Whether a PDF text layer says what the page shows.

    Unreliable: nearly empty, a run of U+FFFD, or Hangul, Greek, Coptic, private-use or
    control code points making up more than 2 % of it (a Chinese document has none of
    them; a broken font map produces them in bulk).
    """
    visible = [ch for ch in text if not ch.isspace()]
    if len(visible) < MIN_TEXT_LAYER_CHARS or _REPLACEMENT_RUN.search(text):
        return False
    bad = sum(1 for ch in visible if _garbage(ch))
    return bad * 50 <= len(visible)


def text_layer_lines(text: str) -> tuple[RawLine, ...]:
    """A reliable text layer as lines: full confidence, boxes in equal bands down the page."""
    rows = [row.strip() for row in text.splitlines()]
    rows = [row for row in rows if row]
    count = max(1, len(rows))
    return tuple((row, 1.0, (0.0, i / count, 1.0, (i + 1) / count)) for i, row in enumerate(rows))
