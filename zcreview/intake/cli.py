"""`zcreview import PATH…`: import packages with progress, report refusals, exit 1 if any."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from zcreview.context import open_context
from zcreview.errors import UserError
from zcreview.intake.importer import (
    OUTCOME_LABELS,
    ImportEvent,
    ImportReport,
    Progress,
    import_paths,
)
from zcreview.intake.problems import safe_text

if TYPE_CHECKING:
    from zcreview.domain.catalogue import Config


def cmd_import(args: argparse.Namespace) -> int:
    """Import `args.paths` into the office; 0 when nothing was refused, 1 otherwise."""
    quiet = bool(getattr(args, "quiet", False))
    ctx = open_context(args)
    try:
        config = _config()
        with _progress(sys.stderr, quiet) as progress:
            report = import_paths(args.paths, ctx.store, progress=progress, config=config)
    except _ConfigProblem as exc:
        raise UserError(str(exc)) from exc
    finally:
        ctx.store.dispose()
    print_report(report, sys.stdout, warnings=not quiet)
    return 0 if report.ok else 1


class _ConfigProblem(Exception):
    """The user's configuration files are broken; nothing can be validated against them."""


def _config() -> Config | None:
    try:
        from zcreview.configfiles import ConfigError, load_config
    except ModuleNotFoundError:
        return None
    try:
        return load_config()
    except ConfigError as exc:
        raise _ConfigProblem(f"配置文件有误，无法导入：{exc}") from exc


def print_report(report: ImportReport, out: TextIO, *, warnings: bool = True) -> None:
    """Refused packages with file, field and problem; warnings; then the summary line.

    Everything a package supplied (paths, names, values) is printed through `safe_text`:
    it never reaches the terminal as escapes.
    """
    for r in report.results:
        if r.outcome == "refused":
            out.write(f"拒收 {safe_text(str(r.path), 200)}\n")
            for p in r.problems:
                file = p.file or "-"
                field = f"{p.field}: " if p.field else ""
                out.write(f"  {file}  {field}{p.message}\n")
        if warnings and r.warnings:
            out.write(f"提示 {safe_text(str(r.path), 200)}\n")
            for w in r.warnings:
                out.write(f"  {w}\n")
    out.write(report.summary() + "\n")
    out.flush()


def _event_line(event: ImportEvent) -> str:
    assert event.result is not None
    r = event.result
    label = OUTCOME_LABELS[r.outcome]
    return f"[{event.index}/{event.total}] {label} {safe_text(str(r.path), 200)}"


@contextmanager
def _progress(stream: TextIO, quiet: bool) -> Iterator[Progress | None]:
    """A progress callback: a rich bar on a terminal, one line per package otherwise."""
    if quiet:
        yield None
        return
    if not stream.isatty():

        def line(event: ImportEvent) -> None:
            if event.result is not None:
                stream.write(_event_line(event) + "\n")
                stream.flush()

        yield line
        return

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as RichProgress
    from rich.text import Text

    console = Console(file=stream, highlight=False)
    bar = RichProgress(
        TextColumn("导入"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[name]}", markup=False),
        console=console,
        transient=True,
    )
    task = bar.add_task("import", total=None, name="")

    def tick(event: ImportEvent) -> None:
        name = safe_text(event.path.name, 40)
        if event.result is None:
            bar.update(task, total=event.total, name=name)
            return
        bar.update(task, completed=event.index, name=name)
        if event.result.outcome == "refused":
            # Refusals stay visible above the bar as they happen.
            bar.console.print(Text(_event_line(event)), markup=False, highlight=False)

    with bar:
        yield tick
