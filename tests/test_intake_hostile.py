"""Hostile packages: bounded work, clear refusals, flagged attachments, nothing left outside home."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pypdf
import pytest

from tests.conftest import REPO
from tests.factories import application_dict, default_files, pdf_bytes, write_package
from zcreview.configfiles import default_config
from zcreview.domain.checks import Severity
from zcreview.intake.importer import ImportReport, PackageResult, import_paths
from zcreview.storage.applications import load_revision
from zcreview.storage.blob_notes import attachment_notes
from zcreview.storage.scratch import SCRATCH, ScratchDir, clean_stale_scratch
from zcreview.storage.store import Store, open_store
from zcreview.storage.tables import ApplicationRow

CONFIG = default_config()
FIRST_PDF = "学历/2012年6月本科学历.pdf"  # named by every factory application

# Tests see the shipped configuration only, never the developer's own files.
pytestmark = pytest.mark.usefixtures("no_user_config")


def run(store: Store, path: Path) -> PackageResult:
    report: ImportReport = import_paths([path], store, config=CONFIG)
    assert len(report.results) == 1
    return report.results[0]


def package_with(tmp_path: Path, pdf: bytes, **overrides: Any) -> Path:
    data = application_dict(0, **overrides)
    files = default_files(data)
    files[FIRST_PDF] = pdf
    return write_package(tmp_path / "pkg", data, files)


def encrypted_pdf() -> bytes:
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(pdf_bytes("locked")))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_4000_work_rows_are_refused_naming_the_list(sqlite_store: Store, tmp_path: Path) -> None:
    row = application_dict(0)["work_history"][0]
    path = package_with(tmp_path, pdf_bytes(FIRST_PDF), work_history=[row] * 4000)
    result = run(sqlite_store, path)
    assert result.outcome == "refused"
    assert [(p.file, p.field) for p in result.problems] == [("application.json", "work_history")]
    assert "共 4000 项" in result.problems[0].message


def test_a_header_only_pdf_is_refused_naming_the_file(sqlite_store: Store, tmp_path: Path) -> None:
    result = run(sqlite_store, package_with(tmp_path, b"%PDF-1.7\n"))
    assert result.outcome == "refused"
    [problem] = result.problems
    assert problem.file == FIRST_PDF and problem.field.endswith(".file")
    assert "没有内容" in problem.message


@pytest.mark.parametrize(
    ("pdf", "words"),
    [
        (encrypted_pdf(), "密码保护"),
        (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ngarbage", "已损坏"),
    ],
    ids=["encrypted", "damaged"],  # the encrypted bytes differ per run: xdist needs stable ids
)
def test_locked_or_damaged_pdfs_are_imported_with_a_warning_naming_them(
    sqlite_store: Store, tmp_path: Path, pdf: bytes, words: str
) -> None:
    result = run(sqlite_store, package_with(tmp_path, pdf))
    assert result.outcome == "new", result.problems
    flagged = [w for w in result.warnings if FIRST_PDF in w and words in w]
    assert flagged, result.warnings
    # Kept for the reviewer: a ⚠ on that attachment in the review, and in the queue's counts.
    assert result.application_id is not None
    with sqlite_store.session() as s:
        app = load_revision(result.application_id, session=s)
        notes = attachment_notes(app, session=s)
        row = s.get(ApplicationRow, result.application_id)
    assert [(n.severity, n.field_paths) for n in notes] == [
        (Severity.WARN, ("education.basis.attachments[0]",))
    ]
    assert words in notes[0].message
    assert row is not None and row.n_warn >= 1


def test_zip_entries_are_extracted_inside_the_office_home(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    original = ScratchDir.__init__

    def spy(self: ScratchDir, home: Path, prefix: str) -> None:
        original(self, home, prefix)
        seen.append(str(self.path))

    monkeypatch.setattr(ScratchDir, "__init__", spy)
    data = application_dict(0)
    zpath = tmp_path / "pkg.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("application.json", json.dumps(data, ensure_ascii=False))
        for name, blob in default_files(data).items():
            zf.writestr(name, blob)
    assert run(sqlite_store, zpath).outcome == "new"
    assert seen and all(s.startswith(str(sqlite_store.home / SCRATCH)) for s in seen)
    assert not list((sqlite_store.home / SCRATCH).iterdir())  # removed once imported


def test_a_killed_import_leaves_its_files_only_until_the_next_command(tmp_path: Path) -> None:
    home = tmp_path / "home"
    open_store(home).dispose()
    code = (
        "import sys, time; from pathlib import Path; from storage.scratch import ScratchDir;"
        "d = ScratchDir(Path(sys.argv[1]), 'intake-'); (d.path / '0').write_bytes(b'scan');"
        "print(d.path, flush=True); time.sleep(60)"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(home)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None
    held = Path(child.stdout.readline().strip())
    assert held.is_dir()
    assert clean_stale_scratch(home) == 0 and held.is_dir()  # in use: left alone
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    deadline = time.monotonic() + 5
    while held.is_dir() and time.monotonic() < deadline:
        open_store(home).dispose()  # any command opening the office cleans up
    assert not held.exists()


@pytest.mark.parametrize(
    ("damage", "entry", "words"),
    [
        ("deflate", "学历/2012年6月本科学历.pdf", "解压"),
        ("crc", "学历/2012年6月本科学历.pdf", "校验"),
    ],
)
def test_damaged_zip_entries_are_named_in_chinese(
    sqlite_store: Store, tmp_path: Path, damage: str, entry: str, words: str
) -> None:
    data = application_dict(0)
    zpath = tmp_path / "pkg.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("application.json", json.dumps(data, ensure_ascii=False))
        for name, blob in default_files(data).items():
            zf.writestr(name, blob)
    raw = bytearray(zpath.read_bytes())
    with zipfile.ZipFile(zpath) as zf:
        info = zf.getinfo(entry)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    if damage == "deflate":
        raw[start : start + 8] = b"\xff" * 8  # an invalid deflate block
    else:
        raw[start + info.compress_size - 2] ^= 0x01  # inflates, then fails its CRC
    zpath.write_bytes(bytes(raw))
    result = run(sqlite_store, zpath)
    assert result.outcome == "refused"
    text = "\n".join(str(p) for p in result.problems)
    assert entry in text and words in text, text
    assert "Error" not in text and "error(" not in text
