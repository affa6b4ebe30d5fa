"""The real parts of the demo: Pingcheng's division codes and names, and its outline."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geo.crs import gcj02_to_wgs84, metric_transformer

DATA = Path(__file__).resolve().parents[2] / "data"
DIVISIONS_CSV = DATA / "pingcheng_divisions.csv"
OUTLINE_GEOJSON = DATA / "pingcheng_district_gcj02.geojson"
ALIASES_CSV = DATA / "street_aliases.csv"  # the demo district's old street names


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    kind: str  # district | street | community | village
    street_code: str

    @property
    def short_name(self) -> str:
        """社区居民委员会 → 社区, 村民委员会 → 村: the name people use in addresses."""
        return self.name.replace("社区居民委员会", "社区").replace("村民委员会", "")


def read_divisions(path: Path = DIVISIONS_CSV) -> list[Division]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            Division(code=r["code"], name=r["name"], kind=r["kind"], street_code=r["street_code"])
            for r in csv.DictReader(fh)
        ]


def read_outline_wgs84(path: Path = OUTLINE_GEOJSON) -> BaseGeometry:
    """The district outline converted GCJ-02 → WGS-84 by the iterative inverse."""
    feature = json.loads(path.read_text(encoding="utf-8"))["features"][0]

    def to_wgs84(coords: np.ndarray) -> np.ndarray:
        lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(shape(feature["geometry"]), to_wgs84)


def to_metric(geom: BaseGeometry) -> BaseGeometry:
    """WGS-84 → EPSG:4547 metres."""
    t = metric_transformer()
    return shapely.transform(geom, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))
