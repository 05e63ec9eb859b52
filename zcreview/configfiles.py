"""Load the shipped configuration from `config/` and overlay the user's files of the same names."""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from platformdirs import user_config_path
from pydantic import ValidationError

from zcreview.config import CONFIG_DIR
from zcreview.domain.catalogue import Config

APP_NAME = "zcreview"
ENV_DIR = "ZCREVIEW_CONFIG_DIR"

SECTIONS: tuple[str, ...] = ("catalogue", "routing", "thresholds", "reasons")
"""Configuration files (`<name>.toml`); each becomes the `Config` field of the same name."""


class ConfigError(Exception):
    """A configuration file cannot be read or does not validate; the message names the file."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def user_config_dir() -> Path:
    """Where the user's overrides live: $ZCREVIEW_CONFIG_DIR, else the platform config dir."""
    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env).expanduser()
    return user_config_path(APP_NAME, appauthor=False)


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`base` with `override` laid over it: tables merge key by key, anything else replaces.

    Neither argument is modified.
    """
    merged = dict(base)
    for key, value in override.items():
        old = merged.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            merged[key] = deep_merge(old, value)
        else:
            merged[key] = value
    return merged


def read_toml(path: Path) -> dict[str, Any]:
    """Parse one TOML file.

    Raises:
        ConfigError: the file cannot be read or is not valid TOML.
    """
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, f"not valid TOML: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, f"cannot be read: {exc}") from exc


def _source(section: str, sources: dict[str, Path]) -> Path:
    return sources.get(section, CONFIG_DIR / f"{section}.toml")


def _validate(raw: dict[str, dict[str, Any]], sources: dict[str, Path]) -> Config:
    # reasons.toml wraps its entries in `[reasons.ID]`, so its one table is the section.
    stray = sorted(set(raw["reasons"]) - {"reasons"})
    if stray:
        raise ConfigError(_source("reasons", sources), f"unknown keys {stray}; use [reasons.ID]")
    data = {**raw, "reasons": raw["reasons"].get("reasons", {})}
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        section = str(first["loc"][0]) if first["loc"] else SECTIONS[0]
        where = ".".join(str(part) for part in first["loc"][1:])
        problem = f"{where}: {first['msg']}" if where else first["msg"]
        more = exc.error_count() - 1
        if more:
            problem += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise ConfigError(_source(section, sources), problem) from exc


@lru_cache(maxsize=1)
def _shipped_raw() -> dict[str, dict[str, Any]]:
    return {name: read_toml(CONFIG_DIR / f"{name}.toml") for name in SECTIONS}


@lru_cache(maxsize=1)
def default_config() -> Config:
    """The shipped configuration alone, parsed once per process.

    Raises:
        ConfigError: a shipped file is broken (a packaging error).
    """
    return _validate(_shipped_raw(), {})


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


# `stamps` also keys the cache, so a file edited, added or removed since is read again.
@lru_cache(maxsize=8)
def _overlaid(user_dir: Path, stamps: tuple[tuple[int, int] | None, ...]) -> Config:
    raw = dict(_shipped_raw())
    sources: dict[str, Path] = {}
    for name, stamp in zip(SECTIONS, stamps, strict=True):
        if stamp is None:
            continue
        path = user_dir / f"{name}.toml"
        raw[name] = deep_merge(raw[name], read_toml(path))
        sources[name] = path
    return _validate(raw, sources)


def load_config(user_dir: Path | None = None) -> Config:
    """The shipped configuration with the user's `catalogue.toml`, `routing.toml`,
    `thresholds.toml` and `reasons.toml` from `user_dir` merged over it.

    `user_dir` defaults to `user_config_dir()`. Missing user files are simply not applied.
    Results are cached per directory and file modification time.

    Raises:
        ConfigError: a user file is not valid TOML or makes the configuration invalid; the error
            names that file.
    """
    folder = user_dir if user_dir is not None else user_config_dir()
    stamps = tuple(_stamp(folder / f"{name}.toml") for name in SECTIONS)
    if all(s is None for s in stamps):
        return default_config()
    return _overlaid(folder, stamps)
