"""Find application packages (folders or `.zip` files) and open one safely: bounded, no
escapes, no links. Every failure becomes a problem naming a file and a field."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from zcreview.intake.package import JUNK_DIRS, Package
from zcreview.intake.package_folder import open_folder
from zcreview.intake.package_limits import DEFAULT_LIMITS, Limits
from zcreview.intake.package_refusals import read_failure, refuse
from zcreview.intake.package_zip import open_zip
from zcreview.intake.problems import APPLICATION_JSON, WHOLE_FILE, PackageError, Problem, safe_text


def is_zip_path(path: Path) -> bool:
    return path.suffix.lower() == ".zip"


def find_packages(paths: Iterable[Path]) -> list[Path]:
    """Expand the paths a user named into package paths, in a stable order.

    A folder holding `application.json` (or that file itself) is one package; a `.zip` is one
    package; any other folder is searched for packages below it. A path that is none of these is
    passed on as it is, so that opening it gives the user a clear refusal.
    """
    found: list[Path] = []
    for path in paths:
        if path.name == APPLICATION_JSON and path.is_file():
            found.append(path.parent)
        elif path.is_dir() and not (path / APPLICATION_JSON).exists():
            inner = sorted(_search_folder(path))
            found.extend(inner if inner else [path])
        else:
            found.append(path)
    return found


def _search_folder(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        if APPLICATION_JSON in filenames and here != root:
            dirnames.clear()  # a package's own sub-folders hold its attachments
            yield here
            continue
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in JUNK_DIRS)
        for name in sorted(filenames):
            if is_zip_path(Path(name)) and not name.startswith("."):
                yield here / name


def open_package(
    path: Path, limits: Limits = DEFAULT_LIMITS, *, home: Path | None = None
) -> Package:
    """Open the package at `path` (a folder or a zip). Raises PackageError saying why not.

    A zip is extracted under `home`/tmp when `home` (the office home) is given, so no
    applicant file is ever left outside it; otherwise into the system's temporary folder.
    Every problem names a file (the package itself when no entry is to blame) and a field.
    """
    try:
        return _open(path, limits, home)
    except PackageError as exc:
        shown = safe_text(path.name or str(path))
        exc.problems[:] = [
            Problem(p.file or shown, p.field or WHOLE_FILE, p.message) for p in exc.problems
        ]
        raise


def _open(path: Path, limits: Limits, home: Path | None) -> Package:
    try:
        if path.is_symlink() and not path.exists():
            raise refuse("", "符号链接指向不存在的位置")
        if path.is_dir():
            return open_folder(path, limits)
        if path.is_file():
            if is_zip_path(path) or zipfile.is_zipfile(path):
                return open_zip(path, limits, home)
            raise refuse("", "不是申报包：应为含 application.json 的文件夹或 .zip 文件")
        if not path.exists():
            raise refuse("", "路径不存在")
        raise refuse("", "不是普通文件或文件夹")
    except PackageError:
        raise
    except Exception as exc:  # every reader failure becomes a sentence, never a Python repr
        raise refuse("", read_failure(exc)) from exc
