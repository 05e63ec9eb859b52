"""Where an office lives (home, database URL), its display preferences and how it syncs.

`settings.toml` is validated against `zcreview.settings.file_format.SettingsFile` (pydantic). The
validated values are kept beside the file with the file's hash (`settings-checked.json` in the
home): while the file is unchanged, the workstation starts without importing pydantic (about a
twentieth of a second) and takes the values checked last time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast, get_args

import zcreview
from zcreview.office_home import SETTINGS_FILE, default_home, resolve_home

__all__ = ["SETTINGS_FILE", "Settings", "SettingsError", "default_home", "load_settings"]

ColorSystem = Literal["auto", "standard", "256", "truecolor", "none"]
Graphics = Literal["auto", "kitty", "sixel", "none"]
COLOR_SYSTEMS: tuple[ColorSystem, ...] = get_args(ColorSystem)
GRAPHICS: tuple[Graphics, ...] = get_args(Graphics)
CHECKED_FILE = "settings-checked.json"


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


def load_settings(home: Path | None = None, db_url: str | None = None) -> Settings:
    """Resolve settings for `home` (or the default home), reading `home/settings.toml` if present.

    Raises SettingsError for a file that is not valid; the message names the file and the key.
    """
    home = resolve_home(home)
    values = checked_values(home / SETTINGS_FILE)
    ui = values["ui"]
    s = Settings(home=home)
    s.db_url = db_url or os.environ.get("ZCREVIEW_DB") or values["db_url"]
    color = os.environ.get("ZCREVIEW_COLOR") or ui["color_system"]
    if os.environ.get("NO_COLOR"):
        color = "none"
    if color not in COLOR_SYSTEMS:
        raise SettingsError(f"ZCREVIEW_COLOR 不能是 {color!r}")
    s.color_system = cast(ColorSystem, color)
    s.ascii_mode = bool(os.environ.get("ZCREVIEW_ASCII")) or ui["ascii"]
    s.mouse = ui["mouse"]
    s.graphics = ui["graphics"]
    s.reviewer = os.environ.get("ZCREVIEW_REVIEWER") or ui["reviewer"]
    s.keys = dict(values["keys"])
    if values["sync"] is not None:
        s.extra = {"sync": {k: v for k, v in values["sync"].items() if v is not None}}
    return s


def checked_values(path: Path) -> dict[str, Any]:
    """The settings file's values, validated (every key, defaults filled in): taken from the
    checked copy when the file is the one checked last time, else validated now and the copy
    written (when the home exists and is writable)."""
    try:
        raw = path.read_bytes() if path.is_file() else None
    except OSError as exc:
        raise SettingsError(f"{path}: 无法读取: {exc}") from exc
    stamp = _stamp(raw)
    checked = path.with_name(CHECKED_FILE)
    values = _read_checked(checked, stamp)
    if values is not None:
        return values
    from zcreview.settings.file_format import validate_settings_text

    try:
        text = None if raw is None else raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{path}: 不是有效的 TOML: {exc}") from exc
    values = validate_settings_text(path, text).model_dump()
    _write_checked(checked, stamp, values)
    return values


def _stamp(raw: bytes | None) -> str:
    """What a checked copy is valid for: this file content under this version of the format
    (the release, and the module that defines the format, which is only looked at)."""
    digest = hashlib.sha256(raw if raw is not None else b"\0no file")
    digest.update(zcreview.__version__.encode())
    with contextlib.suppress(OSError):
        fmt = Path(__file__).with_name("file_format.py").stat()
        digest.update(f"{fmt.st_size}:{fmt.st_mtime_ns}".encode())
    return digest.hexdigest()


def _read_checked(path: Path, stamp: str) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("stamp") != stamp:
        return None
    values = data.get("values")
    return values if _well_formed(values) else None


def _well_formed(values: object) -> bool:
    """The shape `load_settings` reads (a damaged copy is simply validated again)."""
    if not isinstance(values, dict):
        return False
    ui, keys, sync = values.get("ui"), values.get("keys"), values.get("sync", 0)
    return (
        isinstance(values.get("db_url"), str | None)
        and isinstance(ui, dict)
        and ui.get("color_system") in COLOR_SYSTEMS
        and isinstance(ui.get("ascii"), bool)
        and isinstance(ui.get("mouse"), bool)
        and ui.get("graphics") in GRAPHICS
        and isinstance(ui.get("reviewer"), str | None)
        and isinstance(keys, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in keys.items())
        and (sync is None or isinstance(sync, dict))
    )


def _write_checked(path: Path, stamp: str, values: dict[str, Any]) -> None:
    if not path.parent.is_dir():
        return  # no office here yet: nothing is created just for this
    with contextlib.suppress(OSError):
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"stamp": stamp, "values": values}, ensure_ascii=False))
        tmp.replace(path)
