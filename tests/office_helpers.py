"""Setting up a test office: its own record (name, credit code, type, level) and reviewers."""

from __future__ import annotations

from collections.abc import Iterable

from zcreview.storage.office import add_reviewer, init_office
from zcreview.storage.store import Store


def set_up_office(
    store: Store,
    name: str,
    credit_code: str,
    *,
    office_type: str = "用人单位",
    office_level: str = "区县",
    reviewers: Iterable[str] = (),
) -> Store:
    """Register this office in `store` (as `zcreview init` does) with its reviewers."""
    with store.session() as s:
        init_office(
            session=s,
            name=name,
            credit_code=credit_code,
            office_type=office_type,
            office_level=office_level,
        )
        for reviewer in reviewers:
            add_reviewer(session=s, name=reviewer)
        s.commit()
    return store
