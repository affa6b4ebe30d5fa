"""Any period against 环比 (the period of equal standing just before) and 同比 (the same period a
year earlier): the measures of a place and of each unit below it, for the reports and for the
comparison panels of the wall screen and the map. Each period is judged at its own end (a period
ending today at ``now``); the formulas are :mod:`layers.indicators`'."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy.engine import Connection

from layers.facts import Facts
from layers.incident_filter import IncidentFilter
from layers.indicators import Indicators, Period, indicators, of_sums, unit_sums
from layers.report_period import ReportPeriod
from layers.units import current_units


@dataclass(frozen=True)
class Measure:
    key: str
    zh: str
    en: str
    read: Callable[[Indicators], float | None]
    unit: str = ""  # "%" (a rate), "h" (hours) or "" (a count)


MEASURES = (
    Measure("reported", "受理量", "Reported", lambda i: i.reported),
    Measure("closed", "办结量", "Closed", lambda i: i.closed),
    Measure("on_time_closure", "按期办结率", "Closed on time", lambda i: i.on_time_closure_rate, "%"),
    Measure("handling_hours", "平均处置时长（工作小时）", "Mean handling (working hours)", lambda i: i.handling_work_hours, "h"),
    Measure("overdue", "期末超期未办结", "Overdue at the end", lambda i: i.overdue),
    Measure("response", "响应率", "Response rate", lambda i: i.response_rate, "%"),
    Measure("resolution", "解决率", "Resolution rate", lambda i: i.resolution_rate, "%"),
    Measure("satisfaction", "满意率", "Satisfaction rate", lambda i: i.satisfaction_rate, "%"),
)  # fmt: skip
BY_KEY = {m.key: m for m in MEASURES}


def change(now: float | None, then: float | None, unit: str) -> float | None:
    """A rate's change in points (0.05: 5 points), any other's relative change (None from 0)."""
    if now is None or then is None:
        return None
    if unit == "%":
        return now - then
    return (now - then) / then if then else None


def value_text(value: float | None, unit: str) -> str:
    if value is None or value != value:  # None, or NaN from a frame
        return "—"
    return f"{value:.1%}" if unit == "%" else f"{value:,.1f}" if unit == "h" else f"{value:,.0f}"


def change_text(value: float | None, unit: str, *, lang: str = "zh") -> str:
    if value is None:
        return "—"
    if unit == "%":
        return f"{value * 100:+.1f}{' pts' if lang == 'en' else '个百分点'}"
    return f"{value:+.1%}"


@dataclass(frozen=True)
class KpiRow:
    measure: Measure
    value: float | None
    previous: float | None  # 环比
    last_year: float | None  # 同比

    @property
    def vs_previous(self) -> float | None:
        return change(self.value, self.previous, self.measure.unit)

    @property
    def vs_last_year(self) -> float | None:
        return change(self.value, self.last_year, self.measure.unit)


def kpi_line(r: KpiRow, *, lang: str = "zh") -> list[str]:
    """A KPI row as text: measure, this period, 环比 (the previous and the change), 同比 (a year
    earlier and the change)."""
    u = r.measure.unit
    return [r.measure.en if lang == "en" else r.measure.zh, value_text(r.value, u), value_text(r.previous, u),
            change_text(r.vs_previous, u, lang=lang), value_text(r.last_year, u), change_text(r.vs_last_year, u, lang=lang)]  # fmt: skip


def judged(period: ReportPeriod, now: dt.datetime | None = None) -> Period:
    """The period as :class:`~layers.indicators.Period`, judged at its end (``now`` if sooner)."""
    end = period.until if now is None else min(period.until, now)
    return Period.of(period.since, period.until, end)


def _three(period: ReportPeriod) -> tuple[ReportPeriod, ReportPeriod, ReportPeriod]:
    return period, period.previous(), period.last_year()


def kpi_rows(facts: Facts, idx: np.ndarray, period: ReportPeriod, *, now: dt.datetime | None = None) -> list[KpiRow]:  # fmt: skip
    """Each measure in the period, 环比 and 同比."""
    ind = [indicators(facts, idx, judged(p, now)) for p in _three(period)]
    return [KpiRow(m, *(m.read(i) for i in ind)) for m in MEASURES]


@dataclass(frozen=True)
class UnitRow:
    """One unit below the place: its indicators in the period, the one before and a year earlier."""

    unit_id: int
    name: str
    now: Indicators
    previous: Indicators
    last_year: Indicators

    def measure(self, key: str) -> KpiRow:
        m = BY_KEY[key]
        return KpiRow(m, m.read(self.now), m.read(self.previous), m.read(self.last_year))


@dataclass(frozen=True)
class Comparison:
    period: ReportPeriod
    kpis: list[KpiRow]
    level: str | None  # what the units are: street, community or grid (None below a grid)
    units: list[UnitRow]  # the most reported first


def unit_rows(
    conn: Connection,
    facts: Facts,
    idx: np.ndarray,
    period: ReportPeriod,
    *,
    f: IncidentFilter,
    allowed: Collection[int] | None = None,
    now: dt.datetime | None = None,
) -> list[UnitRow]:
    """The units one level below ``f.drill`` (a street leader's ``allowed`` streets only)."""
    level = f.drill.child_level
    if level is None:
        return []
    keys = getattr(facts, level)[idx]
    sums = [unit_sums(facts, idx, judged(p, now), keys) for p in _three(period)]
    among = allowed if level == "street" else None
    units = current_units(conn, level, within=f.drill.unit_id if level != "street" else None, among=among)
    rows = [UnitRow(u.unit_id, u.name, *(of_sums(s, u.unit_id) for s in sums)) for u in units]
    return sorted(rows, key=lambda r: (-r.now.reported, r.name))


def compare(
    conn: Connection,
    facts: Facts,
    period: ReportPeriod,
    *,
    f: IncidentFilter,
    allowed: Collection[int] | None = None,
    now: dt.datetime | None = None,
) -> Comparison:
    """The place, categories and sources ``f`` selects (its window and statuses aside) in
    ``period``, against 环比 and 同比, and each unit below it likewise."""
    f = replace(f, since=None, until=None, statuses=())
    idx = f.rows(facts, with_time=False)
    rows = unit_rows(conn, facts, idx, period, f=f, allowed=allowed, now=now)
    return Comparison(period, kpi_rows(facts, idx, period, now=now), f.drill.child_level, rows)
