"""Transports per direction: a department reports upward over HTTP (a real `zcreview serve` on a
loopback port) and serves a unit below it that brings folder bundles on a USB stick — without
touching its settings.toml. Run with the department's database on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from tests.bundle_helpers import bundle_pair, make_side, seal
from tests.factories import credit_code
from tests.pilot_helpers import press_into, settle
from tests.sync_helpers import (
    LEVEL,
    SERIES,
    SOON,
    YEAR,
    LiveHub,
    Net,
    first_file,
    free_port,
    open_path,
    pass_here,
    passed_app,
    report,
    return_here,
    state_of,
)
from tests.sync_screen_helpers import cell_texts, office_app, sync_once
from zcreview.cli import main
from zcreview.domain.workflow import State
from zcreview.protocol import Correction
from zcreview.screens.confirm import ConfirmScreen
from zcreview.screens.outbox import OutboxScreen
from zcreview.screens.paths import PathsScreen
from zcreview.storage import applications
from zcreview.storage.office import add_reviewer, init_office
from zcreview.storage.store import open_store
from zcreview.storage.sync_tables import SyncPath
from zcreview.sync import routes
from zcreview.sync.bundle_files import BundleError
from zcreview.sync.bundle_import import import_dir
from zcreview.sync.bundle_trust import export_key, trust
from zcreview.sync.delivery import drive
from zcreview.sync.http import HttpTransport
from zcreview.sync.inbox import pull_inbox, pull_returns
from zcreview.sync.paths import decide_path, refresh_paths, request_path
from zcreview.sync.transport import AwaitingReceipt


def run(capsys: pytest.CaptureFixture[str], home: Path, *argv: str) -> tuple[int, str]:
    code = main(["--home", str(home), *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_http_upward_and_a_usb_office_below(
    live_hub: LiveHub, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = live_hub
    # One hub serves both backends' runs: codes and names of their own.
    tag = uuid.uuid4().hex[:8].upper()  # hex: all in the credit-code alphabet
    dept_name, dept_code = f"荣成市工业和信息化局{tag}", credit_code(org=tag)
    bureau_name, bureau_code = f"荣成市人力资源和社会保障局{tag}", credit_code(org=tag[::-1])
    _, dept_token = hub.admin.add_office(dept_name, dept_code, "主管部门", "区县")
    _, bureau_token = hub.admin.add_office(bureau_name, bureau_code, "人社局", "区县")

    # The department: HTTP upward, its database on this run's backend.
    dept = tmp_path / "dept"
    store = open_store(dept, db_url)
    with store.session() as s:
        init_office(
            session=s, name=dept_name, credit_code=dept_code, office_type="主管部门",
            office_level="区县",
        )  # fmt: skip
        add_reviewer(session=s, name="王审核")
        s.commit()
    settings = (
        f'db_url = "{db_url}"\n\n[sync]\ntransport = "http"\nurl = "{hub.url}"\n'
        f'token = "{dept_token}"\n'
    )
    (dept / "settings.toml").write_text(settings, encoding="utf-8")
    # The unit below: folder bundles on a stick.
    usb = tmp_path / "usb" / "zcreview"
    usb.parent.mkdir()
    unit = make_side(tmp_path, "荣成某海洋食品有限公司", tag[1:] + "A", usb)
    with unit.store.session() as s:
        add_reviewer(session=s, name="张审核")
        s.commit()
    # The bureau above: a hub office (its own transport), SQLite.
    bureau = HttpTransport(hub.url, bureau_token, give_up_after=20, backoff_base=0.05)
    bureau_store = open_store(tmp_path / "bureau")
    with bureau_store.session() as s:
        init_office(
            session=s, name=bureau_name, credit_code=bureau_code, office_type="人社局",
            office_level="区县",
        )  # fmt: skip
        s.commit()

    # Keys exchanged as people do, by key files.
    keys = tmp_path / "keys"
    keys.mkdir()
    for home, code in ((dept, dept_code), (unit.home, unit.code)):
        assert run(capsys, home, "bundle", "key", "export", "--out", str(keys / code))[0] == 0
    assert run(capsys, unit.home, "bundle", "trust", dept_name, str(keys / dept_code))[0] == 0
    assert run(capsys, dept, "bundle", "trust", unit.code, str(keys / unit.code))[0] == 0

    # 路径 from below by bundle, decided by the department while it is configured for HTTP.
    code, out = run(
        capsys, unit.home, "path", "request", "--series", SERIES, "--level", LEVEL,
        "--upper", dept_name, "--year", str(YEAR),
    )  # fmt: skip
    assert code == 0 and "待审核" in out, out
    code, out = run(capsys, dept, "bundle", "import", str(usb))
    assert code == 0 and "路径申请" in out and "已导入" in out, out
    code, out = run(capsys, dept, "path", "list")
    assert code == 0 and "待我审核" in out and "经文件夹" in out, out
    [line] = [ln for ln in out.splitlines() if "待我审核" in ln]
    path_id = line.split("\t")[0]
    code, out = run(capsys, dept, "path", "approve", path_id)
    assert code == 0 and "审核通过" in out, out
    assert (usb / "paths" / path_id / "decision.json").is_file()

    # The department's own path upward, over HTTP, approved by the bureau.
    code, out = run(
        capsys, dept, "path", "request", "--series", SERIES, "--level", LEVEL,
        "--upper", bureau_name, "--year", str(YEAR),
    )  # fmt: skip
    assert code == 0 and "待审核" in out, out
    [up_path] = [p for p in refresh_paths(bureau_store, bureau) if p.role == "upper"]
    decide_path(bureau_store, bureau, up_path.path_id, approve=True)
    code, out = run(capsys, dept, "path", "list")
    assert "经上报服务器" in next(ln for ln in out.splitlines() if up_path.path_id in ln), out

    # The unit reports a batch by bundle (its sync reads the approval off the stick first).
    code, out = run(capsys, unit.home, "sync")
    assert code == 0, out
    probe = passed_app(unit.store, 31)
    a1 = passed_app(unit.store, 32, big={first_file(probe, unit.store): b"S" * 600_000})
    a2 = passed_app(unit.store, 33)
    with unit.store.session() as s:
        id_number = applications.load_revision(a1, session=s).basic.id_number
    code, out = run(
        capsys, unit.home, "report", "--year", str(YEAR), "--level", LEVEL, "--series", SERIES,
        "--reviewer", "张审核", a1, a2,
    )  # fmt: skip
    assert code == 0 and "等待" in out, out
    raw = b"".join(p.read_bytes() for p in usb.rglob("*") if p.is_file())
    assert id_number.encode() not in raw  # encrypted to the department

    # The department's sync (HTTP upward) picks the batch off the stick and receives it.
    code, out = run(capsys, dept, "sync")
    assert code == 0 and "接收 2 份" in out, out
    dept_store = open_store(dept, db_url)
    try:
        assert {state_of(dept_store, a) for a in (a1, a2)} == {State.PENDING.value}
        # It returns one: the return goes down by bundle, the way the application came.
        return_here(dept_store, a1, [Correction(item="basic.phone", reason="手机号有误")], SOON)
        pass_here(dept_store, a2)
    finally:
        dept_store.dispose()
    code, out = run(capsys, dept, "sync")
    assert code == 0 and f"已退回下级：{a1}" in out, out
    assert list((usb / "returns").iterdir())

    # The return and the receipt reach the unit by bundle.
    code, out = run(capsys, unit.home, "sync")
    assert code == 0, out
    assert state_of(unit.store, a1) == State.RETURNED_FROM_ABOVE.value
    assert state_of(unit.store, a2) == State.REPORTED.value

    # And the department reports upward over HTTP: the bureau receives it.
    code, out = run(
        capsys, dept, "report", "--year", str(YEAR), "--level", LEVEL, "--series", SERIES,
        "--reviewer", "王审核", a2,
    )  # fmt: skip
    assert code == 0 and "接收 1 份" in out, out
    assert [r.application_id for r in pull_inbox(bureau, bureau_store)] == [a2]
    bureau.close()
    bureau_store.dispose()
    unit.store.dispose()
    store.dispose()


@pytest.mark.anyio
async def test_screens_show_each_direction_and_decide_a_bundle_request(
    live_hub: LiveHub, tmp_path: Path
) -> None:
    """The department (HTTP upward) sees the unit's bundle request on its 路径 screen marked
    文件夹, with the unit named as a folder office; approving it there writes the decision onto
    the stick; a bundle batch synced in the background lands in its queue; its own batch
    upward shows 上报服务器 in the 发件箱."""
    net = Net(live_hub.admin, tmp_path, url=live_hub.url)
    tag = uuid.uuid4().hex[:6].upper()
    dept = net.office(f"文登区工业和信息化局{tag}", "主管部门")
    bureau = net.office(f"文登区人力资源和社会保障局{tag}", "人社局")
    usb = tmp_path / "usb"
    usb.mkdir()
    unit = make_side(tmp_path, f"文登某纺织有限公司{tag}", tag + "U1", usb)
    trust(unit.store, dept.name, export_key(dept.store))
    trust(dept.store, unit.code, export_key(unit.store))
    info = request_path(unit.store, unit.transport, SERIES, LEVEL, dept.name, YEAR)
    assert [r.kind for r in import_dir(dept.store, usb)] == ["path-request"]
    open_path(dept, bureau, bureau.name)

    app = office_app(net, dept)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await press_into(pilot, "P", PathsScreen)
        table = screen.query_one(DataTable)
        rows = {str(r[0]): (str(r[2]), str(r[5])) for r in map(table.get_row_at, range(2))}
        assert rows["待我审核"] == ("文件夹", unit.name)
        assert rows["本单位申请"] == ("上报服务器", bureau.name)
        status = str(screen.query_one("#paths-status", Static).render())
        assert f"{unit.name}（文件夹 {usb.resolve()}）" in status
        table.move_cursor(row=[str(table.get_row_at(i)[0]) for i in range(2)].index("待我审核"))
        await pilot.press("a", "y")  # typed ahead, as someone who knows the dialog does
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert "已通过" in cell_texts(app.screen.query_one(DataTable), 1)
        assert (usb / "paths" / str(info.path_id) / "decision.json").is_file()

        # The unit reads the decision and reports by bundle; the department's background
        # cycle imports it from the stick although it reports upward over HTTP.
        assert [i.kind for i in import_dir(unit.store, usb)] == ["path-decision"]
        a1 = passed_app(unit.store, 41)
        batch = seal(unit, [a1])
        with pytest.raises(AwaitingReceipt):
            drive(batch, unit.transport, unit.store)
        await sync_once(pilot)
        assert state_of(dept.store, a1) == State.PENDING.value
        assert (usb / "receipts" / batch / "receipt.json").is_file()

        pass_here(dept.store, a1)
        report(dept, [a1])
        await pilot.press("q")
        await settle(pilot)
        await pilot.press("U")  # 数据上报, then its 发件箱
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen)
        outbox = app.screen.query_one("#outbox-table", DataTable)
        assert cell_texts(outbox, 5) == ["上报服务器"]
        detail = str(app.screen.query_one("#outbox-detail", Static).render())
        assert f"{unit.name}（文件夹" in detail
    unit.store.dispose()
    net.close()


def test_folder_upward_and_an_http_office_below(
    live_hub: LiveHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The other way round: a department reports upward on a stick and its unit reports to the
    hub; with `url` and `token` beside `folder` the department serves the unit through the hub."""
    net = Net(live_hub.admin, tmp_path, url=live_hub.url)
    tag = uuid.uuid4().hex[:6].upper()
    unit = net.office(f"乳山某船舶配件有限公司{tag}")
    dept = net.office(f"乳山市工业和信息化局{tag}", "主管部门")
    with dept.store.session() as s:
        add_reviewer(session=s, name="王审核")
        s.commit()
    home = dept.store.home
    settings = (
        f'[sync]\ntransport = "folder"\nfolder = "{tmp_path / "usb"}"\n'
        f'url = "{live_hub.url}"\ntoken = "{dept.token}"\n'
    )
    (home / "settings.toml").write_text(settings, encoding="utf-8")
    (tmp_path / "usb").mkdir()

    info = request_path(unit.store, unit.transport, SERIES, LEVEL, dept.name, YEAR)
    code, out = run(capsys, home, "path", "list")
    [line] = [ln for ln in out.splitlines() if str(info.path_id) in ln]
    assert "待我审核" in line and "经上报服务器" in line, out
    code, out = run(capsys, home, "path", "approve", str(info.path_id))
    assert code == 0 and "审核通过" in out, out
    assert [p.state for p in refresh_paths(unit.store, unit.transport)] == ["approved"]

    a1 = passed_app(unit.store, 51)
    report(unit, [a1])
    code, out = run(capsys, home, "sync")
    assert code == 0 and "收到上报" in out, out
    return_here(dept.store, a1, [Correction(item="basic.phone", reason="手机号有误")], SOON)
    code, out = run(capsys, home, "sync")
    assert code == 0 and f"已退回下级：{a1}" in out, out
    assert not (tmp_path / "usb" / "returns").exists()  # by the hub, not onto the stick
    assert [a.applied for a in pull_returns(unit.transport, unit.store)] == [True]
    net.close()


def test_answers_wait_for_the_stick(tmp_path: Path) -> None:
    """A decision made and a return queued while the lower office's stick is out are written
    onto it by the next sync once it is back; nothing is lost or written twice."""
    with bundle_pair(tmp_path) as (unit, dept):
        a1 = passed_app(unit.store, 61)
        batch = seal(unit, [a1])
        with pytest.raises(AwaitingReceipt):
            drive(batch, unit.transport, unit.store)
        info = request_path(unit.store, unit.transport, SERIES, "副高级", dept.name, YEAR)
        imported = routes.import_from_below(dept.store, dept.transport)
        assert sorted(i.kind for i in imported if i.changed) == ["batch", "path-request"]
        return_here(dept.store, a1, [Correction(item="basic.phone", reason="手机号有误")], SOON)

        stick = unit.usb.parent
        stick.rename(tmp_path / "stick-out")  # pulled out
        with pytest.raises(BundleError, match=r"审核结果已记录.*插入 U 盘后运行 zcreview sync"):
            routes.decide_path(dept.store, dept.transport, str(info.path_id), True)
        with dept.store.session() as s:
            row = s.get(SyncPath, str(info.path_id))
            assert row is not None and (row.state, row.via) == ("approved", "folder")
        assert routes.push_returns(dept.store, dept.transport) == []  # waits, still queued

        (tmp_path / "stick-out").rename(stick)  # back in
        routes.import_from_below(dept.store, dept.transport)
        assert [r.application_id for r in routes.push_returns(dept.store, dept.transport)] == [a1]
        assert routes.push_returns(dept.store, dept.transport) == []
        got = {i.kind: i for i in import_dir(unit.store, unit.usb)}
        assert got["path-decision"].note == "approved" and got["return"].changed
        assert state_of(unit.store, a1) == State.RETURNED_FROM_ABOVE.value


def test_the_hub_out_of_reach_does_not_stop_the_sticks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A department configured for HTTP whose hub is unreachable still imports the unit's
    stick and writes its return onto it; only the hub's part of the sync fails, saying so."""
    with bundle_pair(tmp_path) as (unit, dept):
        dead = f"http://127.0.0.1:{free_port()}"
        (dept.home / "settings.toml").write_text(
            f'[sync]\ntransport = "http"\nurl = "{dead}"\ntoken = "x"\n', encoding="utf-8"
        )
        a1 = passed_app(unit.store, 71)
        batch = seal(unit, [a1])
        with pytest.raises(AwaitingReceipt):
            drive(batch, unit.transport, unit.store)
        code, out = run(capsys, dept.home, "sync", "--give-up-after", "1")
        assert code == 2 and "接收 1 份" in out and "连不上上报服务器" in out, out
        return_here(dept.store, a1, [Correction(item="basic.phone", reason="手机号有误")], SOON)
        code, out = run(capsys, dept.home, "sync", "--give-up-after", "1")
        assert code == 2 and f"已退回下级：{a1}" in out and "写入文件夹" in out, out
        assert [i.kind for i in import_dir(unit.store, unit.usb) if i.changed] == [
            "receipt",
            "return",
        ]
        assert state_of(unit.store, a1) == State.RETURNED_FROM_ABOVE.value
