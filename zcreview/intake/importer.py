"""Import packages into the office store: one transaction per package, bad ones refused alone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from zcreview.domain.model import Application, iter_attachments
from zcreview.intake.package import Package
from zcreview.intake.package_limits import DEFAULT_LIMITS, Limits
from zcreview.intake.package_reader import find_packages, open_package
from zcreview.intake.problems import WHOLE_FILE, PackageError, Problem, safe_text
from zcreview.intake.validate import validate_package
from zcreview.storage.applications import known_package_digests, record_revision
from zcreview.storage.blob_notes import record_blob_note
from zcreview.storage.tables import BlobRow

if TYPE_CHECKING:
    from zcreview.domain.catalogue import Config
    from zcreview.storage.store import Store

Outcome = Literal["new", "revision", "unchanged", "refused"]
OUTCOMES: tuple[Outcome, ...] = ("new", "revision", "unchanged", "refused")
OUTCOME_LABELS: dict[Outcome, str] = {
    "new": "新增",
    "revision": "新版本",
    "unchanged": "未变",
    "refused": "拒收",
}


@dataclass
class PackageResult:
    """What became of one package."""

    path: Path
    outcome: Outcome
    application_id: str | None = None
    revision: str | None = None
    """SHA-256 of the canonical application JSON (the revision key)."""
    number: int | None = None
    """Revision number of the application (1, 2 …); None when unchanged by package digest."""
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportEvent:
    """Progress: `result` is None when package `index` (1-based) of `total` starts."""

    index: int
    total: int
    path: Path
    result: PackageResult | None = None


@dataclass
class ImportReport:
    """Every package's result, in the order they were found."""

    results: list[PackageResult] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def counts(self) -> dict[Outcome, int]:
        c = Counter(r.outcome for r in self.results)
        return {o: c.get(o, 0) for o in OUTCOMES}

    @property
    def refused(self) -> list[PackageResult]:
        return [r for r in self.results if r.outcome == "refused"]

    @property
    def ok(self) -> bool:
        """True when nothing was refused."""
        return not self.refused

    def summary(self) -> str:
        """`新增 N, 新版本 N, 未变 N, 拒收 N`."""
        return ", ".join(f"{OUTCOME_LABELS[o]} {n}" for o, n in self.counts.items())


Progress = Callable[[ImportEvent], None]


@dataclass
class _Run:
    """What one run loads once and keeps up to date as packages land."""

    store: Store
    config: Config | None
    limits: Limits
    known: dict[str, tuple[str, str]]
    blobs: set[str]


def import_paths(
    paths: Iterable[Path],
    store: Store,
    *,
    progress: Progress | None = None,
    config: Config | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ImportReport:
    """Import every package found under `paths` into `store`.

    A package already imported byte for byte (same package digest) is `unchanged` and nothing
    is written. Otherwise it is validated; if valid its attachments go into the blob store and
    its revision is recorded in one transaction of its own, so a bad package never spoils the
    others. Never raises for bad input: every problem is a `refused` result.

    `config` defaults to `zcreview.configfiles.load_config()`; it may raise ConfigError when
    the user's configuration files are broken.
    """
    run = _Run(
        store=store,
        config=config if config is not None else _load_config(),
        limits=limits,
        known={},
        blobs=set(),
    )
    with store.session() as session:
        run.known = known_package_digests(session=session)
        run.blobs = set(session.exec(select(BlobRow.sha256)).all())
    found = find_packages(paths)
    report = ImportReport()
    for index, path in enumerate(found, start=1):
        if progress is not None:
            progress(ImportEvent(index, len(found), path))
        result = import_one(path, run)
        report.results.append(result)
        if progress is not None:
            progress(ImportEvent(index, len(found), path, result))
    return report


def import_one(path: Path, run: _Run) -> PackageResult:
    """Import one package; every failure becomes a refused result, never an exception."""
    try:
        with open_package(path, run.limits, home=run.store.home) as pkg:
            return _import_package(pkg, run)
    except PackageError as exc:
        return PackageResult(path, "refused", problems=exc.problems)
    except Exception as exc:  # a bug or a database failure must not stop the other packages
        message = f"导入失败（程序或数据库故障，请联系管理员）：{safe_text(str(exc), 200)}"
        shown = safe_text(path.name or str(path))
        return PackageResult(path, "refused", problems=[Problem(shown, WHOLE_FILE, message)])


def _import_package(pkg: Package, run: _Run) -> PackageResult:
    seen = run.known.get(pkg.digest)
    if seen is not None:
        app_id, rev = seen
        return PackageResult(pkg.source, "unchanged", application_id=app_id, revision=rev)
    checked = validate_package(pkg, run.config)
    if checked.app is None or checked.problems:
        return PackageResult(
            pkg.source, "refused", problems=checked.problems, warnings=checked.warnings
        )
    app = checked.app
    # Blobs first: content addressing makes an orphan harmless if the transaction then fails.
    stored: dict[str, tuple[int, str]] = {}
    for _path, ref in iter_attachments(app):
        digest, size, mime = ref.sha256, ref.size, ref.mime
        assert digest is not None and size is not None and mime is not None  # set by validation
        if digest not in stored:
            run.store.blobs.put_file(pkg.files[ref.file].path, digest)
            stored[digest] = (size, mime)
    try:
        outcome = _record(pkg, app, stored, checked.file_notes, run)
    except IntegrityError:
        # Another importer on the same database recorded the same blob or revision meanwhile.
        outcome = _record(pkg, app, stored, checked.file_notes, run)
    run.known[pkg.digest] = (outcome.application_id, outcome.revision)
    run.blobs.update(stored)
    return PackageResult(
        pkg.source,
        outcome.outcome,
        application_id=outcome.application_id,
        revision=outcome.revision,
        number=outcome.number,
        warnings=checked.warnings,
    )


@dataclass(frozen=True)
class _Recorded:
    outcome: Outcome
    application_id: str
    revision: str
    number: int


def _record(
    pkg: Package,
    app: Application,
    stored: dict[str, tuple[int, str]],
    notes: dict[str, str],
    run: _Run,
) -> _Recorded:
    with run.store.session() as session:
        # Notes first: the recording step counts a noted file as a ⚠ on its attachment.
        for digest, note in notes.items():
            record_blob_note(digest, note, session=session)
        rec = record_revision(
            app,
            session=session,
            source=str(pkg.source),
            package_digest=pkg.digest,
            config=run.config,
        )
        for digest, (size, mime) in stored.items():
            if digest not in run.blobs and session.get(BlobRow, digest) is None:
                session.add(BlobRow(sha256=digest, size=size, mime=mime))
        session.commit()
    return _Recorded(rec.outcome, rec.application_id, rec.revision, rec.number)


def _load_config() -> Config | None:
    """The office configuration, or None while the catalogue module is not installed."""
    try:
        from zcreview.configfiles import load_config
    except ModuleNotFoundError:
        return None
    return load_config()
