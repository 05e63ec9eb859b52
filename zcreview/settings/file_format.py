"""The format of `settings.toml`, validated with pydantic: every key is known, and an unknown key
or table is an error naming the file and the key, so a misspelt setting never silently falls
back to a default. `zcreview.settings` resolves a run's settings from it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from zcreview.settings import ColorSystem, Graphics, SettingsError


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
    return validate_settings_text(path, read_settings_text(path))


def read_settings_text(path: Path) -> str | None:
    """The file's text, None when there is no file; SettingsError when it is not UTF-8."""
    if not path.is_file():
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{path}: 不是有效的 TOML: {exc}") from exc


def validate_settings_text(path: Path, text: str | None) -> SettingsFile:
    """`text` (the file's content, None when there is none) validated as `path`."""
    if text is None:
        return SettingsFile()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: 不是有效的 TOML: {exc}") from exc
    try:
        return SettingsFile.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(_problem_text(path, exc)) from None
