"""`zcreview check PATH…`: pre-checks on packages without importing them, text and JSON lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.factories import (
    DELETE,
    default_files,
    make_application,
    write_package,
    write_zip_package,
)
from zcreview.cli import main

TODAY = "2025-06-20"
ROOT = Path(__file__).resolve().parents[1]
SEVERITIES = {"ok", "warn", "fail", "unknown"}


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main(["check", *(str(a) for a in args)])
    out, err = capsys.readouterr()
    return code, out, err


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def package(root: Path, name: str, seed: int = 0, **overrides: Any) -> Path:
    return write_package(root / name, make_application(seed, **overrides))


def test_clean_package_text_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = package(tmp_path, "clean", titles__0__appointed_years=6)
    code, out, _ = run(capsys, path, "--today", TODAY)
    assert code == 0
    assert f"申报包 {path}" in out
    assert not [x for x in out.splitlines() if x.lstrip().startswith(("✗", "⚠"))]
    assert "✗ 0" in out
    assert out.rstrip().endswith("共 1 个申报包：无✗ 1，有✗ 0，拒收 0")


def test_failed_check_is_listed_with_field_and_seed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = package(tmp_path, "woman", basic__gender="女", titles__0__appointed_years=6)
    code, out, _ = run(capsys, path, "--today", TODAY)
    assert code == 1
    line = next(x for x in out.splitlines() if "ID-CARD" in x)
    assert line.lstrip().startswith("✗ ID-CARD  basic.id_number、basic.gender")
    assert line.endswith("（GB 11643）")
    assert "有✗ 1" in out


def test_json_lines_follow_the_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = make_application(0, basic__gender="女")
    write_zip_package(tmp_path / "one.zip", app)
    package(tmp_path, "two", seed=1)
    code, out, _ = run(capsys, tmp_path, "--json", "--today", TODAY)
    assert code == 1
    rows = lines(out)
    assert [Path(r["package"]).name for r in rows] == ["one.zip", "two"]
    for row in rows:
        assert set(row) == {"package", "application_id", "refused", "results"}
        assert row["refused"] is None
        for result in row["results"]:
            assert set(result) == {"id", "severity", "message", "fields", "seed"}
            assert result["severity"] in SEVERITIES
            assert isinstance(result["fields"], list)
    assert rows[0]["application_id"] == str(app.application_id)
    card = next(r for r in rows[0]["results"] if r["id"] == "ID-CARD")
    assert card["severity"] == "fail" and card["seed"] == "GB 11643"
    assert "basic.gender" in card["fields"]


def test_unknown_is_its_own_severity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = package(tmp_path, "nocode", basic__applying_unit_code=DELETE)
    _code, out, _ = run(capsys, path, "--json", "--today", TODAY)
    unit = next(r for r in lines(out)[0]["results"] if r["id"] == "UNIT-CODE")
    assert unit["severity"] == "unknown" and unit["message"].startswith("无法判断：")


def test_refused_package_exits_2_with_intake_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "application.json").write_text("{oops", encoding="utf-8")
    package(tmp_path, "good", basic__gender="女")  # a ✗ elsewhere does not hide the refusal
    code, out, _ = run(capsys, tmp_path, "--today", TODAY)
    assert code == 2
    assert f"拒收 {bad}" in out
    assert "application.json" in out and "第 1 行第 2 列" in out and "JSON 格式错误" in out
    assert "拒收 1" in out
    code, out, _ = run(capsys, bad, "--json")
    assert code == 2
    (row,) = lines(out)
    assert row["application_id"] is None and row["results"] == []
    assert "JSON 格式错误" in row["refused"]


def test_missing_path_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, tmp_path / "nowhere.zip", "--json")
    assert code == 2
    refused = lines(out)[0]["refused"]
    assert refused.startswith("nowhere.zip") and refused.endswith("路径不存在")


def test_packages_given_together_are_peers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = make_application(0)
    package(tmp_path, "a", seed=0)
    package(
        tmp_path,
        "b",
        seed=1,
        basic__id_number=first.basic.id_number,
        basic__gender=first.basic.gender,
        basic__application_kind="考核认定",
    )
    code, out, _ = run(capsys, tmp_path, "--json", "--today", TODAY)
    assert code == 1
    excl = [next(r for r in row["results"] if r["id"] == "ELIG-EXCL") for row in lines(out)]
    assert [r["severity"] for r in excl] == ["fail", "fail"]
    assert "已有“考核认定”" in excl[0]["message"]
    # Alone, the same package has no peer.
    code, out, _ = run(capsys, tmp_path / "a", "--json", "--today", TODAY)
    alone = next(r for r in lines(out)[0]["results"] if r["id"] == "ELIG-EXCL")
    assert alone["severity"] == "ok"


def test_today_fixes_the_date_of_date_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Without a submission date, 至今 is today: 12 years since 2012-07 only from July 2024.
    path = package(tmp_path, "undated", basic__submitted_on=DELETE)

    def pro_years(today: str) -> dict[str, Any]:
        _code, out, _ = run(capsys, path, "--json", "--today", today)
        return next(r for r in lines(out)[0]["results"] if r["id"] == "PRO-YEARS")

    assert pro_years("2025-06-20")["severity"] == "ok"
    early = pro_years("2024-06-20")
    assert early["severity"] == "fail" and "2024年6月" in early["message"]


def test_year_checks_as_for_another_cycle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = package(tmp_path, "next")
    _code, out, _ = run(capsys, path, "--json", "--year", "2026", "--today", TODAY)
    excl = next(r for r in lines(out)[0]["results"] if r["id"] == "ELIG-EXCL")
    assert "2026年度" in excl["message"]
    code, _out, err = run(capsys, path, "--year", "1999")
    assert code == 2 and "2000—2100" in err


def test_rate_is_reported_for_many_packages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(10):
        package(tmp_path, f"p{i}", seed=i)
    code, out, err = run(capsys, tmp_path, "--today", TODAY)
    assert code in (0, 1)
    assert out.count("申报包 ") == 10
    assert "检查 10 个申报包" in err and "每秒" in err
    _code, _out, err = run(capsys, tmp_path / "p0", "--today", TODAY)
    assert "每秒" not in err


def test_help_describes_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    out = capsys.readouterr().out
    assert "without importing" in out and "--today" in out and "--json" in out


def test_no_office_database_or_textual(tmp_path: Path) -> None:
    path = package(tmp_path, "pkg")
    home = tmp_path / "home"
    code = (
        "import sys\n"
        "from zcreview.cli import main\n"
        f"rc = main(['check', {str(path)!r}, '--json'])\n"
        "loaded = [m for m in ('textual', 'sqlalchemy', 'sqlmodel', 'zcreview.storage') if m in sys.modules]\n"
        "print(rc, loaded)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ZCREVIEW_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.splitlines()[-1] in ("0 []", "1 []")
    assert not home.exists()


def test_ocr_reads_the_attachments_and_runs_the_evidence_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --ocr the attachments are read by the real model; a diploma naming another school
    is a ✗ EVID-EDU. Without it there are no EVID results at all."""
    pytest.importorskip("rapidocr")
    import io

    from tests.ocr_pages import page_image

    app = make_application(0, titles__0__appointed_years=6)
    basis = app.education.basis or app.education.full_time
    assert basis is not None and basis.attachments
    when = basis.graduated_on
    scan = page_image(
        (
            "毕业证书",
            f"学生 {app.basic.name}",
            "学校：青岛某某职业技术学院",
            f"专业：{basis.major}",
            f"毕业时间：{when.year}年{when.month}月",
        )
    )
    buf = io.BytesIO()
    scan.save(buf, "JPEG", quality=85)
    files = default_files(app)
    files[basis.attachments[0].file] = buf.getvalue()
    path = write_package(tmp_path / "other-school", app, files)

    code, out, _ = run(capsys, path, "--today", TODAY, "--json")
    assert not [r for r in lines(out)[0]["results"] if r["id"].startswith("EVID-")]
    code, out, _ = run(capsys, path, "--today", TODAY, "--json", "--ocr")
    evid = [r for r in lines(out)[0]["results"] if r["id"] == "EVID-EDU"]
    assert any(r["severity"] == "fail" and "青岛" in r["message"] for r in evid), evid
    assert code == 1
