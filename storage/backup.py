"""Backups of an office home or a hub data folder: a consistent database copy plus every file.

A plain copy of `office.db` misses what is still in the WAL, so the database is copied with
SQLite's online backup API (consistent while reviewers keep working) or `pg_dump` for
PostgreSQL. Every other file of the home (blobs, keys, settings, the audit anchor …) is copied as
it is, except scratch folders. A manifest lists each file with its SHA-256, so a restore refuses a
damaged or incomplete backup before it writes anything.

Layout of a backup folder::

    manifest.json          kind, times, versions, database kind, files with size and SHA-256
    database.sqlite        (SQLite) or database.pgdump (pg_dump custom format)
    files/…                the home's other files, same relative paths
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from zcreview.storage.engine import normalise_url

MANIFEST = "manifest.json"
FORMAT = 1
SQLITE_COPY = "database.sqlite"
PG_DUMP = "database.pgdump"
SCRATCH = frozenset({"partial", "tmp", "exports"})
"""Top-level folders of a home that hold nothing worth keeping (interrupted downloads, temp)."""
_CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the user (Chinese)."""


@dataclass(frozen=True)
class BackupSummary:
    dest: Path
    files: int
    bytes: int
    database: str


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _libpq_url(url: str) -> str:
    """The URL for pg_dump/pg_restore: SQLAlchemy's driver suffix removed, options kept."""
    u = make_url(normalise_url(url))
    return u.set(drivername="postgresql").render_as_string(hide_password=False)


def _search_path_schema(url: str) -> str | None:
    """The schema named by `options=-csearch_path=X` in the URL, if any."""
    opts = str(make_url(normalise_url(url)).query.get("options", ""))
    for part in opts.split():
        if part.startswith("-csearch_path="):
            return part.split("=", 1)[1].split(",")[0] or None
    return None


def _walk(home: Path, skip: frozenset[str]) -> Iterator[Path]:
    for root, dirs, files in os.walk(home):
        rel_root = Path(root).relative_to(home)
        if rel_root == Path("."):
            dirs[:] = [d for d in dirs if d not in SCRATCH]
        dirs.sort()
        for name in sorted(files):
            rel = rel_root / name
            if str(rel) in skip or name.startswith(".tmp-"):
                continue
            yield rel


def _sqlite_files(db_name: str) -> frozenset[str]:
    return frozenset({db_name, f"{db_name}-wal", f"{db_name}-shm", f"{db_name}-journal"})


def _copy_sqlite(src: Path, dest: Path) -> None:
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    target = sqlite3.connect(dest)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _run(cmd: list[str], what: str) -> None:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(
            f"找不到 {cmd[0]}：备份 PostgreSQL 数据库需要 PostgreSQL 客户端程序"
            "（Debian: apt-get install postgresql-client）"
        ) from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
        raise BackupError(f"{what}失败（{cmd[0]} 退出码 {done.returncode}）：{detail[0]}")


def backup(
    home: Path, dest: Path, *, db_url: str | None, kind: str, db_name: str = "office.db"
) -> BackupSummary:
    """Copy the database and the files of `home` into the new folder `dest`.

    `db_url` None means the SQLite file `home/db_name`. Raises BackupError when `dest` is not
    empty, the database is missing, or pg_dump fails.
    """
    if not home.is_dir():
        raise BackupError(f"数据目录 {home} 不存在")
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"备份目录 {dest} 不是空的：请指定一个新目录")
    home_r, dest_r = home.resolve(), dest.resolve()
    if dest_r == home_r or home_r in dest_r.parents:
        raise BackupError(f"备份目录 {dest} 不能在数据目录 {home} 之内")
    _private_dir(dest)
    files_dir = dest / "files"
    _private_dir(files_dir)

    skip: frozenset[str] = frozenset()
    if db_url is None or normalise_url(db_url).startswith("sqlite"):
        db_path = home / db_name
        if db_url is not None:
            db_path = Path(make_url(db_url).database or "")
        if not db_path.is_file():
            raise BackupError(f"找不到数据库文件 {db_path}")
        if db_path.resolve().parent == home_r:
            skip = _sqlite_files(db_path.name)
        db_file = dest / SQLITE_COPY
        _copy_sqlite(db_path, db_file)
        database = "sqlite"
    else:
        db_file = dest / PG_DUMP
        cmd = ["pg_dump", "--format=custom", "--no-owner", f"--file={db_file}"]
        schema = _search_path_schema(db_url)
        if schema:
            cmd.append(f"--schema={schema}")
        _run([*cmd, f"--dbname={_libpq_url(db_url)}"], "导出 PostgreSQL 数据库")
        database = "postgresql"
    db_file.chmod(0o600)

    entries: list[dict[str, Any]] = []
    total = db_file.stat().st_size
    for rel in _walk(home, skip):
        src = home / rel
        if src.is_symlink() or not src.is_file():
            continue
        target = files_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
        target.chmod(0o600)
        size = target.stat().st_size
        total += size
        entries.append({"path": rel.as_posix(), "size": size, "sha256": _sha256(target)})
    manifest = {
        "format": FORMAT,
        "kind": kind,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": {
            "kind": database,
            "file": db_file.name,
            "name": db_name,
            "sha256": _sha256(db_file),
            "schema": _search_path_schema(db_url) if db_url and database == "postgresql" else None,
        },
        "files": entries,
    }
    path = dest / MANIFEST
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    path.chmod(0o600)
    return BackupSummary(dest=dest, files=len(entries), bytes=total, database=database)


def read_manifest(src: Path) -> dict[str, Any]:
    """The manifest of a backup folder, every listed file checked against its SHA-256.

    Raises BackupError naming the first missing or changed file.
    """
    path = src / MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{src} 不是 zcreview 备份：缺少 {MANIFEST}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BackupError(f"备份清单 {path} 已损坏，无法读取") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"备份清单 {path} 的格式不受支持")
    db = manifest.get("database") or {}
    listed = [(str(db.get("file", "")), str(db.get("sha256", "")))]
    listed += [
        (f"files/{e.get('path', '')}", str(e.get("sha256", ""))) for e in manifest.get("files", [])
    ]
    for rel, digest in listed:
        _check_inside(src, rel)
        file = src / rel
        if not file.is_file():
            raise BackupError(f"备份不完整：缺少文件 {rel}")
        if _sha256(file) != digest:
            raise BackupError(f"备份已损坏：文件 {rel} 的内容与清单不符")
    return manifest


def _check_inside(root: Path, rel: str) -> None:
    target = (root / rel).resolve()
    if rel.startswith("/") or root.resolve() not in target.parents:
        raise BackupError(f"备份清单中的路径 {rel!r} 越出了备份目录")


def restore(src: Path, home: Path, *, db_url: str | None, kind: str) -> dict[str, Any]:
    """Restore the backup in `src` into `home` (and the PostgreSQL database `db_url`).

    The home must not hold a database already; a PostgreSQL target must be empty. Returns the
    manifest. Raises BackupError before writing anything when the backup is damaged.
    """
    manifest = read_manifest(src)
    if manifest.get("kind") != kind:
        raise BackupError(
            f"这是{_kind_label(manifest.get('kind'))}的备份，不能恢复为{_kind_label(kind)}"
        )
    db = manifest["database"]
    db_name = str(db.get("name") or "office.db")
    if home.exists() and (home / db_name).exists():
        raise BackupError(f"目标目录 {home} 已有数据库 {db_name}：请恢复到一个新目录")
    _private_dir(home)
    for entry in manifest["files"]:
        rel = str(entry["path"])
        _check_inside(home, rel)
        target = home / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / "files" / rel, target)
        target.chmod(0o600)
    if db["kind"] == "sqlite":
        if db_url is not None and not normalise_url(db_url).startswith("sqlite"):
            raise BackupError("这是 SQLite 数据库的备份：请不指定 --db，恢复到数据目录中")
        target = home / db_name
        shutil.copyfile(src / str(db["file"]), target)
        target.chmod(0o600)
    else:
        if db_url is None or normalise_url(db_url).startswith("sqlite"):
            raise BackupError(
                "这是 PostgreSQL 数据库的备份：请用 --db 指定一个空的 PostgreSQL 数据库"
            )
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--exit-on-error",
                f"--dbname={_libpq_url(db_url)}",
                str(src / str(db["file"])),
            ],
            "恢复 PostgreSQL 数据库",
        )
    return manifest


def _kind_label(kind: object) -> str:
    return {"office": "办公单位", "hub": "上报中心"}.get(str(kind), str(kind))
