"""What intake reports about a package: problems that refuse it, and safe display of its text."""

from __future__ import annotations

import re
from dataclasses import dataclass

APPLICATION_JSON = "application.json"
WHOLE_FILE = "（整个文件）"
"""The field named by a problem that concerns a whole file rather than one of its fields."""

# C0 and C1 controls, DEL, bidi overrides/isolates and marks, zero-width space and BOM: none of
# them may reach a terminal when we echo applicant-supplied names back to the reviewer.
_UNSAFE_RE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)


@dataclass(frozen=True)
class Problem:
    """One reason to refuse a package: which file, which field (may be empty), and why."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{self.file}  {where}{self.message}" if self.file else f"{where}{self.message}"


class PackageError(Exception):
    """A package that cannot be read at all; `problems` says why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def safe_text(value: object, limit: int = 80) -> str:
    """`value` as one printable line: controls shown as escapes, long text cut with `…`."""
    text = value if isinstance(value, str) else repr(value)
    text = _UNSAFE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    # Lone surrogates (undecodable file-name bytes) cannot be encoded for output.
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 1] + "…"
