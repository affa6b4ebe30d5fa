"""The district settings file (``GRIDGOV_DISTRICT_FILE``, data/district.toml by default): one
reader for its tables, so every part says the same thing when the file cannot be read."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from geo.errors import ConfigError


def district_table(path: Path, name: str) -> dict[str, Any]:
    """The ``[name]`` table of the file (empty when the file has none)."""
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get(name, {})
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the district settings file {path}: {exc}") from None
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{name}] must be a table")
    return table
