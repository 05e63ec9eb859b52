"""Read an application package (a folder or a `.zip`) safely: bounded, no escapes, no links."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, NamedTuple, Protocol

from zcreview.intake.problems import APPLICATION_JSON, WHOLE_FILE, PackageError, Problem, safe_text

CHUNK = 64 * 1024
SNIFF_BYTES = 1024  # PDF readers accept a header anywhere in the first kilobyte
MiB = 1024 * 1024
DIGEST_PREFIX = b"zcreview-package-v1\0"

# Files that archivers and file managers add on their own; never part of what was submitted.
_JUNK_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
_JUNK_DIRS = frozenset({"__MACOSX"})
_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_ZIP_SYMLINK = 0o120000
_EOCD_SEARCH = 65535  # the zip comment may be this long


@dataclass(frozen=True)
class Limits:
    """Bounds on what one package may hold; anything beyond is refused before it is stored."""

    max_entries: int = 1000
    """Files in one package (a full application has a few hundred at most)."""
    max_file_bytes: int = 64 * MiB
    """Any one file; attachments have their own, smaller limit (ATT-SIZE) checked later."""
    max_total_bytes: int = 512 * MiB
    """All files of one package together, uncompressed."""
    max_json_bytes: int = 4 * MiB
    """`application.json` itself."""
    max_ratio: int = 100
    """Uncompressed/compressed size of a zip entry, checked once it has inflated past ratio_floor."""
    ratio_floor: int = 2 * MiB


DEFAULT_LIMITS = Limits()


class _Scratch(Protocol):
    """Where a zip's entries are extracted while its package is open."""

    @property
    def name(self) -> str: ...
    def cleanup(self) -> None: ...


@dataclass(frozen=True)
class PackageFile:
    """One file of a package, hashed once while it was read."""

    name: str
    """POSIX path inside the package, NFC-normalised."""
    path: Path
    """Where its bytes can be read now (the folder itself, or a temporary copy out of a zip)."""
    size: int
    sha256: str
    head: bytes
    """The first bytes, enough to sniff the type."""


@dataclass
class Package:
    """An opened package: `application.json` bytes and every other file, with the digest of all.

    Use it as a context manager: a zip package lives in a temporary folder until closed.
    """

    source: Path
    json_bytes: bytes
    files: dict[str, PackageFile]
    digest: str = ""
    _tmp: _Scratch | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.digest:
            self.digest = package_digest(self.json_bytes, self.files.values())

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Package:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def package_digest(json_bytes: bytes, files: Iterable[PackageFile]) -> str:
    """SHA-256 over `application.json` and the sorted (name, sha256) of every other file.

    Each part is framed, so no two different packages can hash the same byte stream.
    """
    h = hashlib.sha256(DIGEST_PREFIX)
    h.update(len(json_bytes).to_bytes(8, "big"))
    h.update(json_bytes)
    for name, digest in sorted((f.name, f.sha256) for f in files):
        encoded = name.encode("utf-8", "surrogateescape")
        h.update(len(encoded).to_bytes(4, "big"))
        h.update(encoded)
        h.update(digest.encode("ascii"))
    return h.hexdigest()


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
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _JUNK_DIRS)
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
            raise _refuse("", "符号链接指向不存在的位置")
        if path.is_dir():
            return _open_folder(path, limits)
        if path.is_file():
            if is_zip_path(path) or zipfile.is_zipfile(path):
                return _open_zip(path, limits, home)
            raise _refuse("", "不是申报包：应为含 application.json 的文件夹或 .zip 文件")
        if not path.exists():
            raise _refuse("", "路径不存在")
        raise _refuse("", "不是普通文件或文件夹")
    except PackageError:
        raise
    except Exception as exc:  # every reader failure becomes a sentence, never a Python repr
        raise _refuse("", read_failure(exc)) from exc


def read_failure(exc: BaseException) -> str:
    """Why a file or zip entry could not be read, in Chinese (never the exception's repr)."""
    if isinstance(exc, UnicodeError):
        return "压缩包中的文件名编码无效，无法读取"
    if isinstance(exc, zipfile.LargeZipFile):
        return "压缩包过大（需要 ZIP64），拒收"
    if isinstance(exc, zipfile.BadZipFile):
        return "不是有效的 zip 压缩包，或压缩包已损坏（校验失败）"
    if isinstance(exc, zlib.error):
        return "压缩数据已损坏，无法解压"
    if isinstance(exc, EOFError):
        return "压缩包不完整（可能未复制或下载完）"
    if isinstance(exc, NotImplementedError):
        return "使用了不支持的压缩方式，请用普通 zip 格式重新压缩"
    if isinstance(exc, RuntimeError):
        return "条目已加密或无法解压，请去掉密码后重新压缩"
    if isinstance(exc, OSError):
        return _OS_ERRORS.get(exc.errno or 0, f"读写失败（错误码 {exc.errno}）")
    return "文件结构无效，无法读取"


_OS_ERRORS = {
    errno.EACCES: "没有读取权限",
    errno.EPERM: "没有读取权限",
    errno.ENOENT: "文件不存在或已被移走",
    errno.ENOSPC: "磁盘空间不足，无法解压",
    errno.EIO: "磁盘读写错误",
    errno.EISDIR: "是文件夹而不是文件",
    errno.ENAMETOOLONG: "路径过长",
    errno.ELOOP: "符号链接循环",
}


def _refuse(file: str, message: str, field_: str = "") -> PackageError:
    return PackageError([Problem(file, field_, message)])


def _is_junk(parts: tuple[str, ...]) -> bool:
    name = parts[-1]
    return name in _JUNK_NAMES or name.startswith("._") or any(p in _JUNK_DIRS for p in parts[:-1])


def _nfc(name: str) -> str:
    # macOS writes decomposed names; application.json is typed in composed form.
    return unicodedata.normalize("NFC", name)


class _Budget:
    """Counts entries and bytes across one package, refusing past the limits."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.entries = 0
        self.total = 0
        self.compressed = 0  # zip bytes of the entries finished so far

    def entry(self) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise _refuse("", f"包内文件过多（上限 {self.limits.max_entries} 个）")

    def add(self, name: str, n: int, so_far: int, limit: int) -> None:
        self.total += n
        if so_far > limit:
            raise _refuse(safe_text(name), f"文件过大（上限 {_mb(limit)}）")
        if self.total > self.limits.max_total_bytes:
            raise _refuse("", f"包内文件总大小超过 {_mb(self.limits.max_total_bytes)}")


def _mb(n: int) -> str:
    return f"{n / MiB:.0f} MB" if n >= MiB else f"{n} 字节"


def _copy_hashed(
    src: IO[bytes],
    dst: IO[bytes] | None,
    name: str,
    budget: _Budget,
    limit: int,
    compressed: int | None = None,
) -> tuple[int, str, bytes]:
    """Stream `src` (into `dst` if given), bounded by `limit` and the package budget.

    Returns (size, sha256, head). The sizes a zip header announces are not trusted: we count.
    """
    h = hashlib.sha256()
    head = b""
    size = 0
    while True:
        chunk = src.read(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        budget.add(name, len(chunk), size, limit)
        if compressed is not None and (
            _too_inflated(size, compressed, budget.limits)
            # Many entries each under the floor can still add up to a bomb.
            or _too_inflated(budget.total, budget.compressed + compressed, budget.limits)
        ):
            raise _refuse(safe_text(name), "压缩比异常（疑似压缩炸弹）")
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
        h.update(chunk)
        if dst is not None:
            dst.write(chunk)
    if compressed is not None:
        budget.compressed += compressed
    return size, h.hexdigest(), head


def _too_inflated(out: int, packed: int, limits: Limits) -> bool:
    return out > limits.ratio_floor and out > limits.max_ratio * max(packed, 1)


# --- folders -------------------------------------------------------------------------------


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


def _open_folder(root: Path, limits: Limits) -> Package:
    if not (root / APPLICATION_JSON).exists():
        raise _refuse("", "文件夹中没有 application.json")
    real_root = root.resolve()
    budget = _Budget(limits)
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
            rel = _nfc(full.relative_to(root).as_posix())
            if _is_junk(tuple(rel.split("/"))):
                continue
            budget.entry()
            target = _inside(full, real_root, root) if full.is_symlink() else full
            st = target.stat()
            if not stat.S_ISREG(st.st_mode):
                raise _refuse(safe_text(rel), "不是普通文件（设备、管道等不能作为附件）")
            is_json = rel == APPLICATION_JSON
            limit = limits.max_json_bytes if is_json else limits.max_file_bytes
            if st.st_size > limit:
                raise _refuse(safe_text(rel), f"文件过大（上限 {_mb(limit)}）")
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
                size, digest, head = _copy_hashed(f, None, rel, budget, limit)
            _remember(key, (size, digest, head))
            files[rel] = PackageFile(rel, target, size, digest, head)
    if json_bytes is None:  # application.json was a link into a sub-folder, or vanished
        raise _refuse(APPLICATION_JSON, "无法读取 application.json")
    return Package(source=root, json_bytes=json_bytes, files=files)


def _inside(link: Path, real_root: Path, root: Path) -> Path:
    """The target of a symlink in the package, refused unless it stays inside the package."""
    rel = safe_text(link.relative_to(root).as_posix())
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise _refuse(rel, "符号链接无法解析（目标不存在或循环）") from exc
    if not target.is_relative_to(real_root):
        raise _refuse(rel, "符号链接指向包外，拒收")
    return target


# --- zips ----------------------------------------------------------------------------------


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


def _open_zip(path: Path, limits: Limits, home: Path | None) -> Package:
    declared = _declared_entries(path)
    if declared is not None and declared > limits.max_entries * 2:
        raise _refuse("", f"包内文件过多（上限 {limits.max_entries} 个）")
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        if len(infos) > limits.max_entries * 2:  # directory entries count too, loosely
            raise _refuse("", f"包内文件过多（上限 {limits.max_entries} 个）")
        members: list[tuple[str, zipfile.ZipInfo]] = []
        seen: set[str] = set()
        for info in infos:
            name = _member_name(info)
            why = _check_member_name(name)
            if why is not None:
                raise _refuse(safe_text(name), f"{why}，拒收")
            if (info.external_attr >> 16) & 0o170000 == _ZIP_SYMLINK:
                raise _refuse(safe_text(name), "压缩包内含符号链接，拒收")
            if info.is_dir():
                continue
            clean = _nfc("/".join(p for p in name.split("/") if p not in ("", ".")))
            if not clean or _is_junk(tuple(clean.split("/"))):
                continue
            if clean in seen:
                raise _refuse(safe_text(clean), "压缩包内有同名条目")
            seen.add(clean)
            members.append((clean, info))
        prefix = _common_root(members)
        budget = _Budget(limits)
        tmp: _Scratch
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
    budget: _Budget,
    tmp: _Scratch,
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
            raise _refuse(safe_text(rel), f"文件过大（上限 {_mb(limit)}）")
        if info.flag_bits & 0x1:
            raise _refuse(safe_text(rel), "条目已加密，无法读取")
        # Temporary files are named by index: no entry name ever becomes a path on disk.
        target = Path(tmp.name) / str(index)
        try:
            with zf.open(info) as src, target.open("wb") as dst:
                size, digest, head = _copy_hashed(
                    src, dst, rel, budget, limit, compressed=info.compress_size
                )
        except PackageError:
            raise
        except Exception as exc:  # a damaged entry is named, with what is wrong with it
            raise _refuse(safe_text(rel), read_failure(exc)) from exc
        if is_json:
            json_bytes = target.read_bytes()
            target.unlink()
            continue
        files[rel] = PackageFile(rel, target, size, digest, head)
    if json_bytes is None:
        raise _refuse("", "压缩包中没有 application.json")
    return Package(source=path, json_bytes=json_bytes, files=files, _tmp=tmp)
