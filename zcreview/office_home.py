"""Where an office's home and its settings file are, and the one setting read before the rest.

Kept free of pydantic: the workstation asks the terminal about pixel graphics as its very first
step (the question runs while everything else loads), and only needs the home and `[ui]
graphics` for it. `zcreview.settings` validates the whole file right after.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

SETTINGS_FILE = "settings.toml"


def default_home() -> Path:
    env = os.environ.get("ZCREVIEW_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("zcreview", appauthor=False))


def resolve_home(home: Path | None) -> Path:
    """The office home for `--home` (None: ZCREVIEW_HOME, else the user's data folder)."""
    return (home or default_home()).expanduser()


def early_graphics_setting(home: Path) -> str | None:
    """`[ui] graphics` of `home`'s settings file, unvalidated ("auto" when not set), or None
    when the file cannot be read as TOML or the value is not text: then the question waits
    for `zcreview.settings`, which names the problem."""
    path = home / SETTINGS_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    ui = data.get("ui", {})
    value = ui.get("graphics", "auto") if isinstance(ui, dict) else None
    return value if isinstance(value, str) else None
