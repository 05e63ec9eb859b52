"""Where an office's home and its settings file are.

Kept free of pydantic: `zcreview.settings` reads and validates the file.
"""

from __future__ import annotations

import os
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
