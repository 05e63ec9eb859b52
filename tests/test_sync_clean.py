"""What arrives from another office is cleaned as intake cleans it, and never reaches a terminal raw."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.factories import application_dict, credit_code
from tests.sync_helpers import LEVEL, SERIES, YEAR, passed_app
from tests.test_sync_bundles import make_side, write_bundle
from tests.test_sync_cli import REPORT_ALL, office_home, run
from zcreview.storage.applications import load_revision
from zcreview.storage.office import add_reviewer
from zcreview.storage.store import open_store
from zcreview.sync.bundle_import import import_dir
from zcreview.sync.bundle_trust import export_key, trust
from zcreview.sync.paths import decide_path, refresh_paths, request_path

HOSTILE = "\x1b]0;pwned\x07\x1b[31m"
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def test_escapes_from_below_never_reach_the_terminal_or_the_store(
    live_hub: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live = live_hub
    dept_code = credit_code(org="CLEAN001")
    _, dept_token = live.admin.add_office(f"泰安市{HOSTILE}教育局", dept_code, "主管部门")
    _, unit_token = live.admin.add_office(f"泰安{HOSTILE}某中学", credit_code(org="CLEAN002"))
    unit = office_home(tmp_path, "unit", live.url, unit_token)
    dept = office_home(tmp_path, "dept", live.url, dept_token)
    store = open_store(unit)
    # Written straight into the lower office's store, as an older or hostile office might.
    app_id = passed_app(store, 3, basic__name=f"张{HOSTILE}伟", work_summary=f"甲\n乙{HOSTILE}")
    with store.session() as s:  # 实名制: only a registered reviewer reports
        add_reviewer(session=s, name="王审核")
        s.commit()
    rows = [application_dict(0)["work_history"][0]] * 60
    absurd_id = passed_app(store, 4, work_history=rows)
    store.dispose()

    outputs: list[str] = []

    def cli(home: Path, *argv: str) -> tuple[int, str]:
        code, out = run(capsys, "--home", str(home), *argv)
        outputs.append(out)
        return code, out

    code, out = cli(
        unit, "path", "request", "--series", SERIES, "--level", LEVEL, "--upper", "教育局"
    )
    assert code == 0, out
    code, out = cli(dept, "path", "list")
    assert code == 0 and "泰安某中学" in out, out
    code, out = cli(dept, "path", "approve", out.split()[0])
    assert code == 0, out
    code, out = cli(unit, *REPORT_ALL)
    assert code == 1 and "接收 1 份，拒收 1 份" in out, out
    # The hub refuses the absurd application with the shared step's reason, naming the field.
    assert absurd_id in out and "work_history" in out and "超过上限" in out, out
    code, out = cli(dept, "sync")
    assert code == 0 and "收到上报：张伟" in out, out

    for text in outputs:
        assert not RAW_CONTROL.search(text), repr(text)
    upper = open_store(dept)
    try:
        with upper.session() as s:
            got = load_revision(app_id, session=s)
    finally:
        upper.dispose()
    assert got.basic.name == "张伟"
    assert got.work_summary == "甲\n乙"


def test_bundle_import_cleans_and_prints_nothing_raw(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    usb = tmp_path / "usb" / "zcreview"
    usb.parent.mkdir()
    unit = make_side(tmp_path, f"威海{HOSTILE}某电子有限公司", "A2000001", usb)
    dept = make_side(tmp_path, "威海市工业和信息化局", "D2000001", usb, "主管部门")
    try:
        trust(unit.store, dept.name, export_key(dept.store))
        trust(dept.store, unit.code, export_key(unit.store))
        info = request_path(unit.store, unit.transport, SERIES, LEVEL, "工业和信息化", YEAR)
        import_dir(dept.store, usb)
        decide_path(dept.store, dept.transport, str(info.path_id), approve=True)
        refresh_paths(unit.store, unit.transport)
        app_id = passed_app(unit.store, 5, basic__name=f"李{HOSTILE}娜")
        write_bundle(unit, [app_id])
        code, out = run(capsys, "--home", str(dept.home), "bundle", "import", str(usb))
        assert code == 0 and "收到上报：李娜" in out, out
        assert not RAW_CONTROL.search(out), repr(out)
        with dept.store.session() as s:
            assert load_revision(app_id, session=s).basic.name == "李娜"
    finally:
        unit.store.dispose()
        dept.store.dispose()
