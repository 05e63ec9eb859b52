"""Demo workflow states reached through the real review API, so returns carry real notices."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from zcreview.demo.office import StatePlan, apply_workflow_states
from zcreview.desk.desk import ReviewDesk
from zcreview.domain.catalogue import Config
from zcreview.domain.checks import Severity, run_all
from zcreview.domain.corrections import CorrectionItem, policy_from_config
from zcreview.domain.model import Application
from zcreview.domain.paths import label_for_path
from zcreview.domain.workflow import State
from zcreview.storage.applications import load_revision
from zcreview.storage.decisions import record_return_from_above
from zcreview.storage.store import Store
from zcreview.storage.tables import utcnow

# States a reviewer's decision produces here; the rest (已上报, 审核结束) come from other offices.
_DECIDED = {State.IN_REVIEW, State.PASSED, State.RETURNED, State.ABANDONED}
_FALLBACK_REASON = ("other", "材料需补充完善")


def correction_items(app: Application, config: Config, limit: int = 4) -> list[CorrectionItem]:
    """The one-shot list a reviewer would send: failing pre-checks, each with a template."""
    items: list[CorrectionItem] = []
    seen: set[str] = set()
    for result in run_all(app, config):
        if result.severity is not Severity.FAIL:
            continue
        path = result.field_paths[0] if result.field_paths else ""
        if path in seen:
            continue
        seen.add(path)
        templates = config.reasons_for_check(result.check_id)
        reason_id, reason = (templates[0].id, templates[0].text) if templates else _FALLBACK_REASON
        label = label_for_path(path) if path else "申报材料"
        items.append(CorrectionItem(path, label, reason_id, reason, result.message))
        if len(items) >= limit:
            break
    if not items:
        items.append(
            CorrectionItem("other_attachments", "其他附件", *_FALLBACK_REASON, "请补充相关证明")
        )
    return items


def decide(
    store: Store,
    plans: Sequence[StatePlan],
    reviewers: Sequence[str],
    config: Config,
    *,
    now: datetime | None = None,
) -> list[StatePlan]:
    """Claim, pass, return or expire through ReviewDesk; returns the plans it did not handle.

    Returns and expiries are decided on a clock set back a few weeks, so the notices and audit
    entries read like a real cycle. Plans for states no reviewer here produces come back to the
    caller, which sets them directly.
    """
    now = now or utcnow()
    policy = policy_from_config(config)
    desks = {name: ReviewDesk(store.engine, name, policy, clock=lambda: now) for name in reviewers}
    earlier = {
        name: ReviewDesk(store.engine, name, policy, clock=lambda: now - timedelta(days=30))
        for name in reviewers
    }
    rest: list[StatePlan] = []
    for i, plan in enumerate(plans):
        name = plan.holder or reviewers[i % len(reviewers)]
        if plan.state not in _DECIDED and plan.state is not State.RETURNED_FROM_ABOVE:
            rest.append(plan)
            continue
        if plan.state is State.RETURNED_FROM_ABOVE:
            _return_from_above(store, plan, config, now)
            continue
        desk = earlier[name] if plan.state is State.ABANDONED else desks[name]
        claim = desk.claim(plan.app_id)
        if plan.state is State.IN_REVIEW:
            continue
        version = getattr(claim, "version", None)
        assert version is not None, claim
        if plan.state is State.PASSED:
            desk.pass_application(plan.app_id, version)
            continue
        with store.session() as s:
            app = load_revision(plan.app_id, session=s)
        days = plan.deadline_days if plan.state is State.RETURNED else 10
        deadline = desk.today() + timedelta(days=max(1, days or 3))
        desk.return_application(plan.app_id, correction_items(app, config), version, deadline)
    if any(p.state is State.ABANDONED for p in plans):
        desks[reviewers[0]].expire_overdue()
    return rest


def _return_from_above(store: Store, plan: StatePlan, config: Config, now: datetime) -> None:
    """An upper office returned a reported application: record its notice as sync would."""
    apply_workflow_states(store, [StatePlan(plan.app_id, State.REPORTED, None, None)])
    with store.session() as s:
        app = load_revision(plan.app_id, session=s)
        record_return_from_above(
            plan.app_id,
            "威海市人力资源和社会保障局",
            "上级审核人员",
            correction_items(app, config, limit=2),
            (now + timedelta(days=7)).date(),
            session=s,
            now=now,
        )
        s.commit()
