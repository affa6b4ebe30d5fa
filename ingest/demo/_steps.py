"""Synthetic lifecycle steps of the demo's 12345 cases of the last 90 days, as the platform
exports them: 派遣 to a department (承办单位), 签收 (mostly within two working hours, some late),
办结, 回访 with the resident's satisfaction, 结案 — at the times the cases already carry, so the
derived state agrees with the incident file and adds signed_at, department and the callback.
Drawn with a generator of their own: the rest of the demo is the same with or without them.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

SOURCE = "12345"
DAYS = 90
# 承办单位 per category (a Chinese district's usual departments; the demo's own, not real data)
DEPARTMENTS = {
    "environment": ("区城管局", "区市容环卫中心"),
    "advertising": ("区城管局",),
    "construction": ("区住建局", "区城管局"),
    "emergency": ("区应急管理局", "区水务局"),
    "street_order": ("区城管局", "区市场监管局"),
    "property": ("区住建局", "街道办事处"),
    "safety": ("区应急管理局", "区消防救援大队", "街道办事处"),
    "dispute": ("街道办事处", "区司法局"),
    "help": ("区民政局", "区人社局", "街道办事处"),
    "other": ("街道办事处",),
}
ANSWERS = (("满意", 0.78), ("基本满意", 0.14), ("不满意", 0.08))


def _department(categories: pd.Series, rng: np.random.Generator) -> list[str]:
    choices = [DEPARTMENTS.get(c, DEPARTMENTS["other"]) for c in categories]
    return [c[int(rng.integers(len(c)))] for c in choices]


def _rows(cases: pd.DataFrame, step: str, at: pd.Series, **extra: object) -> pd.DataFrame:
    return pd.DataFrame({"工单编号": cases.source_id, "环节": step, "操作时间": at, **extra})


def lifecycle_steps(incidents: pd.DataFrame, *, now: dt.datetime, seed: int) -> pd.DataFrame:
    """The steps file (Chinese headers, as a platform exports it) of the recent 12345 cases."""
    rng = np.random.default_rng(seed)
    since = pd.Timestamp(now) - pd.Timedelta(days=DAYS)
    cases = incidents[(incidents.source == SOURCE) & (incidents.reported_at >= since)]
    cases = cases[cases.dispatched_at.notna()]
    hours = pd.to_timedelta(np.exp(rng.normal(-0.6, 1.1, len(cases))), unit="h")  # some sign-offs are late
    frames = [
        _rows(cases, "派遣", cases.dispatched_at, 承办单位=_department(cases.category, rng)),
        _rows(cases, "签收", cases.dispatched_at + hours),
        _rows(cases[cases.handled_at.notna()], "办结", cases.handled_at.dropna()),
    ]
    called = cases[cases.verified_at.notna()]
    answers = rng.choice([a for a, _ in ANSWERS], size=len(called), p=[p for _, p in ANSWERS])
    solved = np.where(rng.uniform(size=len(called)) < np.where(answers == "不满意", 0.3, 0.95), "是", "否")
    frames.append(_rows(called, "回访", called.verified_at, 满意度=answers, 是否解决=solved))
    frames.append(_rows(cases[cases.closed_at.notna()], "结案", cases.closed_at.dropna()))
    steps = pd.concat(frames, ignore_index=True)
    return steps[steps["操作时间"] <= pd.Timestamp(now)].reset_index(drop=True)
