"""Buildings (楼栋) as points at their centroids, with households and residents for hover.

The hover carries numbers only, sent as one typed int32 array, so even a district's tens of
thousands of buildings stay a few hundred kilobytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import sqlalchemy as sa
from numpy.typing import NDArray
from plotly.basedatatypes import BaseTraceType
from sqlalchemy.engine import Connection

from geo.results import result_array
from layers.registry import REGISTRY
from layers.scope import Scope
from layers.window import TimeWindow

# A building's street comes from its community, or its grid's community when only that is set.
_BUILDINGS = sa.text("""
SELECT ST_X(ST_Centroid(b.geom)) AS lon, ST_Y(ST_Centroid(b.geom)) AS lat, b.households, b.residents
FROM building b
LEFT JOIN grid g ON g.id = b.grid_id
LEFT JOIN community c ON c.id = COALESCE(b.community_id, g.community_id)
LEFT JOIN street s ON s.id = c.street_id
WHERE (CAST(:street_code AS text) IS NULL OR s.code = CAST(:street_code AS text))
ORDER BY b.id""")

_HOVER = "<b>楼栋</b><br>%{customdata[0]} 户 · %{customdata[1]} 人<extra></extra>"


@dataclass(frozen=True)
class Buildings:
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    households: NDArray[np.int64]
    residents: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.lon)


def buildings(conn: Connection, scope: Scope) -> Buildings:
    """Every building in scope, in id order."""
    table = result_array(conn.execute(_BUILDINGS, scope.params()), width=4)
    return Buildings(
        lon=table[:, 0],
        lat=table[:, 1],
        households=table[:, 2].astype(np.int64),
        residents=table[:, 3].astype(np.int64),
    )


@REGISTRY.layer(key="buildings", label_zh="楼栋", label_en="Buildings", z=20, default_on=False)
def building_layer(conn: Connection, scope: Scope, *, window: TimeWindow) -> list[BaseTraceType]:
    data = buildings(conn, scope)
    trace = go.Scattermap(
        lon=data.lon.astype(np.float32),
        lat=data.lat.astype(np.float32),
        mode="markers",
        marker={"size": 4, "color": "#6c757d", "opacity": 0.7},
        customdata=np.column_stack([data.households, data.residents]).astype(np.int32),
        hovertemplate=_HOVER,
        name="楼栋",
        showlegend=False,
    )
    return [trace]


_LABELS = sa.text("""
SELECT b.id, b.address, c.name FROM building b LEFT JOIN community c ON c.id = b.community_id
WHERE b.id = ANY(:ids)""")
_VERSION = sa.text("SELECT count(*), coalesce(max(id), 0), coalesce(sum(residents), 0) FROM building")


def building_labels(conn: Connection, ids: list[int]) -> list[str]:
    """ "address · community" of each building (its number when it has no address)."""
    found = {int(i): (a, c) for i, a, c in conn.execute(_LABELS, {"ids": ids})}
    labels = []
    for i in ids:
        address, community = found.get(i, (None, None))
        labels.append(" · ".join(x for x in (address or f"楼栋 {i}", community) if x))
    return labels


def buildings_version(conn: Connection) -> tuple[int, int, int]:
    """What changes when buildings are loaded: their count, largest id and residents."""
    count, top, residents = conn.execute(_VERSION).one()
    return int(count), int(top), int(residents)
