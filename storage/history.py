"""The history of one application at this office, in time order, from every record of it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from zcreview.domain.corrections import to_local
from zcreview.domain.paths import label_for_path
from zcreview.storage.audit import payload_of
from zcreview.storage.review_tables import AuditRow
from zcreview.storage.sync_tables import InboxEntry, OutboxBatch, OutboxItem
from zcreview.storage.tables import RevisionRow
from zcreview.storage.transitions import ACTION_LABELS


@dataclass(frozen=True)
class HistoryEntry:
    """One event: when (UTC), who (a reviewer, an office, or "" for the system), what."""

    at: datetime
    actor: str
    what: str


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; they are stored as UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _items(payload: dict[str, Any]) -> str:
    items = payload.get("items") or []
    labels = [label_for_path(str(i.get("path", ""))) for i in items if isinstance(i, dict)]
    shown = "、".join(labels[:3]) + ("等" if len(labels) > 3 else "")
    return f"{len(items)} 项（{shown}）" if shown else f"{len(items)} 项"


def _claim(p: dict[str, Any]) -> str:
    try:
        until = f"{to_local(datetime.fromisoformat(str(p.get('until')))):%H:%M}"
    except ValueError:
        until = ""
    took = p.get("previous_holder")
    text = f"领取审核（至 {until}）" if until else "领取审核"
    return f"{text}，接手 {took} 的超时领取" if took else text


def _flag(p: dict[str, Any]) -> str:
    reason = "；".join(str(x) for x in (p.get("reason"), p.get("note")) if x)
    return f"标记需补正：{label_for_path(str(p.get('path', '')))}" + (
        f"（{reason}）" if reason else ""
    )


_AUDIT: dict[str, Callable[[dict[str, Any]], str]] = {
    "claim": _claim,
    "release": lambda p: f"释放，未作决定（回到“{p.get('to', '')}”）",
    "pass": lambda p: "审核通过",
    "reopen": lambda p: "重新审核（通过未上报 → 审核中）",
    "return": lambda p: f"审核不通过，退回补正 {_items(p)}，期限 {p.get('deadline', '')}",
    "return_from_above": lambda p: f"上级退回补正 {_items(p)}，期限 {p.get('deadline', '')}",
    "expire": lambda p: f"补正期限 {p.get('deadline', '')} 已过，逾期放弃",
    "flag": _flag,
    "unflag": lambda p: f"取消标记：{label_for_path(str(p.get('path', '')))}",
    "export": lambda p: "导出补正告知书" if p.get("what") == "notice" else "导出",
}


SHOWN_ELSEWHERE = frozenset({"create", "revision", "report", "baseline"})
"""Audit actions the history already shows from their own records (revisions received,
reports and receipts) or that say nothing about the application (the audit baseline)."""


def _from_audit(row: AuditRow) -> HistoryEntry:
    payload = payload_of(row)
    describe = _AUDIT.get(row.action)
    what = describe(payload) if describe is not None else ACTION_LABELS.get(row.action, row.action)
    return HistoryEntry(_aware(row.at), row.actor, what)


def _reasons(raw: str) -> str:
    try:
        reasons = json.loads(raw)
    except ValueError:
        return ""
    return "；".join(str(r) for r in reasons) if isinstance(reasons, list) else ""


def application_history(app_id: str, *, session: Session) -> list[HistoryEntry]:
    """Revisions received, claims, flags, decisions, notices, reports and their receipts,
    returns from above: everything recorded about `app_id`, oldest first."""
    entries: list[HistoryEntry] = []
    for rev in session.exec(
        select(RevisionRow).where(col(RevisionRow.application_id) == app_id)
    ).all():
        what = "收到申报" if rev.number == 1 else "申请人补正后重新提交"
        entries.append(HistoryEntry(_aware(rev.created_at), "", f"{what}（第 {rev.number} 版）"))
    for came in session.exec(
        select(InboxEntry).where(col(InboxEntry.application_id) == app_id)
    ).all():
        entries.append(
            HistoryEntry(_aware(came.received_at), came.from_name, "下级单位报送到本单位")
        )
    audit_rows = session.exec(
        select(AuditRow).where(col(AuditRow.application_id) == app_id).order_by(col(AuditRow.seq))
    ).all()
    entries += [_from_audit(r) for r in audit_rows if r.action not in SHOWN_ELSEWHERE]
    reported = session.exec(
        select(OutboxItem, OutboxBatch)
        .where(col(OutboxItem.application_id) == app_id)
        .where(col(OutboxItem.batch_id) == col(OutboxBatch.batch_id))
    ).all()
    for item, batch in reported:
        sealed = f"数据上报：封存批次 {batch.batch_id[:8]}，报送{batch.to_name}"
        entries.append(HistoryEntry(_aware(batch.created_at), batch.reviewer, sealed))
        if item.outcome == "accepted":
            entries.append(HistoryEntry(_aware(batch.updated_at), batch.to_name, "回执：已接收"))
        elif item.outcome == "rejected":
            why = _reasons(item.reasons)
            text = "回执：拒收" + (f"（{why}）" if why else "")
            entries.append(HistoryEntry(_aware(batch.updated_at), batch.to_name, text))
    # Stable: events of the same moment keep the order they were recorded in.
    return sorted(entries, key=lambda e: e.at)
