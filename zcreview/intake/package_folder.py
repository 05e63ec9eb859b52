"""Read a package from a folder: links may not lead out, and files are read in place."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import NamedTuple

from zcreview.intake.package import Package, PackageFile, is_junk, nfc
from zcreview.intake.package_limits import Budget, Limits, copy_hashed, mb
from zcreview.intake.package_refusals import refuse
from zcreview.intake.problems import APPLICATION_JSON, safe_text


class _FileKey(NamedTuple):
    dev: int
    ino: int
    size: int
    mtime_ns: int
    ctime_ns: int


# Hashes of files already read in this process, by inode and change times: the same scan
# hard-linked into many packages (or a folder imported again) is read once. Any write to a file
# changes its ctime, so a stale entry cannot match.
_HASHED: dict[_FileKey, tuple[int, str, bytes]] = {}
_HASHED_MAX = 200_000


def _remember(key: _FileKey, value: tuple[int, str, bytes]) -> None:
    if len(_HASHED) >= _HASHED_MAX:
        _HASHED.clear()
    _HASHED[key] = value


def open_folder(root: Path, limits: Limits) -> Package:
    if not (root / APPLICATION_JSON).exists():
        raise refuse("", "文件夹中没有 application.json")
    real_root = root.resolve()
    budget = Budget(limits)
    json_bytes: bytes | None = None
    files: dict[str, PackageFile] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        for d in list(dirnames):
            if (here / d).is_symlink():
                # Not followed; but a link leading out of the package is refused outright.
                _inside(here / d, real_root, root)
                dirnames.remove(d)
        dirnames.sort()
        for fname in sorted(filenames):
            full = here / fname
            rel = nfc(full.relative_to(root).as_posix())
            if is_junk(tuple(rel.split("/"))):
                continue
            budget.entry()
            target = _inside(full, real_root, root) if full.is_symlink() else full
            st = target.stat()
            if not stat.S_ISREG(st.st_mode):
                raise refuse(safe_text(rel), "不是普通文件（设备、管道等不能作为附件）")
            is_json = rel == APPLICATION_JSON
            limit = limits.max_json_bytes if is_json else limits.max_file_bytes
            if st.st_size > limit:
                raise refuse(safe_text(rel), f"文件过大（上限 {mb(limit)}）")
            key = _FileKey(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            known = None if is_json else _HASHED.get(key)
            if known is not None:
                budget.add(rel, known[0], known[0], limit)
                files[rel] = PackageFile(rel, target, *known)
                continue
            with target.open("rb") as f:
                if is_json:
                    data = f.read(limit + 1)
                    budget.add(rel, len(data), len(data), limit)
                    json_bytes = data
                    continue
                size, digest, head = copy_hashed(f, None, rel, budget, limit)
            _remember(key, (size, digest, head))
            files[rel] = PackageFile(rel, target, size, digest, head)
    if json_bytes is None:  # application.json was a link into a sub-folder, or vanished
        raise refuse(APPLICATION_JSON, "无法读取 application.json")
    return Package(source=root, json_bytes=json_bytes, files=files)


def _inside(link: Path, real_root: Path, root: Path) -> Path:
    """The target of a symlink in the package, refused unless it stays inside the package."""
    rel = safe_text(link.relative_to(root).as_posix())
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise refuse(rel, "符号链接无法解析（目标不存在或循环）") from exc
    if not target.is_relative_to(real_root):
        raise refuse(rel, "符号链接指向包外，拒收")
    return target
