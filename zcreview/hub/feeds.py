"""What an office reads: its inbox of applications reported to it, the blobs it may see, and
how far it has applied each feed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from zcreview.hub.base import PAGE_MAX, HubBase, office_info
from zcreview.protocol import BlobRef, InboxItem, InboxPage
from zcreview.storage.sync_tables import HubDelivery, HubOffice, HubRevision


@dataclass(frozen=True)
class BlobFile:
    path: Path
    size: int


class Feeds(HubBase):
    def inbox(self, office: HubOffice, after: int, limit: int = 100) -> InboxPage:
        limit = max(1, min(limit, PAGE_MAX))
        with Session(self.engine) as s:
            rows = s.exec(
                select(HubDelivery, HubRevision, HubOffice)
                .join(
                    HubRevision,
                    (col(HubRevision.application_id) == col(HubDelivery.application_id))
                    & (col(HubRevision.revision) == col(HubDelivery.revision)),
                )
                .join(HubOffice, col(HubOffice.id) == col(HubDelivery.from_office_id))
                .where(HubDelivery.to_office_id == office.id, col(HubDelivery.seq) > after)
                .order_by(col(HubDelivery.seq))
                .limit(limit + 1)
            ).all()
        items = [
            InboxItem(
                seq=d.seq,
                batch_id=d.batch_id,
                application_id=d.application_id,
                revision=d.revision,
                supersedes=d.supersedes,
                from_office=office_info(frm),
                series=d.series,
                level=d.level,
                year=d.year,
                blobs=[BlobRef.model_validate(b) for b in json.loads(d.blobs)],
                application=rev.body,
            )
            for d, rev, frm in rows[:limit]
        ]
        cursor = items[-1].seq if items else after
        return InboxPage(items=items, cursor=cursor, more=len(rows) > limit)

    def open_blob(self, office: HubOffice, blob_id: str) -> BlobFile:
        """A stored blob this office may read: its own upload, or named by a revision it sent or
        received."""
        self._check_digest(blob_id)
        if not self._may_read(office, blob_id):
            raise self._not_found()  # whether it exists is none of this office's business
        path = self.blobs.path(blob_id)
        return BlobFile(path=path, size=path.stat().st_size)

    def ack(self, office: HubOffice, feed: str, cursor: int) -> int:
        """Record how far an office has applied a feed; only ever moves forward."""
        with self._write(), Session(self.engine) as s:
            row = s.get(HubOffice, office.id, with_for_update=True)
            assert row is not None
            if feed == "inbox":
                row.inbox_ack = max(row.inbox_ack, cursor)
                value = row.inbox_ack
            else:
                row.returns_ack = max(row.returns_ack, cursor)
                value = row.returns_ack
            s.add(row)
            s.commit()
            return value
