"""Pre-checks of domain.md §6 as pure functions: `run_all(app, config)` gives every finding.

A check that does not apply to an application (ENTRUST when not entrusted, DRUG-* outside
药品技术, ASSESS-YEARS when no configured rule matches …) yields no result at all, so `counts`
reflects only checks that were really made. A check that applies yields one OK result when all
is well, else one result per finding (each tied to its fields); findings it cannot decide for
lack of data are UNKNOWN ("无法判断：…"), shown and counted as warnings.

The EVID-* checks (`evidence_person`, `evidence_career`, `evidence_achievements`) compare the form with the recognised text of its attachments,
given as `evidence=`; an attachment whose pages are not read yet gives no evidence result, so
the counts change once its pages are read instead of showing a ✓ nobody has earned.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from importlib import import_module
from types import MappingProxyType

from zcreview.domain.catalogue import Config
from zcreview.domain.checks.base import (
    EVIDENCE_REGISTRY,
    REGISTRY,
    UNKNOWN_PREFIX,
    Check,
    CheckContext,
    CheckResult,
    PeerInfo,
    Reporter,
    Severity,
    counts,
)
from zcreview.domain.checks.prepared import prepare
from zcreview.domain.model import Application, iter_attachments
from zcreview.domain.recognised import Evidence

# Importing a group module registers its checks; this order is the platform order of sections.
GROUPS = (
    "identity",
    "eligibility",
    "basic",
    "education",
    "titles",
    "assessments",
    "continuing_education",
    "work",
    "achievements",
    "attachments",
    "special",
    "evidence_person",
    "evidence_career",
    "evidence_achievements",
)
for _group in GROUPS:
    import_module(f"{__name__}.{_group}")

__all__ = [
    "EVIDENCE_REGISTRY",
    "REGISTRY",
    "UNKNOWN_PREFIX",
    "Check",
    "CheckContext",
    "CheckResult",
    "PeerInfo",
    "Reporter",
    "Severity",
    "all_checks",
    "counts",
    "make_context",
    "run_all",
    "run_check",
]


_NO_EVIDENCE: Evidence = MappingProxyType({})
"""Shared by every run without recognised pages (no dictionary made per application)."""


def all_checks() -> list[Check]:
    """Every registered check, in platform order of the sections, then the evidence checks."""
    return [*REGISTRY.values(), *EVIDENCE_REGISTRY.values()]


def make_context(
    app: Application,
    config: Config,
    *,
    today: date | None = None,
    peers: Sequence[PeerInfo] = (),
    evidence: Evidence | None = None,
) -> CheckContext:
    """The context the checks of one application share (attachments walked once)."""
    prep = prepare(config)
    return CheckContext(
        app=app,
        config=config,
        prep=prep,
        today=today or date.today(),
        peers=tuple(peers),
        attachments=tuple(iter_attachments(app)),
        edu_groups=prep.education_groups(config, app.education.basis),
        evidence=evidence or _NO_EVIDENCE,
    )


def _crashed(c: Check, exc: Exception) -> CheckResult:
    return c.reporter.unknown(f"检查程序出错（{type(exc).__name__}: {exc}）")


def _guarded(c: Check, ctx: CheckContext) -> list[CheckResult]:
    try:
        return c.run(ctx)
    except Exception as exc:  # a check must never take the review screen down
        return [_crashed(c, exc)]


def run_check(
    check_id: str,
    app: Application,
    config: Config,
    *,
    today: date | None = None,
    peers: Sequence[PeerInfo] = (),
    evidence: Evidence | None = None,
) -> list[CheckResult]:
    """Results of one check; empty when it does not apply.

    Raises:
        KeyError: no check has this id.
    """
    c = REGISTRY.get(check_id) or EVIDENCE_REGISTRY[check_id]
    return _guarded(c, make_context(app, config, today=today, peers=peers, evidence=evidence))


def run_all(
    app: Application,
    config: Config,
    *,
    today: date | None = None,
    peers: Sequence[PeerInfo] = (),
    evidence: Evidence | None = None,
) -> list[CheckResult]:
    """Every check on `app`, in registry order, then the evidence checks.

    `today` stands for the current date (tests and replays pass it); `peers` are the other
    applications of the same ID number (ELIG-EXCL, CHANGE-SERIES); `evidence` the recognised
    pages of its attachments by SHA-256. A check that raises gives an UNKNOWN result naming the
    error instead of stopping the others.
    """
    ctx = make_context(app, config, today=today, peers=peers, evidence=evidence)
    results: list[CheckResult] = []
    extend = results.extend
    for c in REGISTRY.values():
        # Inlined `_guarded`: this loop runs 45 times per application.
        try:
            extend(c.fn(ctx, c.reporter))
        except Exception as exc:
            results.append(_crashed(c, exc))
    if evidence:
        for c in EVIDENCE_REGISTRY.values():
            results.extend(_guarded(c, ctx))
    return results
