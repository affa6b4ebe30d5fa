"""The walkable road network: lines split into segments with pgRouting-style node ids.

A node id is derived from the end point snapped to 1 m in EPSG:4547, so segments from
different files that meet at the same spot share a node without any global renumbering.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geo.crs import metric_transformer
from ingest.fields import Field
from ingest.kinds import IngestKind, JobContext, register
from ingest.kinds._common import start_frame

COLUMNS = ("source", "source_id", "source_node", "target_node", "length_m", "kind", "name", "geom")


def node_ids(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Snapped metric coordinates packed in one integer: x_m · 10⁸ + y_m."""
    return np.round(x).astype(np.int64) * 100_000_000 + np.round(y).astype(np.int64)


def _explode(frame: pd.DataFrame) -> pd.DataFrame:
    parts = shapely.get_parts(frame["geom"].to_numpy(dtype=object), return_index=True)
    exploded = frame.iloc[parts[1]].copy()
    exploded["geom"] = parts[0]
    multi = exploded.index.duplicated(keep=False)
    suffix = exploded.groupby(level=0).cumcount().astype(str)
    exploded.loc[multi, "source_id"] = exploded.loc[multi, "source_id"].astype(str) + "#" + suffix[multi]
    return exploded.reset_index(drop=True)


def build(frame: pd.DataFrame, ctx: JobContext) -> pd.DataFrame:
    parts = _explode(frame)
    out = start_frame(parts, ctx, COLUMNS)
    t = metric_transformer()
    start, end = (
        shapely.get_point(parts["geom"].to_numpy(), 0),
        shapely.get_point(parts["geom"].to_numpy(), -1),
    )
    sx, sy = t.transform(shapely.get_x(start), shapely.get_y(start))
    ex, ey = t.transform(shapely.get_x(end), shapely.get_y(end))
    out["source_node"], out["target_node"] = (
        node_ids(np.asarray(sx), np.asarray(sy)),
        node_ids(np.asarray(ex), np.asarray(ey)),
    )
    metric = shapely.transform(
        parts["geom"].to_numpy(), lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1]))
    )
    out["length_m"] = shapely.length(metric)
    out["kind"] = out["kind"].fillna("street")
    return out


register(
    IngestKind(
        key="roads",
        help="the walkable road network (lines): GeoPackage, Shapefile, GeoJSON, WKT",
        table="road_segment",
        fields=(
            Field("source_id", required=True, label="编号"),
            Field("name", label="名称"),
            Field("kind", label="道路等级"),
        ),
        geometry="line",
        columns=COLUMNS,
        build=build,
        locate=False,
    )
)
