"""Seasonal special campaigns (专项行动: 秋冬季安全生产, 禁煤, 燃气安全 …) from the district file.

A campaign names the inspection kinds it covers, its period and, optionally, the streets it
runs in (names or division codes; none: the whole district). Every open site of those kinds is
to be visited ``visits`` times within the period; ``layers/campaigns.py`` measures progress::

    [[campaigns]]
    name = "秋冬季安全生产专项行动"
    kinds = ["scrap_station", "homestay", "coal_ban"]   # keys, names or aliases of kinds
    start = 2026-10-15
    end = 2027-01-31
    streets = []                                        # optional
    visits = 1                                          # optional: visits per site
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.district_file import district_tables
from geo.errors import ConfigError
from geo.inspection_kinds import InspectionKind, lookup_kind

_KEYS = {"name", "kinds", "start", "end", "streets", "visits"}


@dataclass(frozen=True)
class Campaign:
    name: str
    kinds: tuple[str, ...]  # inspection kind keys
    start: dt.date
    end: dt.date  # inclusive
    streets: tuple[str, ...] = ()  # street names or codes as written; empty: every street
    visits: int = 1  # visits each site is to have within the period

    def days(self) -> int:
        return (self.end - self.start).days + 1

    def elapsed(self, today: dt.date) -> float:
        """The share of the period gone by at the end of ``today`` (0 before, 1 after it)."""
        done = (min(today, self.end) - self.start).days + 1
        return min(1.0, max(0.0, done / self.days()))


def _strings(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return None
    return tuple(v.strip() for v in value)


def _campaign(spec: dict[str, Any], kinds: Mapping[str, InspectionKind], where: str) -> Campaign:
    unknown = set(spec) - _KEYS
    if unknown:
        raise ConfigError(
            f"{where}: unknown keys {sorted(unknown)}; a campaign has {', '.join(sorted(_KEYS))}"
        )
    name, start, end = spec.get("name"), spec.get("start"), spec.get("end")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f'{where}: name is required (e.g. name = "秋冬季安全生产专项行动")')
    if not (isinstance(start, dt.date) and isinstance(end, dt.date)) or isinstance(start, dt.datetime):
        raise ConfigError(f"{where} ({name}): start and end are dates written as 2026-10-15 (no quotes)")
    if end < start:
        raise ConfigError(f"{where} ({name}): end {end} is before start {start}")
    written = _strings(spec.get("kinds"))
    if not written:
        raise ConfigError(f'{where} ({name}): kinds is a list of inspection kinds, e.g. ["coal_ban"]')
    keys = [lookup_kind(k, kinds) for k in written]
    missing = [w for w, k in zip(written, keys, strict=True) if k is None]
    if missing:
        raise ConfigError(f"{where} ({name}): unknown inspection kinds {missing}; known: {', '.join(kinds)}")
    streets, visits = _strings(spec.get("streets", [])), spec.get("visits", 1)
    if streets is None:
        raise ConfigError(f"{where} ({name}): streets is a list of street names or codes (or left out)")
    if not isinstance(visits, int) or isinstance(visits, bool) or not 1 <= visits <= 100:
        raise ConfigError(f"{where} ({name}): visits is a whole number of visits per site, 1 to 100")
    found = tuple(dict.fromkeys(k for k in keys if k is not None))
    return Campaign(name.strip(), found, start, end, streets, visits)


def campaigns_from_file(path: Path, *, kinds: Mapping[str, InspectionKind]) -> tuple[Campaign, ...]:
    """The ``[[campaigns]]`` of the district file, checked against the district's ``kinds``."""
    out = [_campaign(spec, kinds, f"{path}: [[campaigns]] #{i}") for i, spec in enumerate(district_tables(path, "campaigns"), 1)]  # fmt: skip
    names = [c.name for c in out]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"{path}: [[campaigns]] names must differ; used twice: {twice}")
    return tuple(out)
