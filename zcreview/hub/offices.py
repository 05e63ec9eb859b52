"""Offices and their tokens: registration, authentication, search by name."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from zcreview.hub.base import HubBase, office_info
from zcreview.hub.errors import HubError
from zcreview.protocol import OfficeInfo
from zcreview.storage import hub_audit
from zcreview.storage.sync_tables import HubOffice


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def fuzzy_score(query: str, name: str) -> int | None:
    """Lower is better; None when `query` is not even a subsequence of `name`.

    Offices type part of a name (“工信局”, “威海 教育”), so substrings rank first and
    characters in order (with gaps) still match.
    """
    q = "".join(query.split())
    if not q:
        return 0
    pos = name.find(q)
    if pos >= 0:
        return pos
    i, gaps, last = 0, 0, -1
    for j, ch in enumerate(name):
        if i < len(q) and ch == q[i]:
            if last >= 0:
                gaps += j - last - 1
            last = j
            i += 1
    return 1000 + gaps if i == len(q) else None


class Offices(HubBase):
    def add_office(
        self, name: str, credit_code: str, office_type: str = "", office_level: str = ""
    ) -> tuple[OfficeInfo, str]:
        """Register an office; returns it and its token (shown once, only its hash is kept)."""
        token = secrets.token_urlsafe(32)
        with self._write(), Session(self.engine) as s:
            if s.exec(select(HubOffice).where(HubOffice.credit_code == credit_code)).first():
                raise HubError(
                    "office_exists", f"统一社会信用代码 {credit_code} 已登记", "office exists"
                )
            row = HubOffice(
                name=name,
                credit_code=credit_code,
                office_type=office_type,
                office_level=office_level,
                token_hash=token_hash(token),
            )
            s.add(row)
            hub_audit.append(
                s,
                hub_audit.ADMIN,
                "office.add",
                credit_code,
                {"name": name, "type": office_type, "level": office_level},
            )
            try:
                s.commit()
            except IntegrityError:  # registered by another process meanwhile
                raise HubError(
                    "office_exists", f"统一社会信用代码 {credit_code} 已登记", "office exists"
                ) from None
            return office_info(row), token

    def list_offices(self) -> list[OfficeInfo]:
        with Session(self.engine) as s:
            rows = s.exec(select(HubOffice).order_by(col(HubOffice.id))).all()
            return [office_info(r) for r in rows]

    def authenticate(self, token: str | None) -> HubOffice:
        """The office whose token this is; 401 otherwise."""
        if not token:
            raise HubError("unauthorized", "缺少访问令牌", "missing bearer token")
        with Session(self.engine) as s:
            row = s.exec(select(HubOffice).where(HubOffice.token_hash == token_hash(token))).first()
        if row is None or not row.active:
            raise HubError("unauthorized", "访问令牌无效", "invalid bearer token")
        self.contacts.seen(row.id or 0)
        return row

    def find_offices(self, query: str, limit: int = 20) -> list[OfficeInfo]:
        with Session(self.engine) as s:
            rows = s.exec(select(HubOffice).where(col(HubOffice.active).is_(True))).all()
        scored = [(fuzzy_score(query, r.name), r) for r in rows]
        ranked = sorted(((sc, r) for sc, r in scored if sc is not None), key=lambda t: t[0])
        return [office_info(r) for _, r in ranked[:limit]]
