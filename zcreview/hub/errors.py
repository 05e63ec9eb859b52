"""The hub's refusals: a machine code and a bilingual message, no transport in them.

Which HTTP status a code travels with is the web layer's business (`zcreview.hub.web.statuses`).
"""

from __future__ import annotations


class HubError(Exception):
    """A refusal: a machine code (`unauthorized`, `offset_mismatch` …) and a bilingual message."""

    def __init__(
        self,
        code: str,
        zh: str,
        en: str,
        *,
        offset: int | None = None,
        missing: list[str] | None = None,
    ) -> None:
        super().__init__(f"{zh} / {en}")
        self.code = code
        self.zh = zh
        self.message = f"{zh} / {en}"
        self.offset = offset
        self.missing = missing
