"""Read a package from a `.zip`: entry names checked, entries extracted by number under a
scratch folder, bounded by the package's limits and its compression ratio."""

from __future__ import annotations

import re
import tempfile
import zipfile
from pathlib import Path

from zcreview.intake.package import Package, PackageFile, Scratch, is_junk, nfc
from zcreview.intake.package_limits import Budget, Limits, copy_hashed, mb
from zcreview.intake.package_refusals import read_failure, refuse
from zcreview.intake.problems import APPLICATION_JSON, PackageError, safe_text

_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_ZIP_SYMLINK = 0o120000
_EOCD_SEARCH = 65535  # the zip comment may be this long


def _member_name(info: zipfile.ZipInfo) -> str:
    """The entry name as the archiver meant it.

    Without the UTF-8 flag zipfile decodes names as CP437; Chinese Windows archivers write GBK.
    """
    name = info.filename
    if not info.flag_bits & 0x800:
        raw = name.encode("cp437", "replace")
        for enc in ("utf-8", "gbk"):
            try:
                return raw.decode(enc)
            except UnicodeDecodeError:
                continue
    return name


def _check_member_name(name: str) -> str | None:
    """Why an entry name is refused, or None when it is a safe relative path."""
    if not name or "\\" in name:
        return "条目名含反斜杠或为空"
    if name.startswith("/"):
        return "条目使用绝对路径"
    if _DRIVE_RE.match(name):
        return "条目含盘符"
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in name):
        return "条目名含控制字符"
    if any(part == ".." for part in name.split("/")):
        return "条目路径含 ..，会写到包外"
    return None


def _declared_entries(path: Path) -> int | None:
    """The entry count the end-of-central-directory record announces, read before zipfile
    parses (and holds in memory) a central directory of any size. None when not found."""
    size = path.stat().st_size
    with path.open("rb") as f:
        f.seek(max(0, size - (_EOCD_SEARCH + 22)))
        tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 12 > len(tail):
        return None
    count = int.from_bytes(tail[at + 10 : at + 12], "little")
    return None if count == 0xFFFF else count  # 0xFFFF: zip64 keeps the count elsewhere


def open_zip(path: Path, limits: Limits, home: Path | None) -> Package:
    declared = _declared_entries(path)
    if declared is not None and declared > limits.max_entries * 2:
        raise refuse("", f"包内文件过多（上限 {limits.max_entries} 个）")
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        if len(infos) > limits.max_entries * 2:  # directory entries count too, loosely
            raise refuse("", f"包内文件过多（上限 {limits.max_entries} 个）")
        members: list[tuple[str, zipfile.ZipInfo]] = []
        seen: set[str] = set()
        for info in infos:
            name = _member_name(info)
            why = _check_member_name(name)
            if why is not None:
                raise refuse(safe_text(name), f"{why}，拒收")
            if (info.external_attr >> 16) & 0o170000 == _ZIP_SYMLINK:
                raise refuse(safe_text(name), "压缩包内含符号链接，拒收")
            if info.is_dir():
                continue
            clean = nfc("/".join(p for p in name.split("/") if p not in ("", ".")))
            if not clean or is_junk(tuple(clean.split("/"))):
                continue
            if clean in seen:
                raise refuse(safe_text(clean), "压缩包内有同名条目")
            seen.add(clean)
            members.append((clean, info))
        prefix = _common_root(members)
        budget = Budget(limits)
        tmp: Scratch
        if home is not None:
            # Imported here: `zcreview check` reads packages without any office or storage.
            from zcreview.storage.scratch import ScratchDir

            tmp = ScratchDir(home, "intake-")
        else:
            tmp = tempfile.TemporaryDirectory(prefix="zcreview-intake-")
        try:
            return _extract(path, zf, members, prefix, budget, tmp)
        except BaseException:
            tmp.cleanup()
            raise


def _common_root(members: list[tuple[str, zipfile.ZipInfo]]) -> str:
    """`"dir/"` when the zip holds one folder with the package in it (zipping a folder does)."""
    names = [n for n, _ in members]
    if APPLICATION_JSON in names or not names:
        return ""
    first = names[0].split("/", 1)[0] + "/"
    if all(n.startswith(first) for n in names) and first + APPLICATION_JSON in names:
        return first
    return ""


def _extract(
    path: Path,
    zf: zipfile.ZipFile,
    members: list[tuple[str, zipfile.ZipInfo]],
    prefix: str,
    budget: Budget,
    tmp: Scratch,
) -> Package:
    limits = budget.limits
    json_bytes: bytes | None = None
    files: dict[str, PackageFile] = {}
    for index, (name, info) in enumerate(members):
        rel = name[len(prefix) :]
        budget.entry()
        is_json = rel == APPLICATION_JSON
        limit = limits.max_json_bytes if is_json else limits.max_file_bytes
        if info.file_size > limit:  # cheap early refusal; the stream is bounded regardless
            raise refuse(safe_text(rel), f"文件过大（上限 {mb(limit)}）")
        if info.flag_bits & 0x1:
            raise refuse(safe_text(rel), "条目已加密，无法读取")
        # Temporary files are named by index: no entry name ever becomes a path on disk.
        target = Path(tmp.name) / str(index)
        try:
            with zf.open(info) as src, target.open("wb") as dst:
                size, digest, head = copy_hashed(
                    src, dst, rel, budget, limit, compressed=info.compress_size
                )
        except PackageError:
            raise
        except Exception as exc:  # a damaged entry is named, with what is wrong with it
            raise refuse(safe_text(rel), read_failure(exc)) from exc
        if is_json:
            json_bytes = target.read_bytes()
            target.unlink()
            continue
        files[rel] = PackageFile(rel, target, size, digest, head)
    if json_bytes is None:
        raise refuse("", "压缩包中没有 application.json")
    return Package(source=path, json_bytes=json_bytes, files=files, _tmp=tmp)
