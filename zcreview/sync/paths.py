"""Office side of 路径: request one upward, mirror the hub's answer, decide requests from below."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from zcreview.storage.store import Store
from zcreview.storage.sync_tables import SyncPath
from zcreview.storage.tables import utcnow
from zcreview.sync.protocol import OfficeInfo, PathDecision, PathInfo, PathRequest, Role
from zcreview.sync.transport import SyncError, Transport


class PathError(SyncError):
    """A path request that cannot be made as asked (unknown or ambiguous upper office)."""


def mirror(session: Session, info: PathInfo, role: Role, via: str = "") -> SyncPath:
    """Keep the local copy of a path as the deciding side reports it; not committed.

    `via` is the transport the path travels by ("http" or "folder"); "" keeps what is known.
    """
    row = session.get(SyncPath, str(info.path_id)) or SyncPath(
        path_id=str(info.path_id),
        role=role,
        lower_name=info.lower_office.name,
        lower_code=info.lower_office.credit_code,
        upper_name=info.upper_office.name,
        upper_code=info.upper_office.credit_code,
        series=info.series,
        level=info.level,
        year=info.year,
        state=info.state,
    )
    row.state, row.reason, row.updated_at = info.state, info.reason, utcnow()
    row.via = via or row.via
    session.add(row)
    return row


def pick_office(candidates: list[OfficeInfo], query: str) -> OfficeInfo:
    """The one office the user meant: an exact name, a credit code, or the only match."""
    exact = [o for o in candidates if query in (o.name, o.credit_code)]
    if len(exact) == 1:
        return exact[0]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise PathError(f"没有找到名称含“{query}”的单位，请检查名称或请上级单位先在服务器登记")
    names = "、".join(o.name for o in candidates[:8])
    raise PathError(f"找到多个单位：{names}。请写出全称")


def request_path(
    store: Store, transport: Transport, series: str, level: str, upper: str, year: int
) -> PathInfo:
    """路径申请 to the office named `upper` (fuzzy); an approved path of earlier years is reused."""
    office = pick_office(transport.find_offices(upper), upper)
    return request_path_to(store, transport, series, level, office, year)


def request_path_to(
    store: Store, transport: Transport, series: str, level: str, office: OfficeInfo, year: int
) -> PathInfo:
    """路径申请 to an office already picked (from a `find_offices` answer)."""
    info = transport.put_path(
        str(uuid.uuid4()),
        PathRequest(upper_office=office.credit_code, series=series, level=level, year=year),
    )
    with store.session() as s:
        mirror(s, info, "lower", transport.VIA)
        s.commit()
    return info


def refresh_paths(store: Store, transport: Transport) -> list[SyncPath]:
    """Fetch both roles' paths from the hub into the local mirror; returns the mirror."""
    fetched = [(info, role) for role in ("lower", "upper") for info in transport.list_paths(role)]
    with store.session() as s:
        for info, role in fetched:
            mirror(s, info, role, transport.VIA)  # type: ignore[arg-type]
        s.commit()
        return local_paths(s)


def decide_path(
    store: Store, transport: Transport, path_id: str, approve: bool, reason: str = ""
) -> PathInfo:
    """路径审核 of a request addressed to this office."""
    if not approve and not reason.strip():
        raise PathError("审核不通过须写明原因（--reason）")
    info = transport.decide_path(path_id, PathDecision(approve=approve, reason=reason))
    with store.session() as s:
        mirror(s, info, "upper", transport.VIA)
        s.commit()
    return info


def local_paths(session: Session) -> list[SyncPath]:
    """The local mirror of paths: this office's requests first, then those it decides; in each,
    those awaiting a decision first."""
    rows = session.exec(select(SyncPath)).all()
    return sorted(rows, key=lambda p: (p.role != "lower", p.state != "pending", p.series, p.level))
