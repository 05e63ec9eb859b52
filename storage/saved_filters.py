"""Queue filters a reviewer saved under a name, kept in the office database per reviewer.

In the database rather than a file in a home directory: a reviewer who works from two
terminals (or whose workstation is rebuilt) finds them again, and an office administrator's
backup (`zcreview backup`) carries them with everything else.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlmodel import Session

_PREFIX = "saved_filters:"
MAX_NAME = 30
"""Characters in a filter's name (it is shown in a list at 80 columns)."""


@dataclass(frozen=True)
class SavedFilter:
    """What the queue shows, without the moment: "due soon" is kept as a rule (N working days
    from the day it is recalled), not as the date it was saved on."""

    name: str
    year: int | None = None
    level: str | None = None
    series: str | None = None
    states: tuple[str, ...] = ()
    search: str = ""
    sort: str = "submitted_on"
    descending: bool = False
    due_within: int | None = None
    """Only returns due within this many working days (the queue's `d`), when set."""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, name: str, data: dict[str, Any]) -> SavedFilter:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "name"}
        known["states"] = tuple(str(s) for s in known.get("states", ()))
        return cls(name=name, **known)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("name")
        data["states"] = list(self.states)
        return data


def _key(reviewer: str) -> str:
    return _PREFIX + reviewer


def saved_filters(reviewer: str, *, session: Session) -> list[SavedFilter]:
    """The reviewer's saved filters in the order they were saved."""
    from zcreview.storage.tables import SettingRow  # the ORM loads after the first paint

    row = session.get(SettingRow, _key(reviewer))
    if row is None:
        return []
    try:
        data = json.loads(row.value)
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    return [
        SavedFilter.from_json(str(name), body)
        for name, body in data.items()
        if isinstance(body, dict)
    ]


def _write(reviewer: str, filters: list[SavedFilter], session: Session) -> None:
    from zcreview.storage.tables import SettingRow

    value = json.dumps({f.name: f.to_json() for f in filters}, ensure_ascii=False)
    row = session.get(SettingRow, _key(reviewer))
    if row is None:
        session.add(SettingRow(key=_key(reviewer), value=value))
    else:
        row.value = value
        session.add(row)


def save_filter(reviewer: str, saved: SavedFilter, *, session: Session) -> bool:
    """Save (or replace, keeping its place) `saved` under its name; True if it replaced one.
    The caller commits."""
    filters = saved_filters(reviewer, session=session)
    names = [f.name for f in filters]
    replaced = saved.name in names
    if replaced:
        filters[names.index(saved.name)] = saved
    else:
        filters.append(saved)
    _write(reviewer, filters, session)
    return replaced


def delete_filter(reviewer: str, name: str, *, session: Session) -> bool:
    """Remove the filter called `name`; True if there was one. The caller commits."""
    filters = saved_filters(reviewer, session=session)
    kept = [f for f in filters if f.name != name]
    if len(kept) == len(filters):
        return False
    _write(reviewer, kept, session)
    return True
