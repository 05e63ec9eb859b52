"""Returns: an upper office sends an application back down to whoever reported it."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from zcreview.hub.base import PAGE_MAX, RACE_RETRIES, SEQ, HubBase, check_replay, office_info
from zcreview.hub.errors import HubError
from zcreview.protocol import ReturnItem, ReturnRequest, ReturnsPage, digest_of
from zcreview.storage import hub_audit
from zcreview.storage.sync_tables import HubCounter, HubDelivery, HubOffice, HubReturn


class Returns(HubBase):
    def send_return(self, office: HubOffice, return_id: str, req: ReturnRequest) -> ReturnItem:
        """Record a return from `office` down to whoever reported that revision to it."""
        for attempt in range(RACE_RETRIES):
            try:
                return self._send_return(office, return_id, req)
            except IntegrityError:
                # The same return id arrived twice at once (a retry overtaking its original).
                if attempt + 1 == RACE_RETRIES:
                    raise
        raise AssertionError("unreachable")

    def _send_return(self, office: HubOffice, return_id: str, req: ReturnRequest) -> ReturnItem:
        digest = digest_of(req)
        app_id = str(req.application_id)
        with self._write(), Session(self.engine) as s:
            existing = s.get(HubReturn, return_id)
            if existing is not None:
                check_replay(
                    existing.from_office_id, office, existing.request_hash == digest, "退回"
                )
                return self._return_item(s, existing)
            delivery = s.exec(
                select(HubDelivery)
                .where(
                    HubDelivery.application_id == app_id,
                    HubDelivery.revision == req.revision,
                    HubDelivery.to_office_id == office.id,
                )
                .order_by(col(HubDelivery.seq).desc())
            ).first()
            if delivery is None:
                raise HubError(
                    "not_received",
                    "本单位没有收到这份申报的这个版本，不能退回",
                    "this revision was not reported to this office",
                )
            counter = s.get(HubCounter, SEQ, with_for_update=True)
            assert counter is not None and office.id is not None
            counter.value += 1
            row = HubReturn(
                return_id=return_id,
                seq=counter.value,
                application_id=app_id,
                revision=req.revision,
                from_office_id=office.id,
                to_office_id=delivery.from_office_id,
                request_hash=digest,
                body=req.model_dump_json(),
            )
            s.add(row)
            s.add(counter)
            hub_audit.append(
                s,
                office.credit_code,
                "return.send",
                return_id,
                {"application_id": app_id, "revision": req.revision},
            )
            s.commit()
            return self._return_item(s, row)

    def _return_item(self, s: Session, row: HubReturn) -> ReturnItem:
        req = ReturnRequest.model_validate_json(row.body)
        frm = s.get(HubOffice, row.from_office_id)
        to = s.get(HubOffice, row.to_office_id)
        assert frm is not None and to is not None
        return ReturnItem(
            return_id=row.return_id,
            seq=row.seq,
            application_id=req.application_id,
            revision=req.revision,
            corrections=req.corrections,
            deadline=req.deadline,
            message=req.message,
            from_office=office_info(frm),
            to_office=office_info(to),
            created_at=row.created_at,
        )

    def returns(self, office: HubOffice, after: int, limit: int = 100) -> ReturnsPage:
        limit = max(1, min(limit, PAGE_MAX))
        with Session(self.engine) as s:
            rows = s.exec(
                select(HubReturn)
                .where(HubReturn.to_office_id == office.id, col(HubReturn.seq) > after)
                .order_by(col(HubReturn.seq))
                .limit(limit + 1)
            ).all()
            items = [self._return_item(s, r) for r in rows[:limit]]
        cursor = items[-1].seq if items else after
        return ReturnsPage(items=items, cursor=cursor, more=len(rows) > limit)
