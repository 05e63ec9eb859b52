"""This office and its named reviewers (实名制)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from zcreview.storage.tables import OfficeRow, ReviewerRow


def get_self(*, session: Session) -> OfficeRow | None:
    return session.exec(select(OfficeRow).where(col(OfficeRow.is_self).is_(True))).first()


def init_office(
    *,
    session: Session,
    name: str,
    credit_code: str,
    office_type: str,
    office_level: str,
    region: str = "",
) -> OfficeRow:
    """Create or update this office's own record."""
    row = get_self(session=session) or OfficeRow(
        name=name,
        credit_code=credit_code,
        office_type=office_type,
        office_level=office_level,
        is_self=True,
    )
    row.name, row.credit_code = name, credit_code
    row.office_type, row.office_level, row.region = office_type, office_level, region
    session.add(row)
    return row


def add_reviewer(
    *, session: Session, name: str, id_number: str = "", phone: str = ""
) -> ReviewerRow:
    row = ReviewerRow(name=name, id_number=id_number, phone=phone)
    session.add(row)
    return row


def list_reviewers(*, session: Session, active_only: bool = True) -> list[ReviewerRow]:
    stmt = select(ReviewerRow).order_by(col(ReviewerRow.id))
    if active_only:
        stmt = stmt.where(col(ReviewerRow.active).is_(True))
    return list(session.exec(stmt).all())


def is_reviewer(name: str, *, session: Session) -> bool:
    """Whether `name` is a registered, active reviewer (实名制: only they may decide)."""
    return any(r.name == name for r in list_reviewers(session=session))


def reviewer_phone(name: str, *, session: Session) -> str:
    """The phone a registered reviewer gave (the notice's contact line); "" if none."""
    for r in list_reviewers(session=session, active_only=False):
        if r.name == name and r.phone:
            return r.phone
    return ""
