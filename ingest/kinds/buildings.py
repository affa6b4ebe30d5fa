"""Buildings (楼栋) with footprints, households and residents (coverage is weighted by them)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.populations import GROUPS, POPULATIONS
from ingest.fields import Field
from ingest.kinds import IngestKind, JobContext, register
from ingest.kinds._building_address import fill_from_address
from ingest.kinds._common import start_frame

PEOPLE_PER_HOUSEHOLD = 2.5  # when a survey gives households but not residents
COLUMNS = (
    "source",
    "source_id",
    "compound",
    "number",
    "address",
    "floors",
    "households",
    "residents",
    *GROUPS,
    "grid_id",
    "community_id",
    "geom",
)


def _largest_part(geoms: np.ndarray, ctx: JobContext) -> np.ndarray:
    multi = shapely.get_type_id(geoms) == 6
    ctx.notes["multi-part footprints reduced to their largest part"] += int(multi.sum())
    out = geoms.copy()
    out[multi] = [max(shapely.get_parts(g), key=lambda p: p.area) for g in geoms[multi]]
    return out


def build(frame: pd.DataFrame, ctx: JobContext) -> pd.DataFrame:
    out = start_frame(frame, ctx, COLUMNS)
    out["geom"] = _largest_part(frame["geom"].to_numpy(dtype=object), ctx)
    out["floors"] = out["floors"].fillna(1)
    estimated = out["residents"].isna()
    ctx.notes[f"residents estimated as households × {PEOPLE_PER_HOUSEHOLD}"] += int(estimated.sum())
    out["residents"] = (
        out["residents"].fillna((out["households"] * PEOPLE_PER_HOUSEHOLD).round()).astype("Int64")
    )
    negative = (out["households"] < 0) | (out["residents"] < 0)
    out.loc[negative.fillna(False).astype(bool), "reason"] = (
        "户数或人数为负 (negative households or residents)"
    )
    _check_groups(out, ctx)
    fill_from_address(out, ctx)
    out["address"] = out["address"].fillna(
        out["compound"].fillna("") + out["number"].fillna("").astype(str) + "号楼"
    )
    return out


def _check_groups(out: pd.DataFrame, ctx: JobContext) -> None:
    """A group's count (60岁以上人口 …) is a part of the residents: never negative, never more."""
    for group in GROUPS:
        label = POPULATIONS[group].zh
        counts = pd.to_numeric(out[group], errors="coerce").astype("Float64")
        wrong = ((counts < 0) | (counts > out["residents"].astype("Float64"))).fillna(False).astype(bool)
        out.loc[wrong & out["reason"].isna(), "reason"] = (
            f"{label}为负或多于人数 ({POPULATIONS[group].en} negative or more than the residents): "
            "check the column, and give 人数 where households alone would estimate fewer"
        )
        out[group] = counts.round().astype("Int64")


def update_grid_totals(conn: Connection, run_id: int, ctx: JobContext) -> None:
    """Grids' households and residents are the sums over their buildings: keep them so."""
    conn.execute(
        sa.text(
            "UPDATE grid g SET households = coalesce(b.h, 0), residents = coalesce(b.r, 0) FROM grid g2 "
            "LEFT JOIN (SELECT grid_id, sum(households) h, sum(residents) r FROM building GROUP BY grid_id) b "
            "ON b.grid_id = g2.id WHERE g.id = g2.id AND g.valid_to IS NULL "
            "AND (g.households, g.residents) IS DISTINCT FROM (coalesce(b.h, 0), coalesce(b.r, 0))"
        )
    )


register(
    IngestKind(
        key="buildings",
        help="buildings with footprints and households/residents: GeoPackage, Shapefile, GeoJSON, WKT",
        table="building",
        fields=(
            Field("source_id", required=True, label="楼栋编号"),
            Field("compound", label="小区"),
            Field("number", label="楼号"),
            Field("floors", "int", label="层数"),
            Field("households", "int", required=True, label="户数"),
            Field("residents", "int", label="人数"),
            *(Field(g, "int", label=POPULATIONS[g].zh) for g in GROUPS),
        ),
        geometry="polygon",
        columns=COLUMNS,
        build=build,
        after=update_grid_totals,
    )
)
