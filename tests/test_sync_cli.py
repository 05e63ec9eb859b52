"""The sync commands against a `zcreview serve` process: offices, paths, report, sync."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.factories import credit_code
from tests.sync_helpers import (
    LEVEL,
    SERIES,
    YEAR,
    LiveHub,
    free_port,
    passed_app,
    start_hub,
    state_of,
)
from zcreview.cli import main
from zcreview.domain.workflow import State
from zcreview.storage import office
from zcreview.storage.store import open_store


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveHub]:
    hub = start_hub(tmp_path / "hub")
    try:
        yield hub
    finally:
        hub.stop()


REPORT_ALL = (
    "report",
    "--year",
    str(YEAR),
    "--level",
    LEVEL,
    "--series",
    SERIES,
    "--all",
    "--reviewer",
    "王审核",
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def office_home(tmp: Path, name: str, url: str, token: str) -> Path:
    home = tmp / name
    home.mkdir()
    (home / "token").write_text(token + "\n", encoding="utf-8")
    (home / "settings.toml").write_text(
        f'[sync]\ntransport = "http"\nurl = "{url}"\ntoken_file = "token"\n', encoding="utf-8"
    )
    return home


def test_cli_paths_report_and_sync(
    live: LiveHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dept_code = credit_code(org="DEPT0001")
    # The administrator's command, as a real process against the running hub's data directory.
    added = subprocess.run(
        [
            sys.executable,
            "-m",
            "zcreview",
            "hub",
            "office",
            "add",
            "泰安市教育局",
            "--code",
            dept_code,
            "--type",
            "主管部门",
            "--data",
            str(live.data),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    dept_token = added.stdout.strip().splitlines()[-1]
    assert "只显示这一次" in added.stdout and len(dept_token) > 30
    _, unit_token = live.admin.add_office("泰安某中学", credit_code(org="UNKT0001"), "用人单位")
    code, out = run(capsys, "hub", "office", "list", "--data", str(live.data))
    assert code == 0 and dept_code in out and dept_token not in out

    unit = office_home(tmp_path, "unit", live.url, unit_token)
    dept = office_home(tmp_path, "dept", live.url, dept_token)
    store = open_store(unit)
    app_id = passed_app(store, 1)
    with store.session() as s:  # 实名制: only a registered reviewer reports
        office.add_reviewer(session=s, name="王审核")
        s.commit()

    code, out = run(capsys, "--home", str(unit), *REPORT_ALL)
    assert code == 2 and "zcreview path request" in out  # explained before sealing

    code, out = run(
        capsys,
        "--home",
        str(unit),
        "path",
        "request",
        "--series",
        SERIES,
        "--level",
        LEVEL,
        "--upper",
        "泰安教育",
    )
    assert code == 0 and "待审核" in out, out
    code, out = run(capsys, "--home", str(dept), "path", "list")
    assert code == 0 and "待我审核" in out
    path_id = out.split()[0]
    code, out = run(capsys, "--home", str(dept), "path", "reject", path_id)
    assert code == 2 and "原因" in out
    code, out = run(capsys, "--home", str(dept), "path", "approve", path_id)
    assert code == 0 and "审核通过" in out

    code, out = run(capsys, "--home", str(unit), *REPORT_ALL)
    assert code == 0 and "接收 1 份" in out, out
    assert state_of(store, app_id) == State.REPORTED.value
    store.dispose()

    code, out = run(capsys, "--home", str(dept), "sync", "--prefetch")
    assert code == 0 and "收到上报" in out and "已下载附件" in out, out
    code, out = run(capsys, "--home", str(dept), "sync")
    assert code == 0 and "收到上报" not in out

    # The hub out of reach: `path list` shows the last known view and says so.
    (dept / "settings.toml").write_text(
        f'[sync]\ntransport = "http"\nurl = "http://127.0.0.1:{free_port()}"\n'
        'token_file = "token"\n',
        encoding="utf-8",
    )
    code, out = run(capsys, "--home", str(dept), "path", "list", "--give-up-after", "1")
    assert code == 0 and "暂时连不上上报中心" in out and path_id in out and "已通过" in out
    assert "Error" not in out


def test_cli_explains_missing_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--home", str(tmp_path / "nowhere"), "sync")
    assert code == 2 and "[sync]" in out
