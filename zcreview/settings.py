"""Where an office lives (home, database URL), its display preferences and how it syncs.

`settings.toml` in the office home is validated against `SettingsFile` (pydantic): every key is
known, and an unknown key or table is an error naming the file and the key, so a misspelt setting
never silently falls back to a default.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from zcreview.office_home import SETTINGS_FILE, default_home, resolve_home

__all__ = ["SETTINGS_FILE", "Settings", "SettingsError", "default_home", "load_settings"]

ColorSystem = Literal["auto", "standard", "256", "truecolor", "none"]
Graphics = Literal["auto", "kitty", "sixel", "none"]


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
    graphics: Graphics = "auto"
    reviewer: str | None = None
    keys: dict[str, str] = field(default_factory=dict)
    """Binding id → keys (`[keys]`), checked against the workstation's bindings when it opens."""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def settings_path(self) -> Path:
        return self.home / SETTINGS_FILE


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class UiFile(_Section):
    """`[ui]`: how the workstation draws."""

    color_system: ColorSystem = "256"
    """auto | standard | 256 | truecolor | none (NO_COLOR also works)."""
    ascii: bool = False
    """ASCII borders and symbols, for terminals that draw ambiguous-width characters wide."""
    mouse: bool = False
    """Mouse capture costs bytes over SSH; off unless asked."""
    graphics: Graphics = "auto"
    """auto | kitty | sixel | none: pixel previews where the terminal has them."""
    reviewer: str | None = None
    """The reviewer who uses this workstation (实名制), when several are registered."""


class SyncFile(_Section):
    """`[sync]`: how this office reports upward (see README "Reporting between offices")."""

    transport: Literal["http", "folder"] = "http"
    url: str | None = None
    """The hub, e.g. https://hub.example:8443 (http transport)."""
    token: str | None = None
    token_file: str | None = None
    """A file holding the token; relative paths are relative to the office home."""
    ca_file: str | None = None
    """A private CA's certificate to verify the hub with; relative to the office home."""
    folder: str | None = None
    """The exchange folder (folder transport): a USB stick or shared drive."""
    interval: int = Field(default=120, ge=0)
    """Seconds between background syncs in the workstation; 0 = on demand."""


class SettingsFile(_Section):
    """The whole `settings.toml`: every key is known; an unknown one is an error."""

    db_url: str | None = None
    """The office database, e.g. postgresql://reviewer@db/office; SQLite in the home by default."""
    ui: UiFile = UiFile()
    sync: SyncFile | None = None
    keys: dict[str, str] = Field(default_factory=dict)
    """`[keys]`: a binding's id (as `?` help lists it) → its new key or keys, e.g.
    `"queue.pass" = "p"` or `"queue.open" = "enter,o"`."""


def _problem_text(path: Path, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"]) or "(文件)"
        kind = err["type"]
        if kind == "extra_forbidden":
            lines.append(f"{path}: 不认识的设置 {key}（拼写有误，或不属于这一节？）")
        elif kind == "literal_error":
            allowed = err.get("ctx", {}).get("expected", "")
            lines.append(f"{path}: {key} 的值无效，应为 {allowed}")
        elif kind.endswith("_type") or kind.endswith("_parsing"):
            lines.append(f"{path}: {key} 的类型不对（{_TYPE_WORDS.get(kind, kind)}）")
        else:
            lines.append(f"{path}: {key} 的值无效")
    return "\n".join(lines)


_TYPE_WORDS = {
    "string_type": "应为字符串",
    "bool_type": "应为 true 或 false",
    "int_type": "应为整数",
    "model_type": "应为表（[节]）",
    "dict_type": "应为表（[节]）",
}


def read_settings_file(path: Path) -> SettingsFile:
    """`settings.toml` validated (defaults when it does not exist).

    Raises:
        SettingsError: not TOML, an unknown key or table, or a value of the wrong kind; the
            message names the file and the key.
    """
    if not path.is_file():
        return SettingsFile()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: 不是有效的 TOML: {exc}") from exc
    try:
        return SettingsFile.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(_problem_text(path, exc)) from None


def load_settings(home: Path | None = None, db_url: str | None = None) -> Settings:
    """Resolve settings for `home` (or the default home), reading `home/settings.toml` if present."""
    home = resolve_home(home)
    path = home / SETTINGS_FILE
    file = read_settings_file(path)
    ui = file.ui
    s = Settings(home=home)
    s.db_url = db_url or os.environ.get("ZCREVIEW_DB") or file.db_url
    color = os.environ.get("ZCREVIEW_COLOR") or ui.color_system
    if os.environ.get("NO_COLOR"):
        color = "none"
    if color not in ("auto", "standard", "256", "truecolor", "none"):
        raise SettingsError(f"ZCREVIEW_COLOR 不能是 {color!r}")
    s.color_system = color  # type: ignore[assignment]
    s.ascii_mode = bool(os.environ.get("ZCREVIEW_ASCII")) or ui.ascii
    s.mouse = ui.mouse
    s.graphics = ui.graphics
    s.reviewer = os.environ.get("ZCREVIEW_REVIEWER") or ui.reviewer
    s.keys = dict(file.keys)
    if file.sync is not None:
        s.extra = {"sync": file.sync.model_dump(exclude_none=True)}
    return s
