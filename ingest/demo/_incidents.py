"""Synthetic incidents over two years: weekly and seasonal rhythm, hotspots, full lifecycles.

Rates, mixes and delays are plausible, not measured: about 75 a day, fewer at weekends,
more in summer; a quarter cluster around a dozen hotspots (markets, the old city); most are
handled well inside their deadline, some late, some reworked, and a few recent ones stuck
open past their deadline, so the wall screen has overdue work to show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from geo.crs import wgs84_to_gcj02
from geo.sla import SlaRules
from ingest.demo._names import phone

DAYS = 730
PER_DAY = 78.0
WEEKDAY = np.array([1.15, 1.1, 1.05, 1.05, 1.0, 0.75, 0.7])
HOURS = np.array([1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 15, 12, 8, 10, 14, 15, 13, 10, 8, 7, 6, 4, 2, 1], float)
SOURCES = {"12345": 0.55, "miniprogram": 0.25, "grid_worker": 0.15, "mailbox": 0.05}
MIX = {
    "environment": 0.22,
    "advertising": 0.05,
    "construction": 0.08,
    "emergency": 0.02,
    "street_order": 0.14,
    "property": 0.2,
    "safety": 0.1,
    "dispute": 0.08,
    "help": 0.07,
    "other": 0.04,
}
SUMMER = {"environment": 0.35, "street_order": 0.3, "construction": 0.25, "safety": -0.3}
PHRASES = {
    "environment": ("垃圾堆放未及时清运", "道路积水", "绿化带杂草丛生", "油烟扰民"),
    "advertising": ("小广告乱贴", "违规设置户外广告"),
    "construction": ("夜间施工噪音", "施工扬尘", "占道施工"),
    "emergency": ("燃气泄漏气味", "水管爆裂", "电线掉落"),
    "street_order": ("流动摊贩占道", "店外经营", "车辆乱停"),
    "property": ("物业不作为", "电梯故障", "楼道灯不亮", "供暖不热"),
    "safety": ("电动车飞线充电", "楼道杂物堵塞", "房屋墙体裂缝", "散煤存放"),
    "dispute": ("邻里噪音纠纷", "停车位纠纷", "漏水纠纷"),
    "help": ("独居老人需要帮助", "困难家庭求助", "咨询社保办理"),
    "other": ("其他问题反映",),
}


def _days(now: dt.datetime, rng: np.random.Generator) -> NDArray[np.int64]:
    """Day offset (0 = first day) of every incident."""
    start = (now - dt.timedelta(days=DAYS - 1)).date()
    dates = pd.date_range(start, periods=DAYS, freq="D")
    season = 1 + 0.2 * np.sin(2 * np.pi * (dates.day_of_year.to_numpy() - 105) / 365.25)
    trend = np.linspace(0.9, 1.1, DAYS)
    lam = PER_DAY * WEEKDAY[dates.day_of_week.to_numpy()] * season * trend
    return np.repeat(np.arange(DAYS), rng.poisson(lam))


def _categories(reported: pd.DatetimeIndex, rng: np.random.Generator) -> NDArray[np.str_]:
    keys = list(MIX)
    summer = np.sin(2 * np.pi * (reported.day_of_year.to_numpy() - 105) / 365.25)
    weights = np.array([MIX[k] * (1 + SUMMER.get(k, 0) * summer) for k in keys]).T
    cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    pick = (rng.uniform(size=(len(reported), 1)) > cum).sum(axis=1)
    return np.array(keys)[np.minimum(pick, len(keys) - 1)]


def _locations(buildings: pd.DataFrame, n: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """Building index per incident: most by residents, a quarter around hotspots."""
    weight = buildings.residents.to_numpy(float)
    where = rng.choice(len(buildings), size=n, p=weight / weight.sum())
    hot = rng.uniform(size=n) < 0.25
    urban = np.flatnonzero(buildings.kind.to_numpy() != "courtyard")
    centers = buildings.iloc[rng.choice(urban, 12, replace=False)][["x", "y"]].to_numpy()
    xy = buildings[["x", "y"]].to_numpy()
    near = cKDTree(xy).query_ball_point(centers, r=450.0)
    spot = rng.integers(0, len(centers), size=int(hot.sum()))
    where[hot] = [near[s][rng.integers(len(near[s]))] for s in spot]
    return where


def _points(
    buildings: pd.DataFrame, where: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.float64]:
    """A point inside the building's footprint."""
    b = shapely.bounds(buildings.geom.to_numpy()[where])
    return np.column_stack([rng.uniform(b[:, 0], b[:, 2]), rng.uniform(b[:, 1], b[:, 3])])


def _lognormal_hours(median: float, sigma: float, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
    return median * np.exp(rng.normal(0, sigma, n))


def _lifecycle(frame: pd.DataFrame, now: pd.Timestamp, rng: np.random.Generator, sla: SlaRules) -> None:
    n = len(frame)
    h = pd.to_timedelta(1, unit="h")
    frame["registered_at"] = frame.reported_at + _lognormal_hours(0.35, 0.8, n, rng) * h
    hours = ((sla.due(frame.category, frame.registered_at) - frame.registered_at) / h).to_numpy(float)
    frame["dispatched_at"] = frame.registered_at + _lognormal_hours(1.0, 0.9, n, rng) * h
    rework = rng.uniform(size=n) < 0.04
    spend = hours * np.clip(0.45 * np.exp(rng.normal(0, 0.55, n)), 0.02, 4) * np.where(rework, 1.6, 1.0)
    frame["handled_at"] = frame.dispatched_at + spend * h
    frame["verified_at"] = frame.handled_at + _lognormal_hours(5.0, 0.7, n, rng) * h
    frame["closed_at"] = frame.verified_at + _lognormal_hours(2.0, 0.7, n, rng) * h
    frame["rework_count"] = rework.astype(int)
    recent = frame.reported_at > now - pd.Timedelta(days=45)
    stuck = recent & (rng.uniform(size=n) < 0.05)
    frame.loc[stuck, ["handled_at", "verified_at", "closed_at"]] = pd.NaT
    steps = ["registered_at", "dispatched_at", "handled_at", "verified_at", "closed_at"]
    for i, step in enumerate(steps):
        future = frame[step] > now
        frame.loc[future, steps[i:]] = pd.NaT


def _raw_fields(
    frame: pd.DataFrame,
    lonlat: NDArray[np.float64],
    buildings: pd.DataFrame,
    where: NDArray[np.int64],
    rng: np.random.Generator,
) -> None:
    by_address = frame.source.isin(["12345", "mailbox"]).to_numpy()
    gx, gy = wgs84_to_gcj02(lonlat[:, 0], lonlat[:, 1])
    prefix = np.where(rng.uniform(size=len(frame)) < 0.4, "大同市平城区", "")
    address = pd.Series(
        np.char.add(prefix, buildings.address.to_numpy()[where].astype(str)), index=frame.index
    )
    frame["raw_address"] = address.where(by_address, None)
    frame["raw_x"] = np.where(by_address, np.nan, np.round(gx, 6))
    frame["raw_y"] = np.where(by_address, np.nan, np.round(gy, 6))
    frame["raw_crs"] = pd.Series("gcj02", index=frame.index).where(~by_address, None)
    frame["match_level"] = np.where(by_address, "building", "coordinates")
    frame["match_score"] = 1.0
    frame["reporter_phone"] = [phone(rng) if a else None for a in by_address]


def build_incidents(
    buildings: pd.DataFrame,
    *,
    now: dt.datetime,
    rng: np.random.Generator,
    to_lonlat: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    sla: SlaRules,
) -> pd.DataFrame:
    """Incident rows with metric ``x``/``y``, the building index and every lifecycle column."""
    day = _days(now, rng)
    start = pd.Timestamp(now).normalize() - pd.Timedelta(days=DAYS - 1)
    hour = rng.choice(24, size=len(day), p=HOURS / HOURS.sum())
    reported = (
        start
        + pd.to_timedelta(day, unit="D")
        + pd.to_timedelta(hour * 60 + rng.uniform(0, 60, len(day)), unit="min")
    )
    now_ts = pd.Timestamp(now)
    keep = reported <= now_ts
    reported = reported[keep]
    frame = pd.DataFrame({"reported_at": reported, "category": _categories(pd.DatetimeIndex(reported), rng)})
    frame["source"] = rng.choice(list(SOURCES), size=len(frame), p=list(SOURCES.values()))
    frame = frame.sort_values("reported_at", kind="stable").reset_index(drop=True)
    frame["source_id"] = frame.groupby("source").cumcount().map(lambda i: f"{i + 1:07d}")
    frame["source_id"] = frame.source + "-" + frame.reported_at.dt.strftime("%Y%m%d") + "-" + frame.source_id
    where = _locations(buildings, len(frame), rng)
    xy = _points(buildings, where, rng)
    frame["building"], frame["x"], frame["y"] = where, xy[:, 0], xy[:, 1]
    phrases = [PHRASES[c][rng.integers(len(PHRASES[c]))] for c in frame.category]
    frame["description"] = [
        f"{b}附近{p}" for b, p in zip(buildings.address.to_numpy()[where], phrases, strict=True)
    ]
    _lifecycle(frame, now_ts, rng, sla)
    _raw_fields(frame, to_lonlat(xy), buildings, where, rng)
    return frame
