"""Hub administration: token rotation and revocation, disabling, renaming, status."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from zcreview.cli import main
from zcreview.hub.core import Hub
from zcreview.hub.errors import HubError
from zcreview.storage import hub_admin

CODE = "11371000MB2852312X"


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    h = Hub.open(tmp_path / "hub")
    yield h
    h.dispose()


def _refused(hub: Hub, token: str) -> bool:
    try:
        hub.authenticate(token)
    except HubError as exc:
        return exc.code == "unauthorized"
    return False


def test_rotate_revoke_disable_enable(hub: Hub) -> None:
    _, first = hub.add_office("威海市人社局", CODE, "人社局", "市直")
    assert hub.authenticate(first).credit_code == CODE

    second = hub_admin.rotate_token(hub.engine, CODE)
    assert second != first
    assert _refused(hub, first)
    assert hub.authenticate(second).credit_code == CODE

    hub_admin.set_active(hub.engine, CODE, False)
    assert _refused(hub, second)
    hub_admin.set_active(hub.engine, CODE, True)
    assert hub.authenticate(second).credit_code == CODE

    hub_admin.revoke_token(hub.engine, CODE)
    assert _refused(hub, second)

    hub_admin.rename(hub.engine, CODE, " 威海市人力资源和社会保障局 ")
    assert [o.name for o in hub.list_offices()] == ["威海市人力资源和社会保障局"]
    with pytest.raises(hub_admin.AdminError, match="没有登记"):
        hub_admin.rotate_token(hub.engine, "91370000000000000X")


def test_status_records_last_contact_and_lag(hub: Hub) -> None:
    _, token = hub.add_office("威海市人社局", CODE, "人社局", "市直")
    [before] = hub_admin.status(hub.engine, CODE)
    assert before.last_seen is None and before.active
    hub.authenticate(token)
    [after] = hub_admin.status(hub.engine)
    assert after.last_seen is not None
    assert (after.batches_open, after.inbox_behind, after.returns_behind) == (0, 0, 0)


def test_admin_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data", str(tmp_path / "hub")]
    assert (
        main(["hub", "office", "add", "威海市人社局", "--code", CODE, "--token-only", *data]) == 0
    )
    token = capsys.readouterr().out.strip()
    assert len(token) >= 40 and "\n" not in token
    assert main(["hub", "office", "rotate", CODE, "--token-only", *data]) == 0
    new = capsys.readouterr().out.strip()
    assert new != token
    assert main(["hub", "office", "disable", CODE, *data]) == 0
    assert main(["hub", "office", "status", *data]) == 0
    out = capsys.readouterr().out
    assert "停用" in out and "从未联系" in out
    assert main(["hub", "office", "rename", "91370000000000000X", "新名", *data]) == 2
    assert "没有登记" in capsys.readouterr().err


def test_served_hub_logs_office_names_and_exposes_metrics(live_hub: Any) -> None:
    _, token = live_hub.admin.add_office("荣成市人社局", "11371082MB2852313X", "人社局", "区县")
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{live_hub.url}/v1/offices?q=荣成", headers=headers).status_code == 200
    assert (
        httpx.get(
            f"{live_hub.url}/v1/offices?q=x", headers={"Authorization": "Bearer no"}
        ).status_code
        == 401
    )

    metrics = httpx.get(f"{live_hub.url}/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'zcreview_hub_requests_total{method="GET",route="/v1/offices",status="200"}' in text
    assert 'route="/v1/offices",status="401"' in text
    assert 'zcreview_hub_offices{active="true"}' in text

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        log = live_hub.log.read_text(encoding="utf-8", errors="replace")
        if "office=荣成市人社局(11371082MB2852313X) GET /v1/offices 200" in log:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(log[-2000:])
    assert "office=- GET /v1/offices 401" in log


def test_hub_commands_never_make_a_new_empty_hub(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZCREVIEW_DB", "postgresql://office@127.0.0.1/office")
    monkeypatch.delenv("ZCREVIEW_HUB_DB", raising=False)
    empty = tmp_path / "nothing-here"
    assert main(["hub", "office", "list", "--data", str(empty)]) == 2
    err = capsys.readouterr().err
    assert "没有数据库 hub.db" in err and "ZCREVIEW_DB 是办公单位的数据库" in err
    assert not (empty / "hub.db").exists()
    assert main(["hub", "office", "status", "--data", str(empty)]) == 2
    code = main(["hub", "office", "list", "--db", "postgresql://nobody@127.0.0.1:1/none"])
    assert code == 2
    err = capsys.readouterr().err
    assert "无法打开上报中心数据库" in err and "Traceback" not in err
