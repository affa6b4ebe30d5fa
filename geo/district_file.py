"""The district settings file (``GRIDGOV_DISTRICT_FILE``, data/district.toml by default): one
reader for its tables, so every part says the same thing when the file cannot be read."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from geo.errors import ConfigError


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the district settings file {path}: {exc}") from None


def district_table(path: Path, name: str) -> dict[str, Any]:
    """The ``[name]`` table of the file (empty when the file has none)."""
    table = _read(path).get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{name}] must be a table")
    return table


def district_tables(path: Path, name: str) -> list[dict[str, Any]]:
    """The ``[[name]]`` array of tables of the file (empty when the file has none)."""
    value = _read(path).get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{path}: {name} must be written as [[{name}]] tables, one per entry")
    return value
