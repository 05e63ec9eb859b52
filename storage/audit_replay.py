"""Replay the audit log and compare it with the tables: application states and decisions.

Every move of an application goes through `storage.transitions`, which logs the state it left
and the version it produced; a decision's reviewer is the entry's actor. So the newest entry of
each application says what its row must hold, and the decisions table must list exactly the
logged decisions. A row edited behind the log's back shows as a difference.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from zcreview.domain.audit import AuditEntry, AuditProblem, iso_utc
from zcreview.domain.workflow import DECISIONS
from zcreview.storage.review_tables import DecisionRow
from zcreview.storage.tables import ApplicationRow

_MAX_LISTED = 50
"""Differences listed one by one; beyond that they are counted."""

DecisionKey = tuple[str, str, str, str]  # application, action, reviewer, moment


@dataclass
class Replay:
    """What the log says: each application's (state, version, seq) and the decisions made."""

    states: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    decisions: Counter[DecisionKey] = field(default_factory=Counter)
    decision_seq: dict[DecisionKey, int] = field(default_factory=dict)

    def feed(self, entry: AuditEntry) -> None:
        payload: Any = entry.payload
        if entry.action == "baseline":
            for app_id, (state, version) in dict(payload.get("states", {})).items():
                self.states[app_id] = (str(state), int(version), entry.seq)
            return
        if entry.action == "create" and "created" in payload:
            for app_id, state in dict(payload["created"]).items():
                self.states[app_id] = (str(state), 1, entry.seq)
            return
        if entry.application_id is None or "to" not in payload or "version" not in payload:
            return
        try:
            self.states[entry.application_id] = (
                str(payload["to"]),
                int(payload["version"]),
                entry.seq,
            )
        except (TypeError, ValueError):
            return
        if entry.action in DECISIONS:
            key = (entry.application_id, entry.action, entry.actor, iso_utc(entry.at))
            self.decisions[key] += 1
            self.decision_seq.setdefault(key, entry.seq)

    def compare(self, session: Session) -> list[AuditProblem]:
        """Differences between the replay and the application and decision tables."""
        problems: list[AuditProblem] = []
        rows = session.exec(
            select(
                ApplicationRow.id, ApplicationRow.name, ApplicationRow.state, ApplicationRow.version
            )
        ).all()
        seen: set[str] = set()
        for app_id, name, state, version in rows:
            seen.add(app_id)
            logged = self.states.get(app_id)
            if logged is None:
                problems.append(
                    AuditProblem(0, "state", f"申报 {name}（{app_id[:8]}）在审计日志中没有任何记录")
                )
            elif (logged[0], logged[1]) != (state, version):
                problems.append(
                    AuditProblem(
                        logged[2],
                        "state",
                        f"申报 {name}（{app_id[:8]}）表中为“{state}”（版本 {version}），"
                        f"审计日志记录为“{logged[0]}”（版本 {logged[1]}）",
                    )
                )
        for app_id, (state, _version, seq) in self.states.items():
            if app_id not in seen:
                problems.append(
                    AuditProblem(seq, "state", f"申报 {app_id[:8]}（“{state}”）已从表中删除")
                )
        made: Counter[DecisionKey] = Counter(
            (d.application_id, d.action, d.reviewer, iso_utc(d.at))
            for d in session.exec(select(DecisionRow)).all()
        )
        for key, n in (made - self.decisions).items():
            app_id, action, reviewer, at = key
            problems.append(
                AuditProblem(
                    0,
                    "decision",
                    f"决定记录（申报 {app_id[:8]}，{action}，审核人 {reviewer}，{at}）"
                    f"在审计日志中没有对应条目{'' if n == 1 else f'（{n} 条）'}",
                )
            )
        for key in self.decisions - made:
            app_id, action, reviewer, at = key
            problems.append(
                AuditProblem(
                    self.decision_seq.get(key, 0),
                    "decision",
                    f"审计日志中 {reviewer} 的决定（申报 {app_id[:8]}，{action}，{at}）"
                    "在决定表中不见了或被改动",
                )
            )
        if len(problems) > _MAX_LISTED:
            rest = len(problems) - _MAX_LISTED
            problems = problems[:_MAX_LISTED]
            problems.append(AuditProblem(0, "state", f"另有 {rest} 处不一致未逐条列出"))
        return problems
