"""Who this office is and who reviews here, read as plain SQL (for the workstation's title bar
and reviewer choice, which it needs before SQLAlchemy has loaded)."""

from __future__ import annotations

from dataclasses import dataclass

from zcreview.storage.plain_sql import Reader, rows


@dataclass(frozen=True)
class OfficeIdentity:
    office: str
    """This office's name ("" before `zcreview init`)."""
    reviewers: list[str]
    """Active reviewers' names, in the order they were registered."""


def office_identity(*, session: Reader) -> OfficeIdentity:
    me = rows(
        session, "SELECT name FROM office WHERE is_self = :yes ORDER BY id LIMIT 1", {"yes": True}
    )
    names = rows(
        session, "SELECT name FROM reviewer WHERE active = :yes ORDER BY id", {"yes": True}
    )
    return OfficeIdentity(str(me[0][0]) if me else "", [str(n) for (n,) in names])
