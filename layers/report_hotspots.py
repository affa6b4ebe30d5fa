"""Where the period's cases clustered, for a report: each grid's cases per 1,000 residents and its
Gi* class over the whole district (``layers/hotspots.py``, as on the wall screen's hotspot mode,
here for the report's period), the top hot grids as a table, and two pictures drawn offline:
the cases' density and the grids by class, under the streets' outlines."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from layers.drill import Drill
from layers.facts import Facts
from layers.hotspots import GridWeights, grid_rates
from layers.incident_filter import IncidentFilter
from layers.report_figures import figure, png, reported_in, square, streets_frame
from layers.report_period import ReportPeriod

_GRIDS = sa.text("""
SELECT g.id AS grid_id, g.code, c.name AS community, s.id AS street_id, s.name AS street, g.geom
FROM grid g LEFT JOIN community c ON c.id = g.community_id LEFT JOIN street s ON s.id = c.street_id
WHERE g.valid_to IS NULL ORDER BY g.id
""")
HOTSPOT_HEADERS = ("网格", "社区", "街道", "受理量", "每千人", "Gi* z", "置信度")
_CLASS_COLOURS = {"hot99": "#b2182b", "hot95": "#ef8a62", "hot90": "#fddbc7",
                  "cold90": "#d1e5f0", "cold95": "#67a9cf", "cold99": "#2166ac", "": "#f2f2f2"}  # fmt: skip


def classified_grids(
    conn: Connection, facts: Facts, period: ReportPeriod, *, weights: GridWeights | None = None
) -> gpd.GeoDataFrame:
    """Every current grid with its period's cases, rate, Gi* z and class (Gi* over the district);
    ``weights``: the grids' contiguity weights if the caller holds them (else built here)."""
    weights = GridWeights.load(conn) if weights is None else weights
    f = IncidentFilter(drill=Drill(), since=period.since, until=period.until, now=period.until)
    rates = grid_rates(facts, f, weights).table
    grids = gpd.read_postgis(_GRIDS, conn, geom_col="geom")
    return grids.join(rates, on="grid_id")


def top_hotspots(grids: gpd.GeoDataFrame, *, street: int | None, limit: int = 10) -> list[list[object]]:
    """The hot grids (in ``street`` if given), the highest z first: the table's rows."""
    hot = grids[grids["cluster"].fillna("").str.startswith("hot")]
    if street is not None:
        hot = hot[hot["street_id"] == street]
    hot = hot.sort_values("z", ascending=False).head(limit)
    return [[r.code, r.community or "—", r.street or "—", int(r.n), round(float(r.rate), 1), round(float(r.z), 2),
             f"{r.cluster.removeprefix('hot')}%"] for r in hot.itertuples()]  # fmt: skip


def heat_png(conn: Connection, facts: Facts, idx: np.ndarray, period: ReportPeriod, *, street: int | None) -> bytes:  # fmt: skip
    """The period's cases as a density of small hexagons over the streets (one street's alone)."""
    streets = streets_frame(conn, street=street)
    fig = figure(6.3, 6.3)
    ax = fig.subplots()
    inside = reported_in(facts, idx, period)
    lon, lat = facts.lon[inside].astype(float), facts.lat[inside].astype(float)
    if len(lon):
        cells = ax.hexbin(lon, lat, gridsize=45, cmap="YlOrRd", mincnt=1, linewidths=0)
        fig.colorbar(cells, ax=ax, shrink=0.6, label="受理量（件）")
    streets.boundary.plot(ax=ax, color="#555555", linewidth=0.5)
    square(ax, streets)
    return png(fig)


def hotspots_png(conn: Connection, grids: gpd.GeoDataFrame, *, street: int | None) -> bytes:
    """The grids by Gi* class (hot red, cold blue, none grey) under the streets' outlines."""
    streets = streets_frame(conn, street=street)
    shown = grids if street is None else grids[grids["street_id"] == street]
    fig = figure(6.3, 6.3)
    ax = fig.subplots()
    shown.plot(
        color=shown["cluster"].fillna("").map(_CLASS_COLOURS), edgecolor="#ffffff", linewidth=0.2, ax=ax
    )
    streets.boundary.plot(ax=ax, color="#555555", linewidth=0.6)
    handles = [
        ax.scatter([], [], marker="s", color=_CLASS_COLOURS[k], label=label)
        for k, label in (("hot99", "热点 99%"), ("hot95", "热点 95%"), ("hot90", "热点 90%"),
                         ("cold95", "冷点 95%"), ("", "不显著"))
    ]  # fmt: skip
    ax.legend(handles=handles, loc="lower left", fontsize=7, frameon=False)
    square(ax, streets)
    return png(fig)
