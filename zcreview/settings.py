"""Where an office lives (home, database URL) and the user's display preferences."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir

ColorSystem = Literal["auto", "standard", "256", "truecolor", "none"]
SETTINGS_FILE = "settings.toml"


class SettingsError(ValueError):
    """A settings file that cannot be used; the message names the file and the problem."""


@dataclass
class Settings:
    """Resolved settings of one run. Precedence: command line > environment > file > default."""

    home: Path
    db_url: str | None = None
    color_system: ColorSystem = "256"
    ascii_mode: bool = False
    mouse: bool = False
    graphics: Literal["auto", "kitty", "sixel", "none"] = "auto"
    reviewer: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def settings_path(self) -> Path:
        return self.home / SETTINGS_FILE


def default_home() -> Path:
    env = os.environ.get("ZCREVIEW_HOME")
    if env:
        return Path(env).expanduser()
    return Path(user_data_dir("zcreview", appauthor=False))


def load_settings(home: Path | None = None, db_url: str | None = None) -> Settings:
    """Resolve settings for `home` (or the default home), reading `home/settings.toml` if present."""
    home = (home or default_home()).expanduser()
    data: dict[str, object] = {}
    path = home / SETTINGS_FILE
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: 不是有效的 TOML: {exc}") from exc
    ui = data.get("ui", {})
    if not isinstance(ui, dict):
        raise SettingsError(f"{path}: [ui] 应为表")
    s = Settings(home=home)
    s.db_url = db_url or os.environ.get("ZCREVIEW_DB") or _str(data.get("db_url"), path, "db_url")
    color = os.environ.get("ZCREVIEW_COLOR") or ui.get("color_system", s.color_system)
    if os.environ.get("NO_COLOR"):
        color = "none"
    if color not in ("auto", "standard", "256", "truecolor", "none"):
        raise SettingsError(f"{path}: ui.color_system 不能是 {color!r}")
    s.color_system = color  # type: ignore[assignment]
    s.ascii_mode = bool(os.environ.get("ZCREVIEW_ASCII")) or bool(ui.get("ascii", False))
    s.mouse = bool(ui.get("mouse", False))
    graphics = ui.get("graphics", "auto")
    if graphics not in ("auto", "kitty", "sixel", "none"):
        raise SettingsError(f"{path}: ui.graphics 不能是 {graphics!r}")
    s.graphics = graphics
    s.reviewer = os.environ.get("ZCREVIEW_REVIEWER") or _str(ui.get("reviewer"), path, "reviewer")
    s.extra = {k: v for k, v in data.items() if k not in ("ui", "db_url")}
    return s


def _str(value: object, path: Path, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SettingsError(f"{path}: {key} 应为字符串")
    return value
