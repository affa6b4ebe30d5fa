"""Topology report for one boundary level: overlaps, gaps inside the parent, parts outside it.

Areas are in m² (EPSG:4547); anything under 1 m² is rounding, not a survey error.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

MIN_M2 = 1.0
_PARENT = {
    "street": ("district", "district_id"),
    "community": ("street", "street_id"),
    "grid": ("community", "community_id"),
}
_AREA = "ST_Area(ST_Transform({}, 4547))"
# level and parent names below come from the fixed table above, never from input
_OVERLAPS = """
    SELECT a.code, b.code, {area} AS m2 FROM {t} a JOIN {t} b ON a.id < b.id AND a.geom && b.geom
    WHERE a.valid_to IS NULL AND b.valid_to IS NULL AND ST_Relate(a.geom, b.geom, '2********')
    ORDER BY m2 DESC"""
_GAPS = """
    SELECT p.code, {area} AS m2 FROM {p} p JOIN (SELECT {col} AS pid, ST_Union(geom) AS u FROM {t}
    WHERE valid_to IS NULL GROUP BY {col}) c ON c.pid = p.id WHERE p.valid_to IS NULL ORDER BY m2 DESC"""
_SPILLS = """
    SELECT t.code, {area} AS m2 FROM {t} t JOIN {p} p ON p.id = t.{col}
    WHERE t.valid_to IS NULL AND NOT ST_CoveredBy(t.geom, p.geom) ORDER BY m2 DESC"""


def _rows(conn: Connection, query: str) -> list[Any]:
    return [r for r in conn.execute(sa.text(query)).all() if r[-1] >= MIN_M2]


def topology_report(conn: Connection, *, level: str) -> dict[str, Any]:
    """{"overlaps": [[code, code, m²]…], "gaps": [[parent code, m²]…], "spills": [[code, m²]…]} (top 20 each)."""
    table = level
    report: dict[str, Any] = {}
    overlaps = _rows(conn, _OVERLAPS.format(t=table, area=_AREA.format("ST_Intersection(a.geom, b.geom)")))
    report["overlaps"] = [[a, b, round(m2, 1)] for a, b, m2 in overlaps[:20]]
    if level in _PARENT:
        parent, column = _PARENT[level]
        gaps = _rows(
            conn, _GAPS.format(p=parent, t=table, col=column, area=_AREA.format("ST_Difference(p.geom, c.u)"))
        )
        spills = _rows(
            conn,
            _SPILLS.format(p=parent, t=table, col=column, area=_AREA.format("ST_Difference(t.geom, p.geom)")),
        )
        report["gaps"] = [[code, round(m2, 1)] for code, m2 in gaps[:20]]
        report["spills"] = [[code, round(m2, 1)] for code, m2 in spills[:20]]
    report["totals_m2"] = {
        "overlaps": round(sum(r[-1] for r in overlaps), 1),
        **(
            {"gaps": round(sum(r[-1] for r in gaps), 1), "spills": round(sum(r[-1] for r in spills), 1)}
            if level in _PARENT
            else {}
        ),
    }
    return report
