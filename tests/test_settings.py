"""settings.toml: one documented format that README, the example file and the code agree on."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from zcreview.settings import SettingsError, load_settings
from zcreview.settings.file_format import SettingsFile

REPO = Path(__file__).resolve().parents[1]


def _write(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.toml").write_text(text, encoding="utf-8")


def test_example_file_uncommented_is_valid(tmp_path: Path) -> None:
    text = (REPO / "config" / "settings.example.toml").read_text(encoding="utf-8")
    # Uncomment every "# key = value" and "# [table]" line, keeping the first of repeated keys.
    lines: list[str] = []
    seen: set[tuple[str, str]] = set()
    table = ""
    for line in text.splitlines():
        header = re.match(r"^(?:# )?\[(\w+)\]$", line)
        key = re.match(r"^# (\w+) = (.*?)(?:\s+#.*)?$", line)
        if header:
            table = header.group(1)
            lines.append(f"[{table}]")
        elif key and (table, key.group(1)) not in seen:
            seen.add((table, key.group(1)))
            lines.append(f"{key.group(1)} = {key.group(2)}")
    SettingsFile.model_validate(tomllib.loads("\n".join(lines)))
    assert any(line.startswith("[sync]") for line in lines)


def test_readme_settings_blocks_are_valid() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", readme, re.S)
    assert blocks
    for block in blocks:
        SettingsFile.model_validate(tomllib.loads(block))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[display]\nascii = true\n", "不认识的设置 display"),
        ('[database]\nurl = "postgresql://x/y"\n', "不认识的设置 database"),
        ('[sync]\nhub_url = "https://x"\n', "不认识的设置 sync.hub_url"),
        ('[ui]\nascii = "yes"\n', "ui.ascii 的类型不对（应为 true 或 false）"),
        ('[ui]\ngraphics = "iterm"\n', "ui.graphics 的值无效"),
        ('[sync]\ntransport = "ftp"\n', "sync.transport 的值无效"),
        ("db_url = [1]\n", "db_url 的类型不对"),
        ("[ui\n", "不是有效的 TOML"),
    ],
)
def test_unknown_or_wrong_settings_name_file_and_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    _write(tmp_path, text)
    with pytest.raises(SettingsError) as exc:
        load_settings(tmp_path)
    message = str(exc.value)
    assert expected in message and str(tmp_path / "settings.toml") in message


def test_settings_reach_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZCREVIEW_DB", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    _write(
        tmp_path,
        'db_url = "postgresql://r@db/office"\n[ui]\nascii = true\nreviewer = "王伟"\n'
        '[sync]\ntransport = "folder"\nfolder = "/media/usb"\ninterval = 0\n',
    )
    s = load_settings(tmp_path)
    assert (s.db_url, s.ascii_mode, s.reviewer) == ("postgresql://r@db/office", True, "王伟")
    assert s.extra["sync"] == {"transport": "folder", "folder": "/media/usb", "interval": 0}
    monkeypatch.setenv("ZCREVIEW_DB", "sqlite:///x.db")
    assert load_settings(tmp_path).db_url == "sqlite:///x.db"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # graphics "auto": the terminal is asked before the file is validated
        ("[ui]\nascii = true\ncolour = 1\n", "不认识的设置 ui.colour"),
        ('[ui]\ngraphics = "iterm"\n', "ui.graphics 的值无效"),
        ("[ui\n", "不是有效的 TOML"),
    ],
)
def test_a_bad_settings_file_stops_the_workstation_before_it_opens(
    tmp_path: Path, text: str, expected: str
) -> None:
    """`zcreview` in a terminal: the message names the file and the key, and the workstation
    never takes the screen over (no alternate screen, no queue)."""
    import sys

    from tests.bench.pty_run import PtyProgram

    home = tmp_path / "office"
    _write(home, text)
    prog = PtyProgram(
        [sys.executable, "-m", "zcreview", "--home", str(home)],
        env={"TERM": "xterm-256color", "PYTHONPATH": str(REPO)},
    )
    try:
        out = prog.read_quiet(quiet=5.0, timeout=30.0).decode("utf-8", "replace")
    finally:
        prog.close()
    assert expected in out and str(home / "settings.toml") in out, out
    assert "\x1b[?1049h" not in out and "Traceback" not in out, out


def _load_in_fresh_process(home: Path) -> dict[str, object]:
    """load_settings in a new interpreter: the values and whether pydantic was imported."""
    import json
    import subprocess
    import sys

    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from zcreview.settings import load_settings\n"
        f"s = load_settings(Path({str(home)!r}))\n"
        "print(json.dumps({'validator': 'pydantic' in sys.modules, 'color': s.color_system,"
        " 'ascii': s.ascii_mode, 'keys': s.keys, 'sync': s.extra.get('sync')}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


SETTINGS_TEXT = """
[ui]
color_system = "standard"
ascii = true

[sync]
transport = "folder"
folder = "/media/usb"

[keys]
"queue.pass" = "p"
"""


def test_an_unchanged_file_is_not_validated_again(tmp_path: Path) -> None:
    home = tmp_path / "office"
    _write(home, SETTINGS_TEXT)
    first = _load_in_fresh_process(home)
    again = _load_in_fresh_process(home)
    assert first["validator"] is True and again["validator"] is False
    assert {k: v for k, v in first.items() if k != "validator"} == {
        k: v for k, v in again.items() if k != "validator"
    }
    assert again["color"] == "standard" and again["ascii"] is True
    assert again["keys"] == {"queue.pass": "p"}
    assert again["sync"] == {"transport": "folder", "folder": "/media/usb", "interval": 120}


def test_a_changed_file_is_validated_again(tmp_path: Path) -> None:
    home = tmp_path / "office"
    _write(home, SETTINGS_TEXT)
    load_settings(home)
    _write(home, SETTINGS_TEXT + '\n[display]\ntheme = "dark"\n')
    with pytest.raises(SettingsError, match="display"):
        load_settings(home)


def test_a_damaged_checked_copy_is_validated_again(tmp_path: Path) -> None:
    import json

    from zcreview.settings import CHECKED_FILE

    home = tmp_path / "office"
    _write(home, SETTINGS_TEXT)
    load_settings(home)
    checked = home / CHECKED_FILE
    data = json.loads(checked.read_text(encoding="utf-8"))
    data["values"]["ui"]["color_system"] = "plaid"
    checked.write_text(json.dumps(data), encoding="utf-8")
    assert load_settings(home).color_system == "standard"
    checked.write_text("{not json", encoding="utf-8")
    assert load_settings(home).ascii_mode is True
