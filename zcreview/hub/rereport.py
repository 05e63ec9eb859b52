"""Hub rules for a report that follows a return: a new delivery, whatever the revision.

An upper office returns an application; the lower office passes it again, changed or not, and
reports it. The hub must put it in the upper office's inbox again (the same revision included),
and refuse it when the correction deadline of that return has passed, since the upper office
would then hold it as 逾期放弃 and a receipt saying 接收 would not be true.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, select

from zcreview.protocol import EntryResult, ManifestEntry, ReturnRequest
from zcreview.storage.sync_tables import HubDelivery, HubReturn

BEIJING = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class OpenReturn:
    """The upper office's latest return of an application, made after its latest delivery."""

    seq: int
    deadline: date


def returns_since(
    s: Session, to_id: int, delivered: dict[str, dict[str, int]]
) -> dict[str, OpenReturn]:
    """For each application already delivered to `to_id`, its return by `to_id` made after the
    latest delivery, if any."""
    if not delivered:
        return {}
    rows = s.exec(
        select(HubReturn.application_id, HubReturn.seq, HubReturn.body).where(
            col(HubReturn.application_id).in_(list(delivered)),
            HubReturn.from_office_id == to_id,
        )
    ).all()
    found: dict[str, OpenReturn] = {}
    for app_id, seq, body in rows:
        if seq < max(delivered[app_id].values()):
            continue
        if app_id in found and found[app_id].seq > seq:
            continue
        found[app_id] = OpenReturn(seq, ReturnRequest.model_validate_json(body).deadline)
    return found


def after_return(
    entry: ManifestEntry,
    decided: EntryResult | None,
    open_return: OpenReturn | None,
    now: datetime,
) -> EntryResult | None:
    """Adjust the hub's usual decision for an application the receiver returned since it last
    received it: a duplicate becomes a new delivery (None), and a late one is refused."""
    if open_return is None or (decided is not None and not decided.accepted):
        return decided
    today = now.astimezone(BEIJING).date()
    if today > open_return.deadline:
        return EntryResult(
            application_id=entry.application_id,
            revision=entry.revision,
            accepted=False,
            reasons=[f"补正期限 {open_return.deadline:%Y-%m-%d} 已过，按逾期放弃处理，不能再上报"],
        )
    if decided is not None and decided.duplicate:
        return None
    return decided


def redeliver(
    s: Session,
    from_id: int,
    to_id: int,
    batch_id: str,
    entries: list[ManifestEntry],
    seqs: dict[tuple[str, str], int],
) -> None:
    """Put revisions already delivered to `to_id` at the end of its inbox again (new seq).

    A delivery is unique per (application, revision, receiver), so the re-report moves that row
    forward instead of adding one; the receiver's cursor then meets it again.
    """
    for e in entries:
        app_id = str(e.application_id)
        s.execute(
            update(HubDelivery)
            .where(
                col(HubDelivery.application_id) == app_id,
                col(HubDelivery.revision) == e.revision,
                col(HubDelivery.to_office_id) == to_id,
            )
            .values(
                seq=seqs[(app_id, e.revision)],
                from_office_id=from_id,
                batch_id=batch_id,
                supersedes=e.supersedes,
            )
            .execution_options(synchronize_session=False)
        )
