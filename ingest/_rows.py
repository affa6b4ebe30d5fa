"""Per-batch row handling for ingest jobs: parse fields, place, check keys, build table rows."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from ingest import _xy
from ingest.columns import ColumnMap
from ingest.coords import CoordSystem
from ingest.fields import TIME_TYPES, WHAT, Field, clean_text, empty_mask, parse
from ingest.kinds import LOCATION_FIELDS, IngestKind, JobContext
from ingest.placing import Geocoder, place
from ingest.reading import ROW
from ingest.reasons import split_reasons
from ingest.timelayout import Layout, TimeColumns


def _first(reason: pd.Series, bad: pd.Series, text: pd.Series | str) -> None:
    """Set ``text`` as the reason of ``bad`` rows that have none yet (the first problem wins)."""
    mask = bad.to_numpy(bool) & reason.isna().to_numpy()
    reason[mask] = text if isinstance(text, str) else text.reindex(reason.index)[mask].to_numpy()


def _bad_cells(field: Field, layout: Layout | None) -> str:
    """What follows a bad cell's value in its reason (the same for every cell of the column)."""
    if layout is not None:
        return f"」时间格式无法识别 (unreadable time; column read as {layout.name})"
    return f"」不是有效的{WHAT.get(field.type, field.type)}"


def _parse_fields(
    batch: pd.DataFrame, kind: IngestKind, cmap: ColumnMap, reason: pd.Series, times: TimeColumns
) -> pd.DataFrame:
    frame = pd.DataFrame({ROW: batch[ROW]})
    times.settle(
        {
            f.name: (f.title, partial(clean_text, batch[cmap.columns[f.name]]))
            for f in kind.fields
            if f.type in TIME_TYPES and f.name in cmap.columns
        }
    )
    for field in kind.fields:
        column = cmap.columns.get(field.name)
        if column is None:
            if field.required:
                _first(
                    reason, pd.Series(True, index=batch.index), f"缺少{field.title} (missing {field.name})"
                )
            continue
        layout = times.layout(field.name) if field.type in TIME_TYPES else None
        values, bad = parse(batch[column], field, layout=layout)
        if bad.any():  # messages only for the bad cells
            text = batch.loc[bad.to_numpy(bool), column].astype(str)
            _first(reason, bad, f"{field.title}「" + text + _bad_cells(field, layout))
        if field.required:
            _first(reason, empty_mask(values), f"缺少{field.title} (missing {field.name})")
        frame[field.name] = values
    for name in LOCATION_FIELDS:
        if name in cmap.columns:
            frame[name] = batch[cmap.columns[name]]
    if "geometry" in batch:
        frame["geometry"] = batch["geometry"]
    return frame


_Segment = tuple[NDArray[np.uint64], NDArray[np.uint64], NDArray[np.int64]]  # hashes (sorted), checks, rows


class KeyBook:
    """The file row where each source_id first appeared, across the batches of one job.

    Keys are remembered as two independent 64-bit hashes (a collision of both is beyond
    reach) in a few sorted segments, merged like a binary counter: vectorised lookups of sorted
    queries, no Python object per key, no re-sorting of everything per batch.
    """

    def __init__(self) -> None:
        self._segments: list[_Segment] = []

    def first_rows(self, keys: NDArray[np.object_], rows: NDArray[np.int64]) -> NDArray[np.int64]:
        """For each key, the row it first appeared on (its own row if new); remembers the new."""
        hashes = pd.util.hash_array(keys, categorize=False)  # keys are mostly distinct
        order = np.argsort(hashes, kind="stable")  # equal hashes stay in file order
        h = hashes[order]
        c = pd.util.hash_array(keys[order], hash_key="gridgov-keybook2", categorize=False)
        r = rows[order]
        lead = np.maximum.accumulate(np.where(np.r_[True, h[1:] != h[:-1]], np.arange(len(h)), 0))
        first = np.where(c[lead] == c, r[lead], r)  # the first row in this batch with the same key
        for seen_h, seen_c, seen_r in self._segments:
            at = np.minimum(np.searchsorted(seen_h, h), len(seen_h) - 1)
            hit = (seen_h[at] == h) & (seen_c[at] == c)
            first[hit] = seen_r[at[hit]]
        new = first == r
        self._add((h[new], c[new], r[new]))
        out = np.empty_like(first)
        out[order] = first
        return out

    def _add(self, segment: _Segment) -> None:
        self._segments.append(segment)
        while len(self._segments) > 1 and (
            len(self._segments[-1][0]) * 2 >= len(self._segments[-2][0]) or len(self._segments) > 8
        ):
            later, earlier = self._segments.pop(), self._segments.pop()
            h, c, r = (np.concatenate([a, b]) for a, b in zip(earlier, later, strict=True))
            order = np.argsort(h, kind="stable")
            self._segments.append((h[order], c[order], r[order]))


def _check_keys(frame: pd.DataFrame, book: KeyBook, reason: pd.Series) -> None:
    """Later rows repeating an earlier row's source_id (in this file) are quarantined."""
    if "source_id" not in frame:
        return
    keys = frame["source_id"]
    live = reason.isna().to_numpy(bool) & keys.notna().to_numpy(bool)
    rows = frame[ROW][live].to_numpy(np.int64)
    earlier = book.first_rows(keys[live].to_numpy(object), rows)
    repeated = earlier != rows
    text = pd.Series(earlier[repeated]).astype(str)
    message = "编号与第 " + text + " 行重复 (same source_id as row " + text + ")"
    reason[frame.index[live][repeated]] = message.to_numpy()


def _raw_records(batch: pd.DataFrame) -> list[dict[str, str | None]]:
    columns = [c for c in batch.columns if c != ROW]
    records = []
    for values in batch[columns].itertuples(index=False, name=None):
        record = {}
        for column, value in zip(columns, values, strict=True):
            if column == "geometry":
                value = None if value is None else shapely.to_wkt(value, rounding_precision=7)
            record[str(column)] = (
                None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
            )
        records.append(record)
    return records


def process_batch(
    batch: pd.DataFrame,
    *,
    kind: IngestKind,
    cmap: ColumnMap,
    ctx: JobContext,
    system: CoordSystem | None,
    geocoder: Geocoder | None,
    seen: KeyBook,
    times: TimeColumns,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows ready to stage, in ``kind.columns`` order; rejects with row_number, raw, reason
    and the reason's kind and value apart)."""
    reason = pd.Series(None, index=batch.index, dtype=object)
    frame = _parse_fields(batch, kind, cmap, reason, times)
    if kind.geometry != "none":
        placed = place(
            frame,
            system=system,
            geometry=kind.geometry,
            locator=ctx.locator,
            geocoder=geocoder,
            xy_points=kind.xy_points,
        )
        ctx.notes.update(placed.notes)
        _first(reason, placed.reason.notna(), placed.reason)
        frame["geom"] = placed.geom
        for name, values in placed.columns.items():
            frame[name] = values
    if kind.locate:
        _assign(frame, ctx)
    _check_keys(frame, seen, reason)
    ok = reason.isna()
    built = kind.build(frame[ok], ctx)
    _first(reason, built["reason"].reindex(reason.index).notna(), built["reason"].reindex(reason.index))
    good = built[reason[ok].isna().to_numpy()]
    rows = good[list(kind.columns)].copy()
    bad = reason.notna()
    kinds, values = split_reasons(reason[bad])
    rejects = pd.DataFrame(
        {
            "row_number": batch.loc[bad, ROW].to_numpy(),
            "raw": _raw_records(batch[bad]),
            "reason": reason[bad].to_numpy(),
            "reason_kind": kinds,
            "reason_value": values,
        }
    )
    return rows, rejects


def _assign(frame: pd.DataFrame, ctx: JobContext) -> None:
    geoms = frame["geom"].to_numpy()
    has = ~_xy.missing(geoms)
    ids = {k: np.full(len(geoms), np.nan) for k in ("street_id", "community_id", "grid_id")}
    if has.any():
        for key, values in ctx.locator.assign(_anchors(geoms[has])).items():
            ids[key][has] = values
    for key, values in ids.items():
        frame[key] = pd.array(values, dtype="Float64").astype("Int64")  # NaN → <NA>


def _anchors(geoms: _xy.Geoms) -> _xy.Geoms:
    """A point for each geometry: itself if a point, else a point on its surface."""
    if _xy.is_xy(geoms):
        return geoms
    points = shapely.get_type_id(geoms) == 0
    anchors = geoms.astype(object)
    if not points.all():
        anchors[~points] = shapely.point_on_surface(geoms[~points])
    return anchors
