"""`zcreview check PATH…`: every pre-check on application packages, without importing them.

A unit can let an applicant check a package before it is submitted: packages are read and
validated as `zcreview import` would (same reader, same refusals), then every check runs on them;
no office, database or blob store is touched. Packages given together are each other's peers
(same ID number), so ELIG-EXCL and CHANGE-SERIES see them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from zcreview.domain.model import iter_attachments
from zcreview.errors import UserError
from zcreview.intake.package_reader import find_packages, open_package
from zcreview.intake.problems import PackageError, Problem, safe_text
from zcreview.intake.validate import validate_package

if TYPE_CHECKING:
    from zcreview.domain.catalogue import Config
    from zcreview.domain.checks import CheckResult
    from zcreview.domain.model import Application
    from zcreview.domain.recognised import Evidence
    from zcreview.intake.package import Package
    from zcreview.preview.runner import Runner

EXIT_CLEAN, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2
RATE_FROM = 10
"""Packages from which the rate is reported on stderr."""


@dataclass
class PackageCheck:
    """One package: refused with intake's problems, or its application and check results."""

    path: Path
    app: Application | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    results: list[CheckResult] = field(default_factory=list)
    evidence: Evidence = field(default_factory=dict)
    """Recognised pages of its attachments (`--ocr`), by SHA-256."""

    @property
    def refused(self) -> bool:
        return self.app is None or bool(self.problems)

    @property
    def refusal(self) -> str | None:
        """Intake's message for a refused package, problems joined; None when accepted."""
        if not self.refused:
            return None
        return "；".join(str(p) for p in self.problems) or "无法读取申报包"

    @property
    def failed(self) -> bool:
        return any(r.severity.value == "fail" for r in self.results)


def read_package(
    path: Path, config: Config | None, year: int | None, reader: Runner | None = None
) -> PackageCheck:
    """Open and validate one package as intake does; never raises for bad input. With a
    `reader`, its attachments are recognised too (while the package is open)."""
    evidence: Evidence = {}
    try:
        with open_package(path) as pkg:
            checked = validate_package(pkg, config)
            if reader is not None and checked.app is not None and not checked.problems:
                evidence = read_evidence(pkg, checked.app, reader)
    except PackageError as exc:
        return PackageCheck(path, problems=exc.problems)
    except Exception as exc:  # a bug must not stop the other packages
        message = f"读取失败：{type(exc).__name__}: {safe_text(str(exc), 200)}"
        return PackageCheck(path, problems=[Problem("", "", message)])
    app = checked.app
    if app is not None and year is not None and not checked.problems:
        app.basic = app.basic.model_copy(update={"year": year})
    return PackageCheck(path, app, checked.problems, checked.warnings, evidence=evidence)


def read_evidence(pkg: Package, app: Application, reader: Runner) -> Evidence:
    """Every page of every attachment, recognised (text layer where reliable, else OCR) in the
    bounded decoder workers. An attachment that cannot be read gives no evidence, so no EVID
    result: never a ✓ on an unread page."""
    from zcreview.domain.recognised import PageText, TextLine
    from zcreview.preview.failure import PreviewError

    evidence: dict[str, list[PageText]] = {}
    for _path, ref in iter_attachments(app):
        pf = pkg.files.get(ref.file)
        if not ref.sha256 or ref.sha256 in evidence or pf is None:
            continue
        source = pf.path.read_bytes
        try:
            info = reader.open(ref.sha256, ref.name, source)
            pages = []
            for page in range(info.page_count):
                got = reader.recognise(ref.sha256, ref.name, source, page)
                lines = tuple(TextLine(text, conf, box) for text, conf, box in got.lines)
                pages.append(PageText(ref.sha256, page, got.engine, got.source, lines))
        except PreviewError:
            continue
        evidence[ref.sha256] = pages
    return evidence


def check_paths(
    paths: Sequence[Path],
    config: Config,
    *,
    year: int | None = None,
    today: date | None = None,
    ocr: bool = False,
) -> list[PackageCheck]:
    """Read every package under `paths`, then run every check with the others as peers (and,
    with `ocr`, the EVID checks against what the attachments say)."""
    from zcreview.domain.checks import PeerInfo, run_all

    reader: Runner | None = None
    if ocr:
        from zcreview.preview.worker import OCR_TIMEOUT, ProcessRunner

        reader = ProcessRunner(workers=1, timeout=OCR_TIMEOUT)
    try:
        found = [read_package(p, config, year, reader) for p in find_packages(paths)]
    finally:
        if reader is not None:
            reader.close()
    by_id: dict[str, list[Application]] = {}
    for pc in found:
        if not pc.refused and pc.app is not None:
            by_id.setdefault(pc.app.basic.id_number.strip().upper(), []).append(pc.app)
    for pc in found:
        app = pc.app
        if pc.refused or app is None:
            continue
        peers = [
            PeerInfo(o.basic.application_kind, o.basic.year, o.basic.level, o.basic.series)
            for o in by_id[app.basic.id_number.strip().upper()]
            # Another revision of the same application is not another application.
            if o.application_id != app.application_id
        ]
        pc.results = run_all(app, config, today=today, peers=peers, evidence=pc.evidence)
    return found


def exit_status(checked: Sequence[PackageCheck]) -> int:
    """2 when a package was refused, else 1 when any check failed, else 0."""
    if any(pc.refused for pc in checked):
        return EXIT_REFUSED
    return EXIT_FAILED if any(pc.failed for pc in checked) else EXIT_CLEAN


def json_line(pc: PackageCheck) -> str:
    """One package as one JSON object on one line."""
    app = pc.app
    return json.dumps(
        {
            "package": str(pc.path),
            "application_id": str(app.application_id) if app is not None else None,
            "refused": pc.refusal,
            "results": [
                {
                    "id": r.check_id,
                    "severity": r.severity.value,
                    "message": r.message,
                    "fields": list(r.field_paths),
                    "seed": r.seed,
                }
                for r in pc.results
            ],
        },
        ensure_ascii=False,
    )


def write_text(pc: PackageCheck, out: TextIO) -> None:
    """The ✗ and ⚠ results of one package with fields and seeds, then its counts."""
    from zcreview.domain.checks import Severity, counts

    where = safe_text(str(pc.path), 200)
    if pc.refused:
        out.write(f"拒收 {where}\n")
        for p in pc.problems or [Problem("", "", "无法读取申报包")]:
            field_ = f"{safe_text(p.field, 120)}: " if p.field else ""
            out.write(f"  {safe_text(p.file or '-', 120)}  {field_}{safe_text(p.message, 400)}\n")
        return
    app = pc.app
    assert app is not None
    b = app.basic
    who = safe_text(f"{b.name} {b.year}年度 {b.series}{b.level} {b.title}", 120)
    out.write(f"申报包 {where}  {who}\n")
    for w in pc.warnings:
        out.write(f"  提示 {safe_text(w, 400)}\n")
    shown = sorted(
        (r for r in pc.results if r.severity is not Severity.OK),
        key=lambda r: r.severity is not Severity.FAIL,  # ✗ first, each kind in check order
    )
    for r in shown:
        fields = "、".join(r.field_paths) or "-"
        text = safe_text(r.message, 600)
        out.write(f"  {r.symbol} {r.check_id}  {safe_text(fields, 200)}  {text}（{r.seed}）\n")
    ok, warn, fail = counts(pc.results)
    out.write(f"  ✓ {ok}  ⚠ {warn}  ✗ {fail}\n")


def summary(checked: Sequence[PackageCheck]) -> str:
    """`共 N 个申报包：无✗ a，有✗ b，拒收 c`."""
    refused = sum(pc.refused for pc in checked)
    failed = sum(not pc.refused and pc.failed for pc in checked)
    clean = len(checked) - refused - failed
    return f"共 {len(checked)} 个申报包：无✗ {clean}，有✗ {failed}，拒收 {refused}"


def _config() -> Config:
    from zcreview.configfiles import ConfigError, load_config

    try:
        return load_config()
    except ConfigError as exc:
        raise UserError(f"配置文件有误，无法检查：{exc}") from exc


def cmd_check(args: argparse.Namespace) -> int:
    """Check `args.paths`; exit 0 (no ✗), 1 (a ✗), 2 (a package refused)."""
    if args.year is not None and not 2000 <= args.year <= 2100:
        raise UserError(f"--year 应为 2000—2100 之间的年度：{args.year}")
    config = _config()
    started = time.perf_counter()
    checked = check_paths(
        args.paths, config, year=args.year, today=args.today, ocr=getattr(args, "ocr", False)
    )
    seconds = time.perf_counter() - started
    out = sys.stdout
    for pc in checked:
        if args.json:
            out.write(json_line(pc) + "\n")
        else:
            write_text(pc, out)
    if not args.json:
        out.write(summary(checked) + "\n")
    out.flush()
    if len(checked) >= RATE_FROM:
        rate = len(checked) / seconds if seconds > 0 else float("inf")
        print(
            f"检查 {len(checked)} 个申报包，用时 {seconds:.2f} 秒，每秒 {rate:.0f} 个",
            file=sys.stderr,
        )
    return exit_status(checked)
