"""How inspection plans estimate a working day, from the ``[inspections]`` table of the
district settings file (data/district.toml)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from geo.district_file import district_table
from geo.errors import ConfigError


@dataclass(frozen=True)
class InspectionSettings:
    speed_kmh: float = 4.5  # walking; e-bikes about 12
    minutes_per_visit: float = 20
    recheck_days: int = 7  # a hazard recorded without a deadline is rechecked after this long

    def minutes(self, metres: float, visits: int) -> float:
        """Estimated minutes for a round of ``metres`` with ``visits`` stops."""
        return metres / (self.speed_kmh * 1000 / 60) + visits * self.minutes_per_visit

    @classmethod
    def from_file(cls, path: Path) -> InspectionSettings:
        table = district_table(path, "inspections")
        known = {f.name: f.type for f in fields(cls)}
        unknown = set(table) - set(known)
        bad = [k for k, v in table.items() if k in known and (not isinstance(v, int | float) or v <= 0)]
        if unknown or bad:
            raise ConfigError(
                f"{path}: [inspections] has unknown keys {sorted(unknown)} or values that are not positive numbers "
                f"{sorted(bad)}; known keys: {', '.join(known)}"
            )
        return cls(**table)
