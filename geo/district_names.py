"""What the data cannot say about the district's names, from the ``[district]`` table of the
district settings file (``GRIDGOV_DISTRICT_FILE``): its English name and the governance centre's
display name. The district's own name and code come from its loaded boundary
(``layers/identity.py``)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from geo.district_file import district_table
from geo.errors import ConfigError

CENTRE_DEFAULT = "{name}综治中心"


@dataclass(frozen=True)
class DistrictNames:
    name_en: str | None = None  # e.g. "Dongcheng District"; None: the Chinese name is shown
    centre_name: str = CENTRE_DEFAULT  # "{name}" is the loaded district's name

    def centre(self, name: str) -> str:
        """The governance centre's display name for the district called ``name``."""
        return self.centre_name.replace("{name}", name)

    @classmethod
    def from_file(cls, path: Path) -> DistrictNames:
        table = district_table(path, "district")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(table) - known)
        bad = sorted(k for k, v in table.items() if k in known and (not isinstance(v, str) or not v.strip()))
        if unknown or bad:
            raise ConfigError(
                f"{path}: [district] has unknown keys {unknown} or values that are not text {bad}; "
                f'known keys: {", ".join(sorted(known))} (e.g. name_en = "Dongcheng District")'
            )
        return cls(**{k: v.strip() for k, v in table.items()})
