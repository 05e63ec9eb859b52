"""End to end with the real OCR model: demo scans are legible and the evidence checks find what
was planted; zcreview's PDFs carry their font and render legibly without any system font."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.ocr_helpers import recognise, recognise_image
from zcreview.configfiles import default_config
from zcreview.demo.attachments import AttachmentPool, text_pdf
from zcreview.demo.generate import DemoApplication, generate_demo
from zcreview.domain.checks import Severity, run_check
from zcreview.domain.checks.evidence_text import norm
from zcreview.exports import notice_pdf

pytest.importorskip("rapidocr")
pytestmark = pytest.mark.slow

CFG = default_config()
SEED = 1
COUNT = 80


@pytest.fixture(scope="module")
def demos() -> list[DemoApplication]:
    return list(generate_demo(COUNT, SEED))


def _read_first_assessment(demo: DemoApplication, index: int) -> dict[str, list]:  # type: ignore[type-arg]
    ref = demo.app.assessments[index].attachments[0]
    data = AttachmentPool(SEED).get(demo.files[ref.file])
    ref.sha256 = hashlib.sha256(data).hexdigest()
    return {ref.sha256: recognise(data, ref.sha256, pages=1)}


def test_clean_demo_assessment_form_agrees_with_the_form(demos: list[DemoApplication]) -> None:
    demo = next(d for d in demos if not d.planted and d.app.assessments)
    evidence = _read_first_assessment(demo, 0)
    page = next(iter(evidence.values()))[0]
    assert norm(demo.app.basic.name) in norm(page.text)
    for check_id in ("EVID-ASSESS", "EVID-NAME"):
        results = run_check(check_id, demo.app, CFG, evidence=evidence)
        assert results and all(r.severity is Severity.OK for r in results), [
            (r.severity, r.message) for r in results
        ]


def test_planted_assessment_disagreement_is_found(demos: list[DemoApplication]) -> None:
    planted = [(d, p) for d in demos for p in d.planted if p.check_id == "EVID-ASSESS"]
    assert planted, "no planted assessment in this demo"
    demo, plant = planted[0]
    index = int(plant.field.split("[", 1)[1].split("]", 1)[0])
    evidence = _read_first_assessment(demo, index)
    results = run_check("EVID-ASSESS", demo.app, CFG, evidence=evidence)
    fails = [r for r in results if r.severity is Severity.FAIL]
    assert any(plant.field in r.field_paths for r in fails), [
        (r.severity, r.message) for r in results
    ]
    assert any(plant.scan_says in r.message for r in fails)


def test_shared_and_other_demo_documents_are_legible(demos: list[DemoApplication]) -> None:
    """The unit's 六公开监督卡 and 公示情况报告表 and an applicant's 推荐情况登记表 read back as
    what they state: unit, year, 公示 dates, the applicant's ranking."""
    demo = next(
        d for d in demos if any(r.kind == "推荐情况登记表" for r in d.app.other_attachments)
    )
    pool = AttachmentPool(SEED)
    for ref in demo.app.other_attachments:
        if ref.kind not in ("六公开监督卡", "公示情况报告表", "推荐情况登记表"):
            continue
        spec = demo.files[ref.file]
        data = pool.get(spec)
        text = norm("".join(page.text for page in recognise(data, ref.file, pages=1)))
        rows = dict(spec.pages[0].rows)  # type: ignore[union-attr]
        wanted = [rows.get("单位名称") or rows["工作单位"]]
        wanted += [
            v for k, v in rows.items() if k in ("评审年度", "公示开始", "公示结束", "单位排序")
        ]
        for value in wanted:
            assert norm(value) in text, (ref.kind, value, text)


def _render_without_system_fonts(pdf: bytes, tmp_path: Path) -> Image.Image:
    """The first page as pdftoppm draws it when fontconfig knows no font at all."""
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    (tmp_path / "fonts.conf").write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<cachedir>{tmp_path}/cache</cachedir></fontconfig>",
        encoding="utf-8",
    )
    src = tmp_path / "in.pdf"
    src.write_bytes(pdf)
    env = {"PATH": "/usr/bin:/bin", "FONTCONFIG_FILE": str(tmp_path / "fonts.conf")}
    subprocess.run(
        ["pdftoppm", "-r", "100", "-f", "1", "-l", "1", "-png", str(src), str(tmp_path / "out")],
        check=True,
        env=env,
        capture_output=True,
    )
    return Image.open(next(tmp_path.glob("out*.png")))


def _embedded_fonts(pdf: bytes, tmp_path: Path) -> list[str]:
    if not shutil.which("pdffonts"):
        pytest.skip("pdffonts (poppler-utils) is not installed")
    src = tmp_path / "fonts.pdf"
    src.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(src)], check=True, capture_output=True, text=True)
    return [line for line in out.stdout.splitlines()[2:] if "NotoSansSC" in line]


def test_notice_pdf_embeds_its_font_and_reads_back_without_system_fonts(tmp_path: Path) -> None:
    text = (
        "补正告知书\n王建国同志：\n您申报的2024年度工程技术中级职称材料需要补正：\n"
        "1. 毕业证书扫描件的毕业时间与表单不一致。\n威海市人力资源和社会保障局"
    )
    pdf = notice_pdf(text)
    fonts = _embedded_fonts(pdf, tmp_path)
    assert fonts and all(" yes yes " in f for f in fonts), fonts
    page = recognise_image(_render_without_system_fonts(pdf, tmp_path), "notice", 0)
    read = norm(page.text)
    for phrase in (
        "补正告知书",
        "毕业证书扫描件的毕业时间与表单不一致",
        "威海市人力资源和社会保障局",
    ):
        assert norm(phrase) in read, page.text
    # Tofu boxes would be read as 口 or not at all.
    assert "口口" not in read


def test_demo_text_pdf_embeds_its_font(tmp_path: Path) -> None:
    pdf = text_pdf("专业技术人员继续教育学时证明", ["2021年    30学时    60学时    90学时    是"])
    fonts = _embedded_fonts(pdf, tmp_path)
    assert fonts and all(" yes yes " in f for f in fonts), fonts
