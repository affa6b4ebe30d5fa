"""Which parent (street of a community, community of a grid …) a boundary belongs to, found three
ways in turn: by the code's prefix (national codes name their parent), by a parent column (所属街道
…, holding the parent's code or name), or spatially (the parent holding a point inside it). The
job's notes say how many were found each way. When any code names its parent, the file follows
the national scheme and a code naming no loaded parent is an orphan (quarantined), not guessed."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import shapely

from ingest.kinds import JobContext

# headers the surveying bureaus and civil-affairs ledgers use, per level (before the common synonyms)
CODES = {
    "district": ("区县代码", "县级代码", "区县编码"),  # 区划代码 … are generic: any level's own code
    "street": ("街道代码", "乡镇代码", "街道编码", "乡镇街道代码", "街乡代码"),
    "community": ("社区代码", "村代码", "居委会代码", "村居代码", "社区编码", "村委会代码"),
    "grid": ("网格编码", "网格代码", "网格编号"),
}
NAMES = {
    "district": ("区县名称", "区县", "区名称"),
    "street": ("街道名称", "乡镇名称", "街乡名称", "街道", "乡镇"),
    "community": ("社区名称", "村名称", "村居名称", "居委会名称", "社区", "村"),
    "grid": ("网格名称", "网格"),
}
OWNERS = {
    "district": ("所属区县",),
    "street": ("所属街道", "所属乡镇"),
    "community": ("所属社区", "所属村", "所属村居"),
    "grid": ("所属网格",),
}
PARENT = {"street": "district", "community": "street", "grid": "community"}


def level_headers(level: str) -> dict[str, tuple[str, ...]]:
    """Preferred headers of a boundary level's fields: its own code and name, its parent's."""
    parent = PARENT.get(level)
    parent_headers = (*OWNERS[parent], *CODES[parent], *NAMES[parent]) if parent else ()
    return {"code": CODES[level], "name": NAMES[level], "parent": parent_headers}


def find_parents(
    frame: pd.DataFrame,
    geoms: np.ndarray,
    parents: pd.DataFrame,
    parent_code: Callable[[str], str],
    *,
    ctx: JobContext,
) -> np.ndarray:
    """Parent ids (float, NaN where none was found) for each row of ``frame``."""
    by_code = dict(zip(parents["code"], parents["id"], strict=True))
    wanted = frame["code"].map(lambda c: parent_code(c) if isinstance(c, str) else None)
    found = wanted.map(by_code).astype(float).to_numpy()
    _count(ctx, "code prefix", found)
    if not np.isnan(found).all():  # codes name their parents: one that names none is an orphan
        return found
    if "parent" in frame and np.isnan(found).any():
        before = ~np.isnan(found)
        found = np.where(np.isnan(found), _by_column(frame["parent"], parents), found)
        _count(ctx, "parent column", found, before)
    if np.isnan(found).any() and len(parents):
        before = ~np.isnan(found)
        found = np.where(np.isnan(found), _by_place(geoms, parents), found)
        _count(ctx, "location", found, before)
    return found


def _count(ctx: JobContext, how: str, found: np.ndarray, before: np.ndarray | None = None) -> None:
    new = ~np.isnan(found) if before is None else ~np.isnan(found) & ~before
    if new.any():
        ctx.notes[f"parent found by {how}"] += int(new.sum())


def _by_column(values: pd.Series, parents: pd.DataFrame) -> np.ndarray:
    """A parent column holds the parent's code, or its name (full, or as residents write it)."""
    lookup: dict[str, float] = {}
    for code, name, pid in zip(parents["code"], parents["name"], parents["id"], strict=True):
        for key in (str(code), str(name), _short(str(name))):
            lookup.setdefault(key, float(pid))
    return values.map(
        lambda v: lookup.get(str(v).strip(), np.nan) if isinstance(v, str) else np.nan
    ).to_numpy(dtype=float)


def _short(name: str) -> str:
    return name.replace("社区居民委员会", "社区").replace("村民委员会", "村").replace("办事处", "")


def _by_place(geoms: np.ndarray, parents: pd.DataFrame) -> np.ndarray:
    """The parent that holds a point inside each feature (its point on surface)."""
    out = np.full(len(geoms), np.nan)
    ok = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    if not ok.any():
        return out
    points = shapely.point_on_surface(geoms[ok])
    tree = shapely.STRtree(parents["geom"].to_numpy(dtype=object))
    child, parent = tree.query(points, predicate="within")
    ids = parents["id"].to_numpy(dtype=float)
    placed = np.full(len(points), np.nan)
    placed[child] = ids[parent]
    out[ok] = placed
    return out
