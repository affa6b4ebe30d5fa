"""Whose dashboard this is: the loaded district's name, code and extent (from its current
boundary, table ``district``), the names the data cannot give (``[district]`` of the district
file), and whether the demo is what is loaded. Every title, heading and default map view is
drawn from an :class:`Identity`; before any district is loaded it is the neutral one."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.district_names import DistrictNames
from layers.extent import Extent, extent
from layers.scope import Scope

NEUTRAL_ZH, NEUTRAL_EN = "网格治理", "Grid governance"
_DISTRICT = sa.text("""
SELECT name, code,
       (SELECT count(*) FROM street WHERE valid_to IS NULL) AS streets,
       (SELECT count(*) FROM community WHERE valid_to IS NULL AND kind = 'community') AS communities,
       (SELECT count(*) FROM community WHERE valid_to IS NULL AND kind = 'village') AS villages
FROM district WHERE valid_to IS NULL ORDER BY id DESC LIMIT 1""")
# `gridgov demo` records its finished load as an ingest_run of kind 'demo' and loads its district
# boundary as source 'demo' (ingest/demo/): the demo is what is loaded when that load finished
# and no district boundary has been loaded from another source since.
_DEMO = sa.text("""
SELECT EXISTS (SELECT 1 FROM ingest_run WHERE kind = 'demo' AND status = 'done')
   AND coalesce((SELECT source = 'demo' FROM ingest_run WHERE kind = 'boundaries:district' AND status = 'done'
                 ORDER BY id DESC LIMIT 1), false)""")


@dataclass(frozen=True)
class Identity:
    """The loaded district as the pages name it (``name`` None: nothing loaded yet)."""

    name: str | None = None
    code: str | None = None
    extent: Extent | None = None
    demo: bool = False
    units: tuple[int, int, int] = (0, 0, 0)  # current streets, communities, villages
    names: DistrictNames = field(default_factory=DistrictNames)

    @property
    def name_en(self) -> str | None:
        """The English name from the district file, else the Chinese one (None before a load)."""
        return self.names.name_en or self.name

    @property
    def title_zh(self) -> str:
        return f"{self.name}{NEUTRAL_ZH}" if self.name else NEUTRAL_ZH

    @property
    def title_en(self) -> str:
        return f"{self.name_en} grid governance" if self.name_en else NEUTRAL_EN

    @property
    def title(self) -> str:
        """The browser tab's title: the district's, or "网格治理 Grid governance" before a load."""
        return self.title_zh if self.name else f"{NEUTRAL_ZH} {NEUTRAL_EN}"

    @property
    def centre(self) -> str:
        """The governance centre's display name (``centre_name`` of the district file)."""
        return self.names.centre(self.name) if self.name else "综治中心"

    @property
    def centre_en(self) -> str:
        return f"{self.name_en} Governance Centre" if self.name_en else "Governance Centre"


def read_identity(conn: Connection, names: DistrictNames) -> Identity:
    """The identity of what ``conn``'s database holds now (a few small queries)."""
    row = conn.execute(_DISTRICT).first()
    if row is None:
        return Identity(names=names)
    return Identity(
        name=row.name,
        code=row.code,
        extent=extent(conn, Scope.district()),
        demo=bool(conn.execute(_DEMO).scalar_one()),
        units=(row.streets, row.communities, row.villages),
        names=names,
    )
