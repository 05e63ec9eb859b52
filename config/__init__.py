"""Shipped default configuration: catalogue, routing, thresholds and return reasons (TOML)."""

from pathlib import Path

CONFIG_DIR = Path(__file__).parent
