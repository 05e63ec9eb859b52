"""Result, registry and run context shared by every pre-check (domain.md §6)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from zcreview.domain.model import Application, AttachmentRef
from zcreview.domain.recognised import Evidence

if TYPE_CHECKING:
    from zcreview.domain.catalogue import Config
    from zcreview.domain.checks.prepared import Prepared


class Severity(StrEnum):
    """How a check came out. UNKNOWN means the data needed to decide is missing."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    UNKNOWN = "unknown"

    @property
    def symbol(self) -> str:
        """The mark shown to the reviewer; UNKNOWN is shown as a warning."""
        return _SYMBOLS[self]


_SYMBOLS = {
    Severity.OK: "✓",
    Severity.WARN: "⚠",
    Severity.FAIL: "✗",
    Severity.UNKNOWN: "⚠",
}

UNKNOWN_PREFIX = "无法判断："


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One finding of one check, tied to the fields it is about.

    `field_paths` use the paths of `zcreview.domain.model.iter_attachments`
    (`basic.work_start`, `work_history[2].start`, `achievements[4].attachments[0]`).
    """

    check_id: str
    severity: Severity
    message: str
    seed: str
    field_paths: tuple[str, ...] = ()

    @property
    def symbol(self) -> str:
        return self.severity.symbol


@dataclass(frozen=True, slots=True)
class PeerInfo:
    """Another application of the same ID number (for ELIG-EXCL and CHANGE-SERIES)."""

    application_kind: str
    year: int
    level: str | None = None
    series: str | None = None


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What a check may look at: the application, the configuration (raw and prepared), the date."""

    app: Application
    config: Config
    prep: Prepared
    today: date
    peers: tuple[PeerInfo, ...] = ()
    attachments: tuple[tuple[str, AttachmentRef], ...] = ()
    """`iter_attachments(app)`, walked once per run."""
    edu_groups: tuple[str, ...] = ()
    """Education groups of the 评审依据学历, best first (see `common.education_groups`)."""
    memo: dict[str, Any] = field(default_factory=dict)
    """Work several checks share, done once per run (the attachment scan)."""
    evidence: Evidence = field(default_factory=dict)
    """Recognised pages by attachment SHA-256 (the EVID-* checks read them); empty = none read."""

    @property
    def year(self) -> int:
        return self.app.basic.year

    @property
    def year_end(self) -> date:
        """31 December of the application year, the cut-off of several seed rules."""
        return date(self.app.basic.year, 12, 31)

    @property
    def reference_date(self) -> date:
        """The day "至今" means: the submission date, else today, never past the year's end."""
        ref = self.app.basic.submitted_on or self.today
        return min(ref, self.year_end)


def _result_factory() -> Callable[[str, Severity, str, str, tuple[str, ...]], CheckResult]:
    """A constructor of `CheckResult` that skips the frozen dataclass's `__setattr__` detour.

    Results are made some fifty times per application; filling the slots directly halves the
    cost and keeps the class frozen for everyone else.
    """
    new = object.__new__
    # The slot descriptors, fetched by name: mypy sees the dataclass fields, not the slots.
    set_id, set_sev, set_msg, set_seed, set_paths = (
        vars(CheckResult)[name].__set__
        for name in ("check_id", "severity", "message", "seed", "field_paths")
    )

    def make(
        check_id: str, severity: Severity, message: str, seed: str, paths: tuple[str, ...]
    ) -> CheckResult:
        result: CheckResult = new(CheckResult)
        set_id(result, check_id)
        set_sev(result, severity)
        set_msg(result, message)
        set_seed(result, seed)
        set_paths(result, paths)
        return result

    return make


_make_result = _result_factory()


_MAX_REMEMBERED = 4096
"""Results a reporter keeps per severity before it starts afresh (bounds the memory)."""

_Remembered = dict[tuple[str, tuple[str, ...]], CheckResult]


class Reporter:
    """Builds the results of one check with its id and seed filled in.

    Results are frozen, so an equal result can be handed out again: most messages (the OK ones
    above all) recur from one application to the next, and a dictionary hit is cheaper than
    building the object. Each severity has its own dictionary, keyed by (message, paths).
    """

    __slots__ = ("_fail", "_ok", "_unknown", "_warn", "check_id", "seed")

    def __init__(self, check_id: str, seed: str) -> None:
        self.check_id = check_id
        self.seed = seed
        self._ok: _Remembered = {}
        self._warn: _Remembered = {}
        self._fail: _Remembered = {}
        self._unknown: _Remembered = {}

    def _remember(
        self, made: _Remembered, severity: Severity, message: str, paths: tuple[str, ...]
    ) -> CheckResult:
        if len(made) >= _MAX_REMEMBERED:
            made.clear()
        result = made[message, paths] = _make_result(
            self.check_id, severity, message, self.seed, paths
        )
        return result

    # Each method looks up its dictionary inline: the hit is the common case and a call less
    # is a good part of its cost.
    def ok(self, message: str, *paths: str) -> CheckResult:
        hit = self._ok.get((message, paths))
        return hit if hit is not None else self._remember(self._ok, Severity.OK, message, paths)

    def warn(self, message: str, *paths: str) -> CheckResult:
        hit = self._warn.get((message, paths))
        if hit is not None:
            return hit
        return self._remember(self._warn, Severity.WARN, message, paths)

    def fail(self, message: str, *paths: str) -> CheckResult:
        hit = self._fail.get((message, paths))
        if hit is not None:
            return hit
        return self._remember(self._fail, Severity.FAIL, message, paths)

    def unknown(self, message: str, *paths: str) -> CheckResult:
        hit = self._unknown.get((message, paths))
        if hit is not None:
            return hit
        return self._remember(self._unknown, Severity.UNKNOWN, UNKNOWN_PREFIX + message, paths)


CheckFn = Callable[[CheckContext, Reporter], Iterable[CheckResult]]


@dataclass(frozen=True, slots=True)
class Check:
    """A registered pre-check. `fn` yields nothing when the check does not apply."""

    id: str
    title: str
    seed: str
    fn: CheckFn = field(repr=False)
    reporter: Reporter = field(repr=False, compare=False)

    def run(self, ctx: CheckContext) -> list[CheckResult]:
        return list(self.fn(ctx, self.reporter))


REGISTRY: dict[str, Check] = {}
"""Every check of the form by id, in registration order (platform order of the sections)."""

EVIDENCE_REGISTRY: dict[str, Check] = {}
"""The EVID-* checks, which compare the form with the recognised text of its attachments.

Kept apart from `REGISTRY` so a run without recognised pages does not even visit them (the
queue runs the form checks on every application) and so domain.md §6 stays the list of the
form checks.
"""


def check(
    check_id: str, title: str, seed: str, *, registry: dict[str, Check] | None = None
) -> Callable[[CheckFn], CheckFn]:
    """Register `fn` as the check `check_id`; it receives the context and a `Reporter`."""
    into = REGISTRY if registry is None else registry

    def register(fn: CheckFn) -> CheckFn:
        if check_id in REGISTRY or check_id in EVIDENCE_REGISTRY:
            raise ValueError(f"check {check_id} registered twice")
        into[check_id] = Check(check_id, title, seed, fn, Reporter(check_id, seed))
        return fn

    return register


_SEVERITY_OF = attrgetter("severity")


def counts(results: Sequence[CheckResult]) -> tuple[int, int, int]:
    """(ok, warn, fail) over `results`; UNKNOWN counts as a warning."""
    # Counted in C: this runs once per application in the queue and the benchmark.
    by_severity = Counter(map(_SEVERITY_OF, results))
    ok, fail = by_severity[Severity.OK], by_severity[Severity.FAIL]
    return ok, len(results) - ok - fail, fail
