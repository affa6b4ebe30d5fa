"""The report's pictures, drawn offline with matplotlib (Agg: no display, no browser, no tiles):
the daily trend of the period beside the previous one, and the streets shaded by the cases
reported in the period (the hotspot maps: ``report_hotspots``). PNG bytes at print resolution."""

from __future__ import annotations

import io

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from sqlalchemy.engine import Connection

from layers.facts import Facts
from layers.report_period import ReportPeriod

mpl.use("Agg")
# a CJK font from the system (fonts-noto-cjk on Debian), the others as fall-backs
FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Zen Hei", "DejaVu Sans"]
_STREETS = "SELECT id, name, geom FROM street WHERE valid_to IS NULL ORDER BY code"


def png(fig: Figure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=170, bbox_inches="tight")
    return out.getvalue()


def figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height))
    mpl.rcParams["font.sans-serif"] = FONTS
    mpl.rcParams["axes.unicode_minus"] = False
    return fig


def reported_in(facts: Facts, idx: np.ndarray, period: ReportPeriod) -> np.ndarray:
    """Of the incidents ``idx``, those reported in ``period``."""
    times = facts.reported[idx]
    return idx[(times >= period.since.timestamp()) & (times < period.until.timestamp())]


def streets_frame(conn: Connection, *, street: int | None = None) -> gpd.GeoDataFrame:
    """The current streets' outlines (one street's alone if given), in code order."""
    streets = gpd.read_postgis(_STREETS, conn, geom_col="geom")
    return streets if street is None else streets[streets["id"] == street]


def daily(facts: Facts, idx: np.ndarray, period: ReportPeriod) -> pd.Series:
    """Cases reported each day of ``period`` (Beijing days; days with none are 0)."""
    day = ((facts.reported[reported_in(facts, idx, period)] - period.since.timestamp()) // 86400).astype(int)
    return pd.Series(np.bincount(day, minlength=period.days)[: period.days], index=range(1, period.days + 1))


def trend_png(facts: Facts, idx: np.ndarray, period: ReportPeriod) -> bytes:
    """The period's daily cases, with the previous period's beside them (day 1, 2, …)."""
    fig = figure(6.3, 2.6)
    ax = fig.subplots()
    now, before = daily(facts, idx, period), daily(facts, idx, period.previous())
    ax.plot(now.index, now.to_numpy(), color="#1f5fbf", marker="o", markersize=3, label="本期")
    ax.plot(before.index, before.to_numpy(), color="#9aa7b8", linestyle="--", label="上期")
    ax.set_xlabel("第几天")
    ax.set_ylabel("受理量（件）")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False)
    ax.grid(axis="y", color="#e3e8ef")
    return png(fig)


def streets_png(conn: Connection, counts: pd.Series) -> bytes:
    """The district's streets shaded by ``counts`` (cases per street id), each named."""
    streets = streets_frame(conn)
    streets["cases"] = streets["id"].map(counts).fillna(0)
    fig = figure(6.3, 6.3)
    ax = fig.subplots()
    streets.plot(column="cases", cmap="OrRd", edgecolor="#555555", linewidth=0.5, legend=True, ax=ax,
                 legend_kwds={"label": "受理量（件）", "shrink": 0.6})  # fmt: skip
    for row in streets.itertuples():
        where = row.geom.representative_point()
        ax.annotate(str(row.name), (where.x, where.y), ha="center", fontsize=6, color="#222222",
                    path_effects=[patheffects.withStroke(linewidth=2, foreground="white")])  # fmt: skip
    square(ax, streets)
    return png(fig)


def square(ax: Axes, shapes: gpd.GeoDataFrame) -> None:
    """A map's axes: no frame, and a metre as long east-west as north-south (degrees of
    longitude are shorter than those of latitude)."""
    ax.set_axis_off()
    if len(shapes):
        _, south, _, north = shapes.total_bounds
        ax.set_aspect(1 / np.cos(np.radians((south + north) / 2)))
