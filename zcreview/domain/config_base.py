"""What every configuration model shares: refusing unknown keys, and rows from keyed tables."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


def keyed_rows(value: Any, key: str) -> Any:
    """Turn a TOML table keyed by name into rows carrying that name.

    Keyed tables let a user file override one entry (tables merge, lists replace); the models
    still want ordered rows that know their own name.
    """
    if isinstance(value, dict):
        return [{key: k, **v} if isinstance(v, dict) else v for k, v in value.items()]
    return value


class Frozen(BaseModel):
    """Base of every configuration model: unknown keys are refused so typos in TOML surface."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)
