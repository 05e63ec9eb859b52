"""Draft flags: items a reviewer marks for correction while reviewing, before any return.

Flags are the reviewer's notes, audited but not a decision; a return turns them into its
correction list and consumes them. Functions take `*, session`; the caller commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete
from sqlmodel import Session, col, select

from zcreview.domain.paths import label_for_path
from zcreview.storage import audit
from zcreview.storage.review_tables import FlagRow
from zcreview.storage.transitions import db_now


def _find_flag(app_id: str, reviewer: str, field_path: str, session: Session) -> FlagRow | None:
    return session.exec(
        select(FlagRow).where(
            col(FlagRow.application_id) == app_id,
            col(FlagRow.reviewer) == reviewer,
            col(FlagRow.field_path) == field_path,
        )
    ).first()


def set_flag(
    app_id: str,
    reviewer: str,
    field_path: str,
    *,
    session: Session,
    reason_id: str = "",
    reason: str = "",
    note: str = "",
    label: str | None = None,
    now: datetime | None = None,
) -> FlagRow:
    """Flag an item (or update this reviewer's flag on it). `label` defaults from the path."""
    now = now or db_now(session)
    flag = _find_flag(app_id, reviewer, field_path, session)
    if flag is None:
        flag = FlagRow(
            application_id=app_id, reviewer=reviewer, field_path=field_path, created_at=now
        )
    flag.label = label if label is not None else label_for_path(field_path)
    flag.reason_id, flag.reason, flag.note, flag.updated_at = reason_id, reason, note, now
    session.add(flag)
    session.flush()
    audit.append(
        session=session,
        actor=reviewer,
        action="flag",
        application_id=app_id,
        payload={"path": field_path, "reason_id": reason_id, "reason": reason, "note": note},
        now=now,
    )
    return flag


def remove_flag(
    app_id: str, reviewer: str, field_path: str, *, session: Session, now: datetime | None = None
) -> bool:
    """Remove this reviewer's flag on an item; False if there was none."""
    flag = _find_flag(app_id, reviewer, field_path, session)
    if flag is None:
        return False
    session.delete(flag)
    audit.append(
        session=session,
        actor=reviewer,
        action="unflag",
        application_id=app_id,
        payload={"path": field_path},
        now=now,
    )
    return True


def list_flags(app_id: str, *, session: Session, reviewer: str | None = None) -> list[FlagRow]:
    """Draft flags on an application (of one reviewer, or everyone's), oldest first."""
    stmt = select(FlagRow).where(col(FlagRow.application_id) == app_id)
    if reviewer is not None:
        stmt = stmt.where(col(FlagRow.reviewer) == reviewer)
    return list(session.exec(stmt.order_by(col(FlagRow.created_at), col(FlagRow.id))).all())


def clear_flags(app_id: str, *, session: Session, reviewer: str | None = None) -> int:
    """Delete draft flags (a return consumes them); returns how many."""
    stmt = delete(FlagRow).where(col(FlagRow.application_id) == app_id)
    if reviewer is not None:
        stmt = stmt.where(col(FlagRow.reviewer) == reviewer)
    result = cast(
        CursorResult[Any], session.execute(stmt.execution_options(synchronize_session="fetch"))
    )
    return int(result.rowcount)
