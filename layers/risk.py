"""Risk score of an inspection target, made of named parts so it explains itself.

Each factor gives points with a cap; the score is their sum (0 … 139 with the default weights):

- 周期超期 overdue: days past the target's required interval, as a share of that interval,
  times ``overdue`` points (a whole interval late or never visited: all of them);
- 既往隐患 past hazards: failed visits in the last 365 days, ``per_hazard`` each;
- 整改逾期 rectification past due: ``rectification`` points if any ordered rectification is
  past its deadline and not done;
- 周边事件 incidents nearby: incidents within 100 m in the last 30 days, ``per_incident`` each;
- 弱势人群 vulnerable residents: elders living alone recorded at the site, ``per_vulnerable`` each;
- 风险等级 the ledger's own risk level (1–3): ``per_level`` per level above 1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

FACTORS = {
    "overdue": ("周期超期", "overdue"),
    "hazards": ("既往隐患", "past hazards"),
    "rectification": ("整改逾期", "rectification past due"),
    "incidents": ("周边事件", "incidents nearby"),
    "vulnerable": ("弱势人群", "vulnerable residents"),
    "level": ("风险等级", "risk level"),
}


@dataclass(frozen=True)
class RiskWeights:
    overdue: float = 40
    per_hazard: float = 8
    hazard_cap: float = 24
    rectification: float = 25
    per_incident: float = 2
    incident_cap: float = 20
    per_vulnerable: float = 5
    vulnerable_cap: float = 15
    per_level: float = 5


def days_since(last_visit: pd.Series, today: dt.date) -> pd.Series:
    """Whole Beijing days from each last visit to ``today`` (NaN: never visited)."""
    day = (
        pd.to_datetime(last_visit, utc=True)
        .dt.tz_convert("Asia/Shanghai")
        .dt.tz_localize(None)
        .dt.normalize()
    )
    return (pd.Timestamp(today) - day).dt.days.astype(float)


def _points(facts: pd.DataFrame, days_since: pd.Series, w: RiskWeights) -> dict[str, pd.Series]:
    late_days = (days_since - facts["interval_days"]).clip(lower=0)
    overdue = (w.overdue * late_days / facts["interval_days"]).clip(upper=w.overdue).fillna(w.overdue)
    return {
        "overdue": overdue,
        "hazards": (w.per_hazard * facts["hazards"]).clip(upper=w.hazard_cap),
        "rectification": w.rectification * (facts["rectifications_late"] > 0),
        "incidents": (w.per_incident * facts["incidents"]).clip(upper=w.incident_cap),
        "vulnerable": (w.per_vulnerable * facts["vulnerable"]).clip(upper=w.vulnerable_cap),
        "level": w.per_level * (facts["risk_level"] - 1).clip(lower=0),
    }


def _why(row: pd.Series, late_days: float) -> str:
    amounts = {
        "overdue": "从未检查 never visited" if np.isnan(late_days) else f"{late_days:.0f} 天 days",
        "hazards": f"{row['hazards']:.0f} 次 times",
        "rectification": f"{row['rectifications_late']:.0f} 项 open",
        "incidents": f"{row['incidents']:.0f} 件",
        "vulnerable": f"{row['vulnerable']:.0f} 人",
        "level": f"{row['risk_level']:.0f} 级",
    }
    parts = [f"{FACTORS[k][0]} {amounts[k]} +{row['pts_' + k]:.0f}" for k in FACTORS if row["pts_" + k] > 0]
    return "; ".join(parts) or "—"


def score(facts: pd.DataFrame, *, today: dt.date, weights: RiskWeights | None = None) -> pd.DataFrame:
    """``facts`` plus ``pts_<factor>`` columns, ``score``, ``days_since``, ``due_in`` and ``why``.

    ``facts`` needs: last_visit (timestamp or NaT), interval_days, hazards, rectifications_late,
    incidents, vulnerable, risk_level.
    """
    out = facts.copy()
    out["days_since"] = days_since(facts["last_visit"], today)
    for name, points in _points(facts, out["days_since"], weights or RiskWeights()).items():
        out["pts_" + name] = points.astype(float).round(1)
    out["score"] = out[[f"pts_{k}" for k in FACTORS]].sum(axis=1).round(1)
    out["due_in"] = out["interval_days"] - out["days_since"]  # days until due; NaN: never visited
    late = (out["days_since"] - out["interval_days"]).clip(lower=0)
    out["why"] = [_why(row, lt) for (_, row), lt in zip(out.iterrows(), late, strict=True)]
    return out
