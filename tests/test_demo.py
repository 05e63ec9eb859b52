"""The demo office: deterministic, valid identities, real attachments, every state, the command."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from itertools import islice, pairwise
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlmodel import select

from zcreview.cli import main
from zcreview.configfiles import load_config
from zcreview.demo.attachments import AttachmentPool, DocSpec, FileSpec, TextSpec
from zcreview.demo.defects import DEFECTS
from zcreview.demo.generate import generate_applications, generate_demo
from zcreview.demo.office import build_demo_office
from zcreview.demo.units import make_units
from zcreview.domain.checks import run_all
from zcreview.domain.checks.base import Severity
from zcreview.domain.checks.validators import (
    id_birth_date,
    id_gender,
    issn_valid,
    validate_credit_code,
    validate_id_number,
)
from zcreview.domain.workflow import State
from zcreview.storage.applications import load_revision
from zcreview.storage.audit import verify_audit
from zcreview.storage.store import Store
from zcreview.storage.tables import ApplicationRow

SMALL = 12


@pytest.fixture(scope="module")
def demos() -> list:  # type: ignore[type-arg]
    return list(generate_demo(300, 7))


def test_same_seed_same_records_and_bytes() -> None:
    a = list(islice(generate_applications(SMALL, 3), 4))
    b = list(islice(generate_applications(SMALL, 3), 4))
    assert [x.canonical_json() for x, _ in a] == [y.canonical_json() for y, _ in b]
    for (_, fa), (_, fb) in zip(a, b, strict=True):
        assert fa.keys() == fb.keys()
        assert all(fa[k] == fb[k] for k in fa)


_HASH_FILES = """
import hashlib, sys
from zcreview.demo.generate import generate_applications
for app, files in generate_applications(2, 3):
    print(app.revision(), *(hashlib.sha256(files[k]).hexdigest() for k in sorted(files)))
"""


def test_same_seed_same_bytes_in_another_process() -> None:
    """Nothing hangs on process state (hash seeds, Pillow's unseeded noise, the clock)."""
    import subprocess
    import sys

    runs = [
        subprocess.run(
            [sys.executable, "-c", _HASH_FILES],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": str(n), "PATH": "/usr/bin:/bin"},
            cwd=Path(__file__).resolve().parents[1],
        ).stdout
        for n in (1, 2)
    ]
    assert runs[0] and runs[0] == runs[1]


def test_other_seed_other_records() -> None:
    a = next(iter(generate_applications(SMALL, 3)))[0]
    b = next(iter(generate_applications(SMALL, 4)))[0]
    assert a.canonical_json() != b.canonical_json()
    assert a.application_id != b.application_id


def test_identities_and_credit_codes_are_valid(demos: list) -> None:  # type: ignore[type-arg]
    for d in demos:
        b = d.app.basic
        if "id_check" in d.defects or "id_sex" in d.defects:
            continue
        assert validate_id_number(b.id_number) is None, b.id_number
        assert id_birth_date(b.id_number) == b.birth_date
        assert id_gender(b.id_number) == b.gender
        assert b.applying_unit_code is not None
        assert validate_credit_code(b.applying_unit_code) is None
    import random

    for u in make_units(random.Random(1), 80):
        assert validate_credit_code(u.credit_code) is None, u.name


def test_titles_fit_the_catalogue_and_journals_have_valid_issn(demos: list) -> None:  # type: ignore[type-arg]
    cat = load_config().catalogue
    levels = Counter(d.app.basic.level for d in demos)
    assert set(levels) == {"正高级", "副高级", "中级", "助理级", "员级"}
    assert len({d.app.basic.series for d in demos}) >= 10
    for d in demos:
        b = d.app.basic
        assert cat.is_consistent(b.series, b.level, b.title), (b.series, b.level, b.title)
        for a in d.app.achievements:
            if a.issn and "bad_issn" not in d.defects:
                assert issn_valid(a.issn), a.issn
            assert a.name.split("：", 1)[0], a.name


def test_work_history_is_continuous(demos: list) -> None:  # type: ignore[type-arg]
    for d in demos:
        if "work_gap" in d.defects:
            continue
        rows = d.app.work_history
        assert rows[-1].end is None
        for prev, nxt in pairwise(rows):
            assert prev.end is not None
            gap = (nxt.start.year * 12 + nxt.start.month) - (prev.end.year * 12 + prev.end.month)
            assert gap in (0, 1)


def test_defects_are_spread_and_flagged(demos: list) -> None:  # type: ignore[type-arg]
    config = load_config()
    flawed = [d for d in demos if d.defects]
    assert 0.15 <= len(flawed) / len(demos) <= 0.25
    assert len({name for d in flawed for name in d.defects}) >= len(DEFECTS) - 4
    clean_failing = 0
    for d in demos:
        for _path, ref in d.app.all_attachments():  # as intake fills them
            ref.sha256, ref.size = "0" * 64, 200_000
            ref.mime = {"pdf": "application/pdf", "png": "image/png"}.get(
                ref.file.rsplit(".", 1)[-1], "image/jpeg"
            )
        results = run_all(d.app, config)
        flagged = [r for r in results if r.severity in (Severity.FAIL, Severity.WARN)]
        if d.defects:
            assert flagged, d.defects
        elif any(r.severity == Severity.FAIL for r in results):
            clean_failing += 1
    # Applications generated without a defect are clean for the pre-checks (a hint at most).
    assert clean_failing <= len(demos) // 50


def test_attachments_are_real_files() -> None:
    pool = AttachmentPool(5)
    scan = pool.get(FileSpec("scan", 0, pages=3))
    reader = PdfReader(io.BytesIO(scan))
    assert len(reader.pages) >= 2
    for page in reader.pages:
        assert page.extract_text().strip() == ""  # image-only, as a copier writes it
        assert len(page.images) == 1
        assert page.images[0].name.endswith(".jpg")  # DCT-encoded page image
    assert 100_000 <= len(scan) <= 2_000_000

    text = pool.get(TextSpec("专业技术人员继续教育学时证明", ("姓名：王海涛", "公需科目：30学时")))
    extracted = PdfReader(io.BytesIO(text)).pages[0].extract_text()
    assert "继续教育" in extracted and "王海涛" in extracted

    for fmt in ("jpg", "png"):
        data = pool.get(FileSpec("photo", 1, fmt=fmt))
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            assert im.format == {"jpg": "JPEG", "png": "PNG"}[fmt]
        assert len(data) <= 2_000_000
    rotated = [
        i
        for i in range(12)
        if Image.open(io.BytesIO(pool.get(FileSpec("photo", i, fmt="jpg")))).getexif().get(0x0112)
    ]
    assert rotated, "some phone photos carry an EXIF orientation"


def test_unit_forms_are_shared_within_a_unit() -> None:
    """One 六公开监督卡 per unit and year: every applicant of a unit attaches the same file, and
    it states that unit and year in legible print."""
    by_unit: dict[tuple[str, int], set[object]] = {}
    for d in generate_demo(120, 2):
        for ref in d.app.other_attachments:
            if ref.kind == "六公开监督卡":
                key = (d.app.basic.applying_unit, d.app.basic.year)
                by_unit.setdefault(key, set()).add(d.files[ref.file])
    assert all(len(v) == 1 for v in by_unit.values())
    assert len(by_unit) > 10
    for (unit, year), (card,) in by_unit.items():
        assert isinstance(card, DocSpec) and card.shared
        rows = dict(card.pages[0].rows)
        assert rows["单位名称"] == unit and rows["评审年度"] == f"{year}年度"


def test_no_attachment_is_a_placeholder() -> None:
    """Every file of every package is a legible document or a text PDF, 推荐 and 破格 proofs
    included, each stating its applicant."""
    seen: set[str] = set()
    for d in generate_demo(300, 1):
        for path, src in d.files.items():
            assert isinstance(src, DocSpec | TextSpec), (path, src)
            if isinstance(src, DocSpec) and ("推荐情况" in path or "破格" in path):
                seen.add("推荐" if "推荐情况" in path else "破格")
                assert dict(src.pages[0].rows)["姓名"] == d.app.basic.name
            if "推荐情况" in path:
                assert isinstance(src, DocSpec)
                assert dict(src.pages[0].rows)["单位排序"] == d.app.basic.unit_rank
    assert seen == {"推荐", "破格"}


def test_build_demo_office_reaches_every_state(sqlite_store: Store, tmp_path: Path) -> None:
    summary = build_demo_office(sqlite_store, 60, 1, workdir=tmp_path)
    assert not summary.refused
    assert all(summary.states[s.value] > 0 for s in State), summary.states
    assert sum(summary.states.values()) == 60
    with sqlite_store.session() as session:
        rows = session.exec(select(ApplicationRow)).all()
        held = [r for r in rows if r.state == State.IN_REVIEW.value]
        assert all(r.holder and r.lease_until for r in held)
        assert all(r.deadline for r in rows if r.state == State.RETURNED.value)
        resubmitted = [r for r in rows if r.state == State.RESUBMITTED.value]
        assert all(r.revision_count == 2 for r in resubmitted)
        app = load_revision(rows[0].id, session=session)
        assert app.revision() == rows[0].head_revision
        # Every state the demo set went through the state writer: the log replays to it.
        report = verify_audit(session)
        assert report.ok, report.text()
    assert len(list(sqlite_store.blobs.root.rglob("*"))) > 20


def test_bulk_path_matches_storage(store: Store) -> None:
    summary = build_demo_office(store, 900, 1, with_attachments=False)
    assert sum(summary.states.values()) == 900
    assert all(summary.states[s.value] > 0 for s in State)
    with store.session() as session:
        rows = session.exec(select(ApplicationRow).order_by(ApplicationRow.id).limit(30)).all()
        for row in rows:
            app = load_revision(row.id, session=session)
            assert app.revision() == row.head_revision  # canonical JSON, byte for byte
            assert row.name == app.basic.name and row.id_number == app.basic.id_number
            assert validate_id_number(row.id_number) is None or re.match(r"^\d{17}", row.id_number)
        report = verify_audit(session)
        assert report.ok, report.text()


def test_demo_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "office"
    assert main(["--home", str(home), "demo", "--count", "40", "--no-ui"]) == 0
    out = capsys.readouterr().out
    assert "待审核" in out and "用时" in out
    # What was planted between scans and forms is listed in the home, the same as the generator's.
    planted = json.loads((home / "demo-planted.json").read_text(encoding="utf-8"))
    expected = [
        (str(d.app.application_id), p.field) for d in generate_demo(40, 1) for p in d.planted
    ]
    assert planted and [(p["application_id"], p["field"]) for p in planted] == expected
    assert all(
        p["check_id"].startswith("EVID-") and p["form_says"] != p["scan_says"] for p in planted
    )
    # A second run reuses the office instead of generating again.
    assert main(["--home", str(home), "demo", "--count", "40", "--no-ui"]) == 0
    assert "沿用现有演示办公室" in capsys.readouterr().out
