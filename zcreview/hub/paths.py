"""Reporting paths (路径): a lower office asks, the upper office decides; checked against the
catalogue, the chain of offices and the routing table where they are decided."""

from __future__ import annotations

from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from zcreview.hub.base import HubBase, check_replay, office_info
from zcreview.hub.errors import HubError
from zcreview.protocol import PathDecision, PathInfo, PathRequest, Role
from zcreview.storage import hub_audit
from zcreview.storage.sync_tables import HubOffice, HubPath
from zcreview.storage.tables import utcnow


class Paths(HubBase):
    def _path_info(self, s: Session, row: HubPath, *, reused: bool = False) -> PathInfo:
        lower = s.get(HubOffice, row.lower_id)
        upper = s.get(HubOffice, row.upper_id)
        assert lower is not None and upper is not None
        return PathInfo(
            path_id=row.path_id,
            lower_office=office_info(lower),
            upper_office=office_info(upper),
            series=row.series,
            level=row.level,
            year=row.year,
            state=row.state,
            reason=row.reason,
            requested_at=row.requested_at,
            decided_at=row.decided_at,
            reused=reused,
        )

    def put_path(self, office: HubOffice, path_id: str, req: PathRequest) -> PathInfo:
        """路径申请, idempotent by path id; an approved (or pending) path of the edge is reused."""
        try:
            return self._put_path(office, path_id, req)
        except IntegrityError:
            pass  # the same id was stored a moment ago (a retry overtaking its original)
        try:
            return self._put_path(office, path_id, req)
        except IntegrityError:
            raise HubError("path_conflict", "路径编号冲突", "path id conflict") from None

    def _put_path(self, office: HubOffice, path_id: str, req: PathRequest) -> PathInfo:
        with self._write(), Session(self.engine) as s:
            upper = self._office_by_code(s, req.upper_office)
            if upper.id == office.id:
                raise HubError("self_path", "不能向本单位申请路径", "path to self")
            self._check_path_rules(office, upper, req)
            existing = s.get(HubPath, path_id)
            if existing is not None:
                same = (existing.upper_id, existing.series, existing.level, existing.year) == (
                    upper.id,
                    req.series,
                    req.level,
                    req.year,
                )
                check_replay(existing.lower_id, office, same, "路径")
                return self._path_info(s, existing)
            for state in ("approved", "pending"):
                earlier = s.exec(
                    select(HubPath)
                    .where(
                        HubPath.lower_id == office.id,
                        HubPath.upper_id == upper.id,
                        HubPath.series == req.series,
                        HubPath.level == req.level,
                        HubPath.state == state,
                    )
                    .order_by(col(HubPath.requested_at).desc())
                ).first()
                if earlier is not None:
                    return self._path_info(s, earlier, reused=True)
            assert office.id is not None and upper.id is not None
            row = HubPath(
                path_id=path_id,
                lower_id=office.id,
                upper_id=upper.id,
                series=req.series,
                level=req.level,
                year=req.year,
                state="pending",
            )
            s.add(row)
            hub_audit.append(
                s,
                office.credit_code,
                "path.request",
                path_id,
                {
                    "upper": upper.credit_code,
                    "series": req.series,
                    "level": req.level,
                    "year": req.year,
                },
            )
            s.commit()
            return self._path_info(s, row)

    def _check_path_rules(self, lower: HubOffice, upper: HubOffice, req: PathRequest) -> None:
        """Refuse a path the catalogue, the chain or the routing table does not allow."""
        from zcreview.configfiles import load_config
        from zcreview.domain.path_rules import PathEnd, path_problems

        def end(o: HubOffice) -> PathEnd:
            return PathEnd(o.name, o.office_type, o.office_level)

        problems = path_problems(
            end(lower), end(upper), req.series, req.level, req.year, load_config(), date.today()
        )
        if problems:
            raise HubError("path_not_allowed", "；".join(problems), "path not allowed")

    def list_paths(self, office: HubOffice, role: Role) -> list[PathInfo]:
        column = HubPath.upper_id if role == "upper" else HubPath.lower_id
        with Session(self.engine) as s:
            rows = s.exec(
                select(HubPath).where(column == office.id).order_by(col(HubPath.requested_at))
            ).all()
            return [self._path_info(s, r) for r in rows]

    def decide_path(self, office: HubOffice, path_id: str, decision: PathDecision) -> PathInfo:
        """路径审核 by the upper office; a replay of the same decision answers the same."""
        with self._write(), Session(self.engine) as s:
            row = s.get(HubPath, path_id, with_for_update=True)
            if row is None:
                raise HubError("unknown_path", "没有这个路径申请", "path not found")
            if row.upper_id != office.id:
                raise HubError("forbidden", "只有上级单位能审核该路径", "not the upper office")
            wanted = "approved" if decision.approve else "rejected"
            if row.state == "pending":
                if not decision.approve and not decision.reason.strip():
                    raise HubError(
                        "reason_required", "审核不通过须写明原因", "a rejection needs a reason"
                    )
                row.state = wanted
                row.reason = decision.reason
                row.decided_at = utcnow()
                s.add(row)
                hub_audit.append(
                    s,
                    office.credit_code,
                    "path.approve" if decision.approve else "path.reject",
                    path_id,
                    {"reason": decision.reason} if decision.reason else None,
                )
                s.commit()
            elif row.state != wanted:
                raise HubError("path_decided", "该路径已审核，不能改变", "path already decided")
            return self._path_info(s, row)
