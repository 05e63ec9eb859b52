"""Build a demo office: set it up, import generated packages through intake, spread the states."""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from zcreview.demo.attachments import AttachmentPool, DocSpec, Source
from zcreview.demo.documents import draw_document
from zcreview.demo.evidence_docs import attach_documents
from zcreview.demo.generate import DemoApplication, Generator
from zcreview.demo.people import make_id_number, make_phone
from zcreview.demo.units import make_credit_code
from zcreview.domain.model import Application
from zcreview.domain.workflow import State
from zcreview.storage import transitions
from zcreview.storage.office import add_reviewer, get_self, init_office, list_reviewers
from zcreview.storage.store import Store
from zcreview.storage.tables import ApplicationRow, utcnow

OFFICE_NAME = "威海市人力资源和社会保障局"
OFFICE_TYPE = "人社局"
OFFICE_LEVEL = "市直"
OFFICE_REGION = "山东省威海市"
# Named, full-time reviewers (实名制审核人员, 004 §4 提示1): (name, sex, birth).
REVIEWERS: tuple[tuple[str, str, date], ...] = (
    ("于海涛", "男", date(1979, 3, 14)),
    ("丛丽娟", "女", date(1984, 10, 2)),
    ("毕建国", "男", date(1972, 6, 21)),
)

# Share of each state among this office's applications; the rest stay 待审核.
STATE_SHARES: dict[State, float] = {
    State.IN_REVIEW: 0.04,
    State.PASSED: 0.12,
    State.RETURNED: 0.07,
    State.RESUBMITTED: 0.05,
    State.REPORTED: 0.15,
    State.RETURNED_FROM_ABOVE: 0.03,
    State.ABANDONED: 0.03,
    State.FINISHED: 0.02,
}
# States an application reaches because something was wrong with it.
_TROUBLED = frozenset(
    {State.RETURNED, State.RESUBMITTED, State.RETURNED_FROM_ABOVE, State.ABANDONED}
)

Progress = Callable[[str, int, int], None]
"""(stage, done, total): stages are 生成, 导入, 补正, 状态."""


@dataclass(frozen=True)
class StatePlan:
    """Where one application ends up at this office."""

    app_id: str
    state: State
    holder: str | None = None
    deadline_days: int | None = None  # from today: negative means the deadline has passed


@dataclass
class DemoSummary:
    """What `build_demo_office` made."""

    office: str
    reviewers: list[str]
    count: int
    seed: int
    states: dict[str, int] = field(default_factory=dict)
    imported: dict[str, int] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    defective: int = 0
    files: int = 0
    file_bytes: int = 0
    seconds: float = 0.0
    planted: list[dict[str, str]] = field(default_factory=list)
    """Scan/form disagreements planted for the evidence checks, one per affected application."""


def setup_office(store: Store, seed: int) -> tuple[str, list[str]]:
    """This office's record and its three named reviewers (kept if they already exist)."""
    rng = random.Random(f"{seed}/office")
    with store.session() as session:
        office = get_self(session=session)
        if office is None:
            office = init_office(
                session=session,
                name=OFFICE_NAME,
                credit_code=make_credit_code(rng, "机关", "371000"),
                office_type=OFFICE_TYPE,
                office_level=OFFICE_LEVEL,
                region=OFFICE_REGION,
            )
        names = {r.name for r in list_reviewers(session=session)}
        for name, sex, born in REVIEWERS:
            if name not in names:
                add_reviewer(
                    session=session,
                    name=name,
                    id_number=make_id_number(rng, born, "男" if sex == "男" else "女", "371002"),
                    phone=make_phone(rng),
                )
        session.commit()
        reviewers = [r.name for r in list_reviewers(session=session)]
        return office.name, reviewers


def plan_states(
    demos: Sequence[tuple[str, bool, int]], seed: int, reviewers: Sequence[str]
) -> list[StatePlan]:
    """A state for each `(app_id, defective, year)`, every State present when there are nine.

    Flawed applications are the ones returned; last year's are finished one way or another.
    """
    rng = random.Random(f"{seed}/states")
    n = len(demos)
    wanted: list[State] = []
    for state, share in STATE_SHARES.items():
        wanted += [state] * max(1, round(share * n))
    wanted += [State.PENDING] * max(1, n - len(wanted))
    wanted = wanted[:n]
    troubled = [s for s in wanted if s in _TROUBLED]
    other = [s for s in wanted if s not in _TROUBLED]
    rng.shuffle(other)
    order = sorted(range(n), key=lambda i: (not demos[i][1], rng.random()))
    assigned: dict[int, State] = {}
    for i, state in zip(order, troubled, strict=False):
        assigned[i] = state
    rest = [i for i in range(n) if i not in assigned]  # `assigned` is a dict: O(1) lookups
    for i, state in zip(rest, other, strict=False):
        assigned[i] = state
    plans: list[StatePlan] = []
    latest = max((d[2] for d in demos), default=0)
    for i, (app_id, _bad, year) in enumerate(demos):
        state = assigned.get(i, State.PENDING)
        if year < latest and state in (State.PENDING, State.IN_REVIEW):
            state = State.REPORTED  # last year's cycle is closed at this office
        holder = rng.choice(reviewers) if state == State.IN_REVIEW and reviewers else None
        days = None
        if state == State.RETURNED:
            days = rng.randint(1, 7)
        elif state == State.ABANDONED:
            days = -rng.randint(1, 20)
        elif state == State.RESUBMITTED:
            days = rng.randint(0, 5)
        plans.append(StatePlan(app_id, state, holder, days))
    return plans


def plan_columns(plan: StatePlan, now: datetime, lease_minutes: int = 15) -> dict[str, object]:
    """The queue columns a plan sets besides the state: holder, lease and deadline.

    Leases and deadlines count from now, so the demo stays live whenever it is opened.
    """
    today = now.date()
    return {
        "holder": plan.holder,
        "lease_until": now + timedelta(minutes=lease_minutes) if plan.holder else None,
        "deadline": (
            today + timedelta(days=plan.deadline_days) if plan.deadline_days is not None else None
        ),
    }


DEMO_ACTOR = "演示数据"
"""The audit actor of the states the demo sets without a reviewer."""

# The workflow moves that take a freshly imported application (待审核) to a planned state.
_ROUTES: dict[State, tuple[tuple[str, State], ...]] = {
    State.PENDING: (),
    State.IN_REVIEW: (("claim", State.IN_REVIEW),),
    State.REPORTED: (
        ("claim", State.IN_REVIEW),
        ("pass", State.PASSED),
        ("report", State.REPORTED),
    ),
    State.FINISHED: (("claim", State.IN_REVIEW), ("finish", State.FINISHED)),
}


def apply_workflow_states(
    store: Store, plans: Sequence[StatePlan], *, lease_minutes: int = 15
) -> None:
    """Walk each application from 待审核 to its planned state, in one transaction.

    Only for states no reviewer at this office produces (已上报, 审核结束); every decision of the
    demo goes through the review API (`zcreview.demo.decisions`). The moves go through the
    state writer like any other, so the audit log replays to the demo's states.
    """
    now = utcnow()
    with store.session() as session:
        for p in plans:
            route = _ROUTES.get(p.state)
            if route is None:
                raise ValueError(f"演示数据不能直接设为“{p.state.value}”")
            for action, to in route:
                row = session.get(ApplicationRow, p.app_id, populate_existing=True)
                if row is None or row.state == p.state.value:
                    break
                values = plan_columns(p, now, lease_minutes) if to is p.state else {}
                transitions.move(
                    row, DEMO_ACTOR, action, to, session=session, now=now, values=values
                )
        session.commit()


# --- packages on disk ---------------------------------------------------------------------


class PackageWriter:
    """Writes packages into a folder; pool files are written once and hard-linked after.

    An office of 2,000 applicants holds about 30,000 attachment files, most of them copies of a
    few hundred scans; links keep the temporary folder at the size of the distinct files.
    """

    def __init__(self, root: Path, pool: AttachmentPool) -> None:
        self.root = root
        self.pool = pool
        self.files = 0
        self.bytes = 0
        self._shared = root / "_shared"
        self._shared.mkdir(parents=True, exist_ok=True)
        self._written: dict[Source, Path] = {}
        self._can_link = True

    def write(
        self,
        folder: str,
        app: Application,
        files: dict[str, Source],
        drawn: Mapping[str, bytes] | None = None,
    ) -> Path:
        """Write one package; `drawn` holds files already drawn elsewhere (by package path)."""
        pkg = self.root / "packages" / folder
        pkg.mkdir(parents=True, exist_ok=True)
        (pkg / "application.json").write_text(
            app.model_dump_json(indent=1, exclude_none=True), encoding="utf-8"
        )
        for rel, src in files.items():
            target = pkg / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            self._place(src, target, drawn.get(rel) if drawn else None)
        return pkg

    def _place(self, src: Source, target: Path, data: bytes | None = None) -> None:
        if data is None:
            data = self.pool.get(src)
        self.files += 1
        self.bytes += len(data)
        shared = self._written.get(src)
        if shared is None:
            shared = self._shared / f"{len(self._written):06d}.{src.ext}"
            shared.write_bytes(data)
            self._written[src] = shared
        if self._can_link:
            try:
                os.link(shared, target)
                return
            except OSError:  # a file system without hard links: copy instead
                self._can_link = False
        shutil.copyfile(shared, target)


def _folder_name(index: int, app: Application, revision: int = 1) -> str:
    return f"{index + 1:05d}-{app.basic.name}-r{revision}"


def _resubmit(demo: DemoApplication, rng: random.Random, seed: int) -> None:
    """The applicant corrects what was returned: only those items change (004 §3.6)."""
    app = demo.app
    if "summary_long" in demo.defects:
        app.work_summary = app.work_summary[:1100]
    if "rank_format" in demo.defects:
        app.basic.unit_rank = "1/3"
    if "no_chsi" in demo.defects:
        app.education.basis.chsi_code = "".join(
            rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(16)
        )
    if "ce_short" in demo.defects:
        for row in app.continuing_education:
            row.professional_hours = max(row.professional_hours, 60)
    # A corrected statement is always re-uploaded, so the revision changes in every case.
    app.work_summary += "\n（已按退回意见补正）"
    # Corrected proofs come with the corrected form (the planted disagreement stays: it was not
    # what the notice asked about).
    attach_documents(app, demo.files, seed, demo.index)


def build_demo_office(
    store: Store,
    count: int,
    seed: int,
    *,
    progress: Progress | None = None,
    with_attachments: bool = True,
    workdir: Path | None = None,
) -> DemoSummary:
    """Fill `store` with a realistic office of `count` applications, the same for a seed.

    With attachments, packages are written to a temporary folder and imported through the real
    intake (`import_paths`), so the demo exercises it; without, rows go straight into storage
    (`zcreview.demo.bulk`), fast enough for benchmark offices of 50,000.
    """
    started = time.perf_counter()
    office, reviewers = setup_office(store, seed)
    summary = DemoSummary(office=office, reviewers=reviewers, count=count, seed=seed)
    if not with_attachments:
        from zcreview.demo.bulk import bulk_insert

        bulk_insert(store, count, seed, reviewers, progress=progress, summary=summary)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="zcreview-demo-", dir=workdir))
        try:
            _import_demo(store, count, seed, reviewers, tmp, summary, progress)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    with store.session() as session:
        states = Counter(session.exec(select(ApplicationRow.state)).all())
    summary.states = {s.value: states.get(s.value, 0) for s in State}
    summary.seconds = time.perf_counter() - started
    return summary


_PARALLEL_FROM = 40
"""Applications from which the personal documents are drawn in worker processes."""


def _draw_personal(job: tuple[int, dict[str, Source]]) -> dict[str, bytes]:
    seed, files = job
    return {
        path: draw_document(src, seed)
        for path, src in files.items()
        if isinstance(src, DocSpec) and not src.shared  # shared ones: once, by the pool
    }


@contextmanager
def _personal_drawings(
    demos: Sequence[DemoApplication], seed: int
) -> Iterator[Iterator[dict[str, bytes]]]:
    """The personal documents of each application, drawn on every core when there are many.

    They are most of the demo's drawing (each applicant's certificates and forms are their own);
    the shared files stay with the pool in this process.
    """
    jobs = ((seed, d.files) for d in demos)
    workers = min(os.cpu_count() or 1, 4)
    if workers < 2 or len(demos) < _PARALLEL_FROM:
        yield (_draw_personal(job) for job in jobs)
        return
    # Spawned, not forked: the parent holds open database connections.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as ex:
        yield ex.map(_draw_personal, jobs, chunksize=4)


def _import_demo(
    store: Store,
    count: int,
    seed: int,
    reviewers: list[str],
    tmp: Path,
    summary: DemoSummary,
    progress: Progress | None,
) -> None:
    from zcreview.intake.importer import ImportEvent, import_paths

    gen = Generator(count, seed)
    pool = AttachmentPool(seed)
    writer = PackageWriter(tmp, pool)
    demos = [gen.build(i) for i in range(count)]
    with _personal_drawings(demos, seed) as drawings:
        for i, (demo, drawn) in enumerate(zip(demos, drawings, strict=True)):
            writer.write(_folder_name(i, demo.app), demo.app, demo.files, drawn)
            if progress is not None:
                progress("生成", i + 1, count)
    summary.defective = sum(1 for d in demos if d.defects)
    summary.planted = [
        {"application_id": str(d.app.application_id), "name": d.app.basic.name, **asdict(p)}
        for d in demos
        for p in d.planted
    ]

    def on_import(stage: str) -> Callable[[ImportEvent], None]:
        def report(ev: ImportEvent) -> None:
            if progress is not None and ev.result is not None:
                progress(stage, ev.index, ev.total)

        return report

    report = import_paths([tmp / "packages"], store, progress=on_import("导入"))
    outcomes: Counter[str] = Counter(report.counts)
    summary.refused = [f"{r.path.name}: {'; '.join(map(str, r.problems))}" for r in report.refused]

    plans = plan_states(
        [(str(d.app.application_id), bool(d.defects), d.app.basic.year) for d in demos],
        seed,
        reviewers,
    )
    by_id = {str(d.app.application_id): (i, d) for i, d in enumerate(demos)}
    # Returned first, then the corrected package arrives: intake moves it to 已补正 itself.
    resubmit = [p for p in plans if p.state == State.RESUBMITTED]
    # Decisions go through the review API, so returns carry real notices and audit entries.
    from zcreview.configfiles import load_config
    from zcreview.demo.decisions import decide

    config = load_config()
    decide(
        store,
        [StatePlan(p.app_id, State.RETURNED, None, p.deadline_days or 3) for p in resubmit],
        reviewers,
        config,
    )
    shutil.rmtree(tmp / "packages", ignore_errors=True)
    rng = random.Random(f"{seed}/resubmit")
    for p in resubmit:
        i, demo = by_id[p.app_id]
        _resubmit(demo, rng, seed)
        writer.write(_folder_name(i, demo.app, 2), demo.app, demo.files)
    if resubmit:
        second = import_paths([tmp / "packages"], store, progress=on_import("补正"))
        outcomes.update(second.counts)
        summary.refused += [f"{r.path.name}: {r.problems}" for r in second.refused]
    if progress is not None:
        progress("状态", 0, 1)
    rest = decide(store, [p for p in plans if p.state != State.RESUBMITTED], reviewers, config)
    apply_workflow_states(store, rest)
    if progress is not None:
        progress("状态", 1, 1)
    summary.imported = dict(outcomes)
    summary.files = writer.files
    summary.file_bytes = writer.bytes
