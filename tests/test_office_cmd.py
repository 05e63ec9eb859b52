"""`zcreview init` and `zcreview reviewer`: validation, persistence, messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import credit_code
from zcreview.cli import main
from zcreview.storage.office import get_self, list_reviewers
from zcreview.storage.store import open_store


def test_init_and_reviewers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = str(tmp_path / "office")
    code = credit_code()
    assert (
        main(
            [
                "--home",
                home,
                "init",
                "--name",
                "威海市测试局",
                "--code",
                code,
                "--type",
                "主管部门",
                "--level",
                "市直",
            ]
        )
        == 0
    )
    assert main(["reviewer", "add", "王伟", "--home", home]) == 0
    assert main(["--home", home, "reviewer", "add", "李娜"]) == 0
    assert main(["--home", home, "reviewer", "add", "李娜"]) == 2  # already registered
    capsys.readouterr()
    assert main(["--home", home, "reviewer", "list"]) == 0
    out = capsys.readouterr().out
    assert "王伟" in out and "李娜" in out
    store = open_store(Path(home))
    with store.session() as s:
        office = get_self(session=s)
        assert office is not None and office.credit_code == code
        assert [r.name for r in list_reviewers(session=s)] == ["王伟", "李娜"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--code", "91370100MA3C4D5E0X"], "统一社会信用代码"),
        (["--code", "123"], "统一社会信用代码"),
        (["--type", "公司"], "单位类型"),
        (["--level", "乡镇"], "单位层级"),
    ],
)
def test_init_refuses_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    base = {"--name": "测试单位", "--code": credit_code()}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = ["--home", str(tmp_path), "init"] + [x for kv in base.items() for x in kv] + args[2:]
    assert main(argv) == 2
    assert needle in capsys.readouterr().err
