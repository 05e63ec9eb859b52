"""Seeded fuzzing of intake: mutated JSON, damaged zips, hostile names; never a crash or a repr.

Every refusal must name a file and a field and say what is wrong in Chinese; nothing a package
supplies may reach the printed report as a control character. Packages are small zips written
under the test's temporary folder, so a thousand of them import in well under a minute.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import random
import re
import struct
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.factories import application_dict, default_files
from zcreview.configfiles import default_config
from zcreview.intake.cli import print_report
from zcreview.intake.importer import import_paths
from zcreview.storage.store import Store

SEED = 20251205
PACKAGES = 1000
REPR_RE = re.compile(
    r"Error\(|Exception|Traceback|\w+Error\b|\bb'|\bb\"|Exceeds the limit|<[\w.]+ object at"
)
CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
CRASH = "程序或数据库故障"

HOSTILE_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    10**17,
    "",
    " ",
    "x" * 25_000,
    "2020-13-45",
    "1990-02-30",
    "0000-00",
    "\x1b]0;pwned\x07\x1b[31m红\x9b2J",
    "\u202e\u200b\ufeff",
    "\ud800",
    "../../etc/passwd",
    "C:\\Windows\\win.ini",
    [],
    [1, 2, 3],
    {},
    {"a": {"b": {"c": []}}},
]
RAW_LITERALS = [b"1e400", b"-1e400", b"NaN", b"Infinity", b"9" * 5000, b"1" * 30, b"tru", b"\xff"]

# Tests see the shipped configuration only, never the developer's own files.
pytestmark = pytest.mark.usefixtures("no_user_config")


def _small_base() -> tuple[dict[str, Any], dict[str, bytes]]:
    """A valid application naming few files (the fuzzer mutates, it need not be complete)."""
    data = application_dict(0)
    data["other_attachments"] = data["other_attachments"][:1]
    data["achievements"] = data["achievements"][:1]
    return data, default_files(data)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*path, k))] + [path]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))] + [path]
    return [path]


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    with contextlib.suppress(TypeError, KeyError, IndexError):  # an earlier swap moved it
        for key in path[:-1]:
            data = data[key]
        data[path[-1]] = value


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


class Mutator:
    """Makes one hostile package from the valid base, by a seeded random choice of damage."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.base, self.files = _small_base()
        self.paths = [p for p in _leaves(self.base) if p]
        self.kinds: list[Callable[[], tuple[bytes, dict[str, bytes]]]] = [
            self.swap_value,
            self.swap_value,
            self.drop_key,
            self.extra_key,
            self.grow_list,
            self.raw_literal,
            self.raw_bytes,
            self.raw_bytes,
        ]

    def package(self) -> bytes:
        json_bytes, files = self.rng.choice(self.kinds)()
        names = list(files)
        if self.rng.random() < 0.25:
            names, files = self.hostile_names(files)
        blob = self.zip(json_bytes, files, names)
        if self.rng.random() < 0.3:
            blob = self.damage_zip(blob)
        return blob

    # --- application.json

    def _dump(self, data: Any) -> bytes:
        return json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass")

    def swap_value(self) -> tuple[bytes, dict[str, bytes]]:
        data = copy.deepcopy(self.base)
        for _ in range(self.rng.randint(1, 3)):
            _set(data, self.rng.choice(self.paths), copy.deepcopy(self.rng.choice(HOSTILE_VALUES)))
        return self._dump(data), self.files

    def drop_key(self) -> tuple[bytes, dict[str, bytes]]:
        data = copy.deepcopy(self.base)
        path = self.rng.choice(self.paths)
        parent = _get(data, path[:-1])
        del parent[path[-1]]
        return self._dump(data), self.files

    def extra_key(self) -> tuple[bytes, dict[str, bytes]]:
        data = copy.deepcopy(self.base)
        path = self.rng.choice([p for p in self.paths if isinstance(_get(data, p), dict)] or [()])
        _get(data, path)[self.rng.choice(["x", "名字", "\x1b[2J", "__proto__"])] = 1
        return self._dump(data), self.files

    def grow_list(self) -> tuple[bytes, dict[str, bytes]]:
        data = copy.deepcopy(self.base)
        key = self.rng.choice(["work_history", "achievements", "assessments", "titles"])
        data[key] = data[key][:1] * self.rng.choice([7, 16, 51, 400, 4000])
        return self._dump(data), self.files

    def raw_literal(self) -> tuple[bytes, dict[str, bytes]]:
        text = self._dump(self.base)
        numbers = [m.span() for m in re.finditer(rb"(?<=: )-?\d+(\.\d+)?(?=[,}])", text)]
        start, end = self.rng.choice(numbers)
        return text[:start] + self.rng.choice(RAW_LITERALS) + text[end:], self.files

    def raw_bytes(self) -> tuple[bytes, dict[str, bytes]]:
        text = bytearray(self._dump(self.base))
        how = self.rng.randrange(4)
        at = self.rng.randrange(len(text))
        if how == 0:
            del text[at:]
        elif how == 1:
            text[at] = self.rng.randrange(256)
        elif how == 2:
            text[at:at] = self.rng.choice([b"\xff\xfe", b"\xc3", b"\x00", b"[[[[", b'"', b"}"])
        else:
            text = bytearray(b"[" * 100_000)
        return bytes(text), self.files

    # --- the zip around it

    def hostile_names(self, files: dict[str, bytes]) -> tuple[list[str], dict[str, bytes]]:
        extra = self.rng.choice(
            [
                "../escape.pdf",
                "/abs/olute.pdf",
                "C:/drive.pdf",
                "a\x1b[31m.pdf",
                "dir\\back.pdf",
                "x" * 300 + ".pdf",
                "application.json",
                "__MACOSX/._junk",
                "名字/附件.pdf",
            ]
        )
        files = {**files, extra: b"%PDF-1.7\n"}
        return list(files), files

    def zip(self, json_bytes: bytes, files: dict[str, bytes], names: list[str]) -> bytes:
        buf = io.BytesIO()
        method = self.rng.choice([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
        with warnings.catch_warnings(), zipfile.ZipFile(buf, "w", method) as zf:
            warnings.simplefilter("ignore")  # duplicate names are part of the attack
            zf.writestr("application.json", json_bytes)
            for name in names:
                if name == "application.json":
                    zf.writestr(zipfile.ZipInfo(name), b"{}")  # a second, different one
                    continue
                zf.writestr(name, files[name])
        return buf.getvalue()

    def damage_zip(self, blob: bytes) -> bytes:
        raw = bytearray(blob)
        how = self.rng.randrange(5)
        if how == 0:  # truncated in transfer
            return bytes(raw[: self.rng.randrange(len(raw))])
        if how == 1:  # random bytes flipped
            for _ in range(self.rng.randint(1, 8)):
                raw[self.rng.randrange(len(raw))] ^= 1 << self.rng.randrange(8)
            return bytes(raw)
        header = raw.find(b"PK\x01\x02", self.rng.randrange(len(raw) // 2))
        if header < 0:
            return bytes(raw)
        if how == 2:  # an unknown compression method in the central directory
            raw[header + 10 : header + 12] = struct.pack("<H", self.rng.choice([1, 6, 14, 99]))
        elif how == 3:  # the encryption flag
            raw[header + 8] |= 0x01
        else:  # a name flagged UTF-8 that is not
            raw[header + 8 : header + 10] = struct.pack("<H", 0x800)
            raw[header + 46] = 0xFF
        return bytes(raw)


def test_a_thousand_hostile_packages(sqlite_store: Store, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    mutator = Mutator(rng)
    folder = tmp_path / "packages"
    folder.mkdir()
    paths = []
    for n in range(PACKAGES):
        path = folder / f"{n:04d}.zip"
        path.write_bytes(mutator.package())
        paths.append(path)

    report = import_paths(paths, sqlite_store, config=default_config())

    assert len(report.results) == PACKAGES
    refused = report.refused
    assert len(refused) > PACKAGES // 2  # the fuzzer does damage
    unnamed, reprs, crashes = [], [], []
    for result in report.results:
        for problem in result.problems:
            text = str(problem)
            if not (problem.file and problem.field and problem.message):
                unnamed.append((result.path.name, text))
            if REPR_RE.search(text):
                reprs.append((result.path.name, text))
            if CRASH in text:
                crashes.append((result.path.name, text))
        reprs += [(result.path.name, w) for w in result.warnings if REPR_RE.search(w)]
    assert (crashes, unnamed, reprs) == ([], [], [])
    out = io.StringIO()
    print_report(report, out)
    assert not CONTROL_RE.search(out.getvalue().replace("\n", ""))
    assert not list((sqlite_store.home / "tmp").glob("*/*"))  # every extraction removed
