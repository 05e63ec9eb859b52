"""The installed project claims one top-level import name, `zcreview`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_generic_names_are_not_importable_outside_the_checkout(tmp_path: Path) -> None:
    probe = (
        "import importlib, json\n"
        "out = {}\n"
        "for name in ('screens', 'storage', 'config', 'zcreview.screens.app',"
        " 'zcreview.storage.store', 'zcreview.config'):\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "        out[name] = True\n"
        "    except ModuleNotFoundError:\n"
        "        out[name] = False\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found == {
        "screens": False,
        "storage": False,
        "config": False,
        "zcreview.screens.app": True,
        "zcreview.storage.store": True,
        "zcreview.config": True,
    }


@pytest.mark.slow
def test_wheel_holds_only_the_zcreview_package(tmp_path: Path) -> None:
    # Built from a copy so that the build folders never land in the checkout.
    source = tmp_path / "src"
    shutil.copytree(
        REPO,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "tests", "build", "*.egg-info", "__pycache__"
        ),
    )
    out = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("zcreview-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/", 1)[0] for name in names}
    assert top == {"zcreview", next(t for t in top if t.endswith(".dist-info"))}
    # The folders behind the links travel as real files, with their data.
    assert "zcreview/screens/app.py" in names
    assert "zcreview/screens/zcreview.tcss" in names
    assert "zcreview/storage/store.py" in names
    assert "zcreview/config/catalogue.toml" in names
