"""Draft flags as the desk hands them out, and the correction list they make."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from zcreview.domain.corrections import CorrectionItem
from zcreview.domain.paths import label_for_path
from zcreview.storage.review_tables import FlagRow


@dataclass(frozen=True)
class Flag:
    """A draft flag: where, what it is called, and why."""

    path: str
    label: str
    reason_id: str
    reason: str
    note: str

    def item(self) -> CorrectionItem:
        label = self.label or label_for_path(self.path)
        return CorrectionItem(self.path, label, self.reason_id, self.reason, self.note)

    def text(self) -> str:
        return self.item().text()


def flags_of(rows: Iterable[FlagRow]) -> list[Flag]:
    """Stored flag rows as plain data."""
    return [Flag(f.field_path, f.label, f.reason_id, f.reason, f.note) for f in rows]


def correction_items(flags: Iterable[Flag]) -> list[CorrectionItem]:
    """The correction list draft flags make: one item per place (the first flag's reason wins),
    in the flags' order. What the return composer starts from."""
    items: dict[str, CorrectionItem] = {}
    for f in flags:
        items.setdefault(f.path, f.item())
    return list(items.values())
