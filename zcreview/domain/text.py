"""Text from outside made safe to store, show and export: no escapes, controls or hidden marks."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

# Terminal escape sequences are removed whole: dropping only ESC would leave `[31m` behind.
_ESCAPE_RE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC (titles, hyperlinks), BEL or ST terminated
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]"  # two-character escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
# C0 (but tab and line feed), DEL and C1 controls.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAK_RE = re.compile("\r\n?|[\u2028\u2029]")
_SHORT_SPACE_RE = re.compile("[\t\n]")
# Bidi overrides/isolates/marks reorder what the reviewer sees; zero-width space and BOM hide.
_INVISIBLE_RE = re.compile("[\u061c\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def clean_text(value: str, *, long_text: bool = False) -> str:
    """`value` without terminal escapes, control characters and bidi/invisible marks.

    Long text keeps its line breaks and tabs; in other fields they become spaces. Lone
    surrogates (which JSON `\\ud800` escapes can produce) are replaced: they cannot be stored.
    """
    if value.isprintable():
        # Nothing to remove: every character the patterns below look for (escape and control
        # characters, line and paragraph separators, format marks, surrogates) is in a Unicode
        # category `isprintable` refuses. Most text takes this path, in C.
        return value
    text = _ESCAPE_RE.sub("", value)
    text = _LINE_BREAK_RE.sub("\n", text)
    if not long_text:
        text = _SHORT_SPACE_RE.sub(" ", text)
    text = _CONTROL_RE.sub("", text)
    text = _INVISIBLE_RE.sub("", text)
    if _SURROGATE_RE.search(text):
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def terminal_safe(value: object) -> str:
    """`value` as text fit for a terminal or a spreadsheet cell: line breaks kept, nothing else."""
    return clean_text(value if isinstance(value, str) else str(value), long_text=True)


def clean_strings(value: Any) -> Any:
    """A copy of JSON-like data with every string cleaned as long text (line breaks kept)."""
    if isinstance(value, str):
        return clean_text(value, long_text=True)
    if isinstance(value, dict):
        return {clean_strings(k): clean_strings(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_strings(v) for v in value]
    return value


def clean_model(model: M) -> M:
    """`model` with every string field cleaned; it is validated again, so it stays well-formed.

    When the cleaned text no longer fits the model (a name that was nothing but escapes), the
    model is returned as it was: callers still print through `terminal_safe`, and refusing
    here would stop a whole feed on one item.
    """
    try:
        return type(model).model_validate(clean_strings(model.model_dump()))
    except ValidationError:
        return model
