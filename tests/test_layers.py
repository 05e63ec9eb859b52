"""The layer contract: only `screens` (and the CLI, lazily) import Textual."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import tomli_w

REPO = Path(__file__).resolve().parents[1]

_PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
print(json.dumps(sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))))
"""


def _textual_modules(*modules: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *modules],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


def test_import_linter_contracts_hold(tmp_path: Path) -> None:
    """`lint-imports` passes the layers and the Textual ban configured in pyproject.toml.

    import-linter refuses a `forbidden` contract on an external package (textual) unless
    `include_external_packages` is set, so the project's contracts are run from a copy of the
    configuration with that switch on (a no-op once pyproject.toml sets it itself).
    """
    exe = shutil.which("lint-imports")
    if exe is None:
        pytest.skip("import-linter is not installed")
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    linter = config["tool"]["importlinter"]
    assert linter["contracts"], "no import-linter contracts configured"
    linter.setdefault("include_external_packages", True)
    path = tmp_path / "importlinter.toml"
    path.write_bytes(tomli_w.dumps({"tool": {"importlinter": linter}}).encode())
    result = subprocess.run(
        [exe, "--config", str(path), "--no-cache"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower() or "0 broken" in result.stdout.lower()


def test_core_packages_do_not_load_textual() -> None:
    """Importing the domain, storage, intake and the CLI leaves Textual unloaded."""
    modules = [
        "zcreview.domain.model",
        "zcreview.domain.workflow",
        "zcreview.storage.store",
        "zcreview.storage.queue",
        "zcreview.storage.applications",
        "zcreview.intake",
        "zcreview.cli",
        "zcreview.context",
    ]
    assert _textual_modules(*modules) == []


@pytest.mark.parametrize("argv", [["schema"], ["--help"]])
def test_non_ui_commands_do_not_load_textual(argv: list[str]) -> None:
    """`zcreview schema` and `--help` run without Textual in sys.modules."""
    code = (
        "import contextlib, io, json, sys\n"
        "from zcreview.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        main({argv!r})\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_screens_do_load_textual() -> None:
    """The probe itself works: importing the app module does bring Textual in."""
    assert "textual" in _textual_modules("zcreview.screens.app")


def _top_level_modules() -> set[str]:
    """`zcreview.X` for every module and package directly under the installed package."""
    package = REPO / "zcreview"
    names = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    names |= {p.name for p in package.iterdir() if (p / "__init__.py").is_file()}
    return {f"zcreview.{n}" for n in names}


def _contract(name_start: str) -> dict[str, object]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return next(c for c in contracts if str(c["name"]).startswith(name_start))


def test_layers_name_every_top_level_module_once() -> None:
    """A module no layer names is under no layering rule at all: each must sit in exactly one."""
    layers = _contract("Layers")["layers"]
    assert isinstance(layers, list)
    named = [m.strip() for layer in layers for m in str(layer).split("|")]
    assert sorted(m for m in set(named) if named.count(m) > 1) == []
    assert sorted(_top_level_modules() - set(named)) == []
    assert sorted(set(named) - _top_level_modules()) == []


def test_textual_ban_covers_every_module_but_the_ui() -> None:
    """Only the screens, the CLI that opens them and `__main__` may load Textual."""
    banned = _contract("Only screens")["source_modules"]
    assert isinstance(banned, list)
    ui = {"zcreview.screens", "zcreview.cli", "zcreview.__main__"}
    assert sorted(_top_level_modules() - ui - set(banned)) == []
