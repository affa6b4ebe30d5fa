"""Boundaries of the district, its streets, communities/villages and grids, with history.

Rows are keyed by their official code. A boundary whose name or geometry changed closes the
current row (``valid_to`` = today) and adds a new one, so history is kept, never deleted;
current children and buildings are re-pointed to the new row. Invalid polygons are repaired
(ST_MakeValid) and counted; after loading, a topology report lists overlaps, gaps and parts
spilling outside the parent, with areas, so a clerk can fix the survey.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import shapely
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.engine import Connection

from geo.results import result_frame
from ingest.fields import Field
from ingest.kinds import IngestKind, JobContext, register
from ingest.kinds._level_check import (
    ZH,
    areas_m2,
    code_shape_reasons,
    refuse_parent_sized,
    refuse_wrong_level,
)
from ingest.kinds._parents import PARENT, find_parents, level_headers
from ingest.kinds._topology import topology_report
from ingest.upsert import STAGE

# level → (table, code digits, parent table, parent column, how a code names its parent's code)
LEVELS: dict[str, tuple[str, int, str | None, str | None, Callable[[str], str] | None]] = {
    "district": ("district", 6, None, None, None),
    "street": ("street", 12, "district", "district_id", lambda code: code[:6]),
    "community": ("community", 12, "street", "street_id", lambda code: code[:9] + "000"),
    "grid": ("grid", 15, "community", "community_id", lambda code: code[:12]),
}
EXTRA = {"community": ("kind",), "grid": ("worker_name", "worker_phone")}


def _fields(level: str) -> tuple[Field, ...]:
    headers = level_headers(level)
    return (
        Field("code", required=True, label="区划代码", headers=headers["code"]),
        Field("name", required=True, label="名称", headers=headers["name"]),
        *((Field("parent", label="上级", headers=headers["parent"]),) if level in PARENT else ()),
        Field("kind", label="类型"),
        Field("worker_name", label="网格员"),
        Field("worker_phone", label="网格员电话"),
        Field("valid_from", "date", label="生效日期"),
    )


def _columns(level: str) -> tuple[str, ...]:
    _, _, _, parent_col, _ = LEVELS[level]
    return (
        "code",
        "name",
        *EXTRA.get(level, ()),
        *((parent_col,) if parent_col else ()),
        "valid_from",
        "geom",
    )


def _repair(geoms: np.ndarray, ctx: JobContext) -> np.ndarray:
    """Valid MultiPolygons: invalid shapes repaired (ST_MakeValid semantics), non-areal parts dropped."""
    invalid = ~shapely.is_valid(geoms)
    ctx.notes["invalid polygons repaired (make_valid)"] += int(invalid.sum())
    fixed = geoms.copy()
    fixed[invalid] = shapely.make_valid(geoms[invalid])
    polygons = [
        shapely.MultiPolygon([p for p in shapely.get_parts(g) if p.geom_type == "Polygon"]) for g in fixed
    ]
    return np.array(polygons, dtype=object)


def _community_kind(frame: pd.DataFrame) -> pd.Series:
    """村/village when the file says so, else when the NBS code's last three digits are 2xx."""
    village = frame["code"].str.slice(9, 10).eq("2").fillna(False).astype(bool)
    if "kind" in frame:
        said = frame["kind"].astype("string").str.contains("村|village", regex=True)
        village = said.fillna(village).astype(bool)
    return village.map({True: "village", False: "community"})


def _parents(ctx: JobContext, table: str) -> pd.DataFrame:
    """Current rows of the parent level: code, name, id, area (m²) and a geometry for spatial look-ups."""
    t = sa.table(table, *(sa.column(c) for c in ("code", "name", "id", "geom", "valid_to")))
    area = sa.func.ST_Area(sa.func.geography(t.c.geom))
    query = sa.select(t.c.code, t.c.name, t.c.id, area, sa.func.ST_AsBinary(t.c.geom))
    frame = result_frame(ctx.conn.execute(query.where(t.c.valid_to.is_(None))))
    frame.columns = pd.Index(["code", "name", "id", "area", "wkb"])
    frame["geom"] = shapely.from_wkb(frame["wkb"].map(bytes)) if len(frame) else []
    return frame.drop(columns="wkb")


def _build_common(frame: pd.DataFrame, level: str, ctx: JobContext) -> tuple[pd.DataFrame, pd.Series]:
    out = pd.DataFrame(index=frame.index)
    out["code"], out["name"] = frame["code"], frame["name"]
    reason = code_shape_reasons(frame["code"].astype("string"), level)
    refuse_wrong_level(reason, level, file_rows=len(frame))
    if level == "community":
        out["kind"] = _community_kind(frame)
    for extra in EXTRA.get(level, ()):
        if extra != "kind":
            out[extra] = frame.get(extra)
    today = ctx.now.date()
    out["valid_from"] = frame["valid_from"].map(lambda d: d or today) if "valid_from" in frame else today
    out["geom"] = _repair(frame["geom"].to_numpy(dtype=object), ctx)
    return out, reason


def _builder(level: str) -> Callable[[pd.DataFrame, JobContext], pd.DataFrame]:
    _, _digits, parent_table, parent_col, parent_code = LEVELS[level]

    def build(frame: pd.DataFrame, ctx: JobContext) -> pd.DataFrame:
        out, reason = _build_common(frame, level, ctx)
        if parent_table and parent_col and parent_code:
            parents = _parents(ctx, parent_table)
            found = find_parents(frame, out["geom"].to_numpy(dtype=object), parents, parent_code, ctx=ctx)
            out[parent_col] = pd.array(found, dtype="Int64")
            area = parents.set_index("id")["area"]
            refuse_parent_sized(
                areas_m2(out["geom"].to_numpy(dtype=object)),
                out[parent_col].map(area).astype(float).to_numpy(),
                level,
                parent_table,
            )
            missing = out[parent_col].isna().to_numpy(bool) & reason.isna().to_numpy()
            reason[missing] = (
                f"找不到上级{ZH[parent_table]} (no current {parent_table} contains it: load the {parent_table}s first, or give a parent column)"
            )
        out["reason"] = reason
        return out

    return build


def _merger(level: str) -> Callable[[Connection, str, JobContext], tuple[int, int]]:
    table = LEVELS[level][0]
    columns = _columns(level)
    compared = [c for c in columns if c not in ("code", "valid_from")]

    def merge(conn: Connection, _table: str, ctx: JobContext) -> tuple[int, int]:
        raw = conn.connection.driver_connection
        assert raw is not None
        names = {
            "t": sql.Identifier(table),
            "s": sql.Identifier(STAGE),
            "cols": sql.SQL(", ").join(map(sql.Identifier, columns)),
            "same": sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in compared),
            "staged": sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(c)) for c in compared),
            "set": sql.SQL(", ").join(sql.SQL("{c} = s.{c}").format(c=sql.Identifier(c)) for c in compared),
        }
        today = ctx.now.date()
        changed = raw.execute(
            sql.SQL(
                "SELECT t.id, t.valid_from >= %s FROM {t} t JOIN {s} s ON s.code = t.code "
                "WHERE t.valid_to IS NULL AND ({same}) IS DISTINCT FROM ({staged})"
            ).format(**names),
            [today],
        ).fetchall()
        older = [i for i, same_day in changed if not same_day]
        same_day = [i for i, same_day in changed if same_day]
        raw.execute(
            sql.SQL("UPDATE {t} SET valid_to = %s WHERE id = ANY(%s)").format(**names), [today, older]
        )
        raw.execute(
            sql.SQL("UPDATE {t} t SET {set} FROM {s} s WHERE s.code = t.code AND t.id = ANY(%s)").format(
                **names
            ),
            [same_day],
        )
        cursor = raw.execute(
            sql.SQL(
                "INSERT INTO {t} ({cols}) SELECT {cols} FROM {s} s WHERE NOT EXISTS "
                "(SELECT 1 FROM {t} t WHERE t.code = s.code AND t.valid_to IS NULL)"
            ).format(**names)
        )
        _repoint(raw, level, older)
        return cursor.rowcount - len(older), len(changed)

    return merge


_CHILDREN = {
    "district": [("street", "district_id")],
    "street": [("community", "street_id")],
    "community": [("grid", "community_id"), ("building", "community_id"), ("service_point", "community_id")],
    "grid": [("building", "grid_id")],
}


def _repoint(raw: psycopg.Connection[Any], level: str, old_ids: list[int]) -> None:
    """Current children of a closed boundary follow its new version (found by code)."""
    if not old_ids:
        return
    table = LEVELS[level][0]
    for child, column in _CHILDREN[level]:
        current = sql.SQL(" AND c.valid_to IS NULL" if child in LEVELS else "")
        statement = sql.SQL(
            "UPDATE {c} c SET {col} = n.id FROM {t} o JOIN {t} n ON n.code = o.code AND n.valid_to IS NULL "
            "WHERE o.id = ANY(%s) AND c.{col} = o.id{current}"
        ).format(
            c=sql.Identifier(child), col=sql.Identifier(column), t=sql.Identifier(table), current=current
        )
        raw.execute(statement, [old_ids])


def _after(level: str) -> Callable[[Connection, int, JobContext], None]:
    def after(conn: Connection, run_id: int, ctx: JobContext) -> None:
        ctx.report["topology"] = topology_report(conn, level=level)

    return after


for _level, (_table, *_rest) in LEVELS.items():
    register(
        IngestKind(
            key=f"boundaries:{_level}",
            variant=_level,
            help="boundaries (district | street | community | grid) with official codes: GeoPackage, Shapefile, GeoJSON …",
            table=_table,
            fields=_fields(_level),
            geometry="polygon",
            columns=_columns(_level),
            build=_builder(_level),
            conflict=("code",),
            locate=False,
            merge=_merger(_level),
            after=_after(_level),
        )
    )
