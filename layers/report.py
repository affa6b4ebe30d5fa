"""What a 周报 / 月报 holds, computed once for every format it is written in (``report_docx``,
``report_xlsx``): the indicators of the period against 环比 and 同比, the categories, the streets,
the cases overdue at its end, the inspection rounds and the data's quality, and sentences built
from those numbers only. Indicators are ``layers/indicators``' formulas, each period judged at
its own end."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.errors import InputError
from geo.results import result_frame
from geo.service_types import ServiceType
from geo.sla import SlaRules
from geo.vocabulary import Vocabulary
from layers.compare import KpiRow, kpi_rows, value_text
from layers.drill import Drill
from layers.facts import Facts
from layers.hotspots import GridWeights
from layers.incident_filter import IncidentFilter
from layers.indicators import Period, by_unit
from layers.inspection_results import Period as Days
from layers.inspection_results import results, totals
from layers.report_coverage import Walking, coverage_rows
from layers.report_figures import reported_in, streets_png, trend_png
from layers.report_hotspots import classified_grids, heat_png, hotspots_png, top_hotspots
from layers.report_period import BEIJING, ReportPeriod
from layers.units import unit_names


class Numbering:
    """A document's section headings (一、二、…) and figure captions (图1, 图2, …) in order, so a
    section left out (a street's report has no data-quality section) leaves no gap."""

    NUMERALS = "一二三四五六七八九十"

    def __init__(self) -> None:
        self.sections = self.figures = 0

    def heading(self, title: str) -> str:
        self.sections += 1
        return f"{self.NUMERALS[self.sections - 1]}、{title}"

    def caption(self, text: str) -> str:
        self.figures += 1
        return f"图{self.figures} {text}"


def categories(facts: Facts, idx: np.ndarray, period: ReportPeriod, *, names: dict[str, str]) -> pd.DataFrame:
    """Incidents reported per category in the period and 环比, the most first."""

    def counts(p: ReportPeriod) -> pd.Series:
        inside = reported_in(facts, idx, p)
        return pd.Series(facts.category[inside]).map(lambda c: facts.categories[c]).value_counts()

    out = (
        pd.DataFrame({"reported": counts(period), "previous": counts(period.previous())})
        .fillna(0)
        .astype(int)
    )
    out.index = [names.get(k, k) for k in out.index]
    return (
        out[out["reported"] > 0]
        .sort_values("reported", ascending=False)
        .rename_axis("category")
        .reset_index()
    )


def units(
    conn: Connection, facts: Facts, idx: np.ndarray, period: ReportPeriod, *, level: str
) -> pd.DataFrame:
    """Per street (or community, ``level``): reported, on-time closure rate and overdue at the
    end, the lowest rate first."""
    keys = facts.street if level == "street" else facts.community
    parts = by_unit(facts, idx, Period.of(period.since, period.until, period.until), keys)
    names = unit_names(conn, level)
    rows = [{"unit": names.get(int(k), str(k)), "reported": v.reported, "on_time_closure": v.on_time_closure_rate,
             "overdue": v.overdue} for k, v in parts.items() if int(k) in names]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["unit", "reported", "on_time_closure", "overdue"])
    return frame.sort_values(["on_time_closure", "overdue"], ascending=[True, False], na_position="last").reset_index(drop=True)  # fmt: skip


_OVERDUE = sa.text("""
SELECT i.source_id, i.category, s.name AS street, i.reported_at, i.deadline_at,
       floor(extract(epoch FROM (:until - i.deadline_at)) / 86400)::int AS days_over
FROM incident i LEFT JOIN street s ON s.id = i.street_id
WHERE i.duplicate_of IS NULL AND i.reported_at < :until AND i.deadline_at < :until
  AND (i.closed_at IS NULL OR i.closed_at >= :until) AND (CAST(:street AS integer) IS NULL OR i.street_id = :street)
ORDER BY i.deadline_at, i.id LIMIT :limit
""")


def overdue_cases(
    conn: Connection, period: ReportPeriod, *, street: int | None, limit: int = 50
) -> pd.DataFrame:
    """The cases still open and past their deadline at the period's end, the longest overdue first."""
    params = {"until": period.until, "street": street, "limit": limit}
    return result_frame(conn.execute(_OVERDUE, params))


_QUARANTINE = sa.text("SELECT kind, reason, rows FROM gridgov_quarantine_counts(:since, :until)")  # 0027


INSPECTION_HEADERS = ("类型", "对象数", "已检查", "检查次数", "发现问题", "已整改", "整改逾期")
DUE_SOON_HEADERS = ("工单编号", "类别", "街道", "办理时限", "剩余小时")
_DUE_SOON = sa.text("""
SELECT i.source_id, i.category, s.name AS street, i.reported_at, i.deadline_at,
       round(extract(epoch FROM (i.deadline_at - :until)) / 3600)::int AS hours_left
FROM incident i LEFT JOIN street s ON s.id = i.street_id
WHERE i.duplicate_of IS NULL AND i.reported_at < :until AND i.deadline_at >= :until AND i.deadline_at < :warn
  AND (i.closed_at IS NULL OR i.closed_at >= :until) AND (CAST(:street AS integer) IS NULL OR i.street_id = :street)
ORDER BY i.deadline_at, i.id LIMIT :limit
""")


def due_soon_cases(
    conn: Connection, period: ReportPeriod, *, street: int | None, warn: dt.datetime, limit: int = 50
) -> pd.DataFrame:
    """临期: the cases open at the period's end and due before ``warn`` (the district's 临期
    horizon in working hours after the end), the soonest first."""
    params = {"until": period.until, "warn": warn, "street": street, "limit": limit}
    return result_frame(conn.execute(_DUE_SOON, params))


def quarantined(conn: Connection, period: ReportPeriod) -> pd.DataFrame:
    """Rows set aside by the loads run in the period, by kind of data and reason."""
    return result_frame(conn.execute(_QUARANTINE, {"since": period.since, "until": period.until}))


@dataclass(frozen=True)
class Report:
    title: str  # the district, or the street
    period: ReportPeriod
    prepared_at: dt.datetime
    kpis: list[KpiRow]
    categories: pd.DataFrame
    units: pd.DataFrame  # the district's streets, or a street's communities
    hotspots: list[list[object]]  # the hottest grids (report_hotspots.HOTSPOT_HEADERS)
    overdue: pd.DataFrame
    due_soon: pd.DataFrame  # 临期 at the period's end
    warn_hours: float  # the 临期 horizon, working hours
    inspections: pd.DataFrame  # layers.inspection_results.results: per kind, street and community
    quarantined: pd.DataFrame | None  # None: a street's report
    narrative: list[str]
    coverage: list[list[object]]  # layers.report_coverage.COVERAGE_HEADERS, per service type
    images: dict[str, bytes] = field(default_factory=dict)  # "trend", "streets", "heat", "hotspots": PNG

    @property
    def of_district(self) -> bool:
        """A street's report leaves out the streets and the loads' quality (rows set aside
        belong to no street)."""
        return self.quarantined is not None

    @property
    def unit_word(self) -> str:
        """What the ranking ranks: 街道 in a district's report, 社区 in a street's."""
        return "街道" if self.of_district else "社区"

    @property
    def due_soon_title(self) -> str:
        return f"临期工单（期末起{self.warn_hours:g}个工作小时内到期）"

    def due_soon_rows(self) -> list[list[object]]:
        """Ticket, category, street, deadline (Beijing), hours left at the period's end."""
        return [[r.source_id, r.category, r.street or "—", f"{r.deadline_at.astimezone(BEIJING):%Y-%m-%d %H:%M}", r.hours_left]
                for r in self.due_soon.itertuples()]  # fmt: skip

    def inspection_rows(self, *, by_unit: bool = False) -> list[list[object]]:
        """The period's rounds per kind (INSPECTION_HEADERS), or per street (a street's report:
        community) and kind with any site (the unit's name first; — for sites outside any)."""
        unit = {"街道": "street", "社区": "community"}[self.unit_word]
        keys = [f"{unit}_id", unit, "kind"] if by_unit else ["kind"]  # by id: two units may share a name
        frame = totals(self.inspections, by=keys)
        frame = frame[frame["sites"] > 0] if by_unit else frame
        lead = [
            ["—" if pd.isna(name) else name] if by_unit else [] for name in frame[unit if by_unit else "kind"]
        ]
        return [[*first, r.kind, r.sites, r.visited, r.visits, r.problems, r.rectified, r.overdue]
                for first, r in zip(lead, frame.itertuples(), strict=True)]  # fmt: skip

    @property
    def coverage_note(self) -> str:
        return (f"{self.period.end:%Y年%m月%d日}在服务的点位；按各类型的服务对象和步行范围计算（有路网时沿路网）；"
                "无自有服务点的单位：应有自己的服务点而没有的街道、社区或村。")  # fmt: skip

    def quality_rows(self) -> list[list[object]]:
        """The loads' quality section: data, reason, rows set aside."""
        frame = self.quarantined if self.quarantined is not None else pd.DataFrame()
        return [[r.kind, r.reason, r.rows] for r in frame.itertuples()]


def build(
    conn: Connection,
    facts: Facts,
    period: ReportPeriod,
    *,
    title: str,
    street: int | None,
    category_names: dict[str, str],
    kind_names: dict[str, str],
    now: dt.datetime,
    sla: SlaRules,
    pictures: bool = True,
    weights: GridWeights | None = None,
    types: Mapping[str, ServiceType] = MappingProxyType({}),
    walking: Callable[[], Walking] | None = None,
) -> Report:
    """The report of ``period`` for the district (``street`` None) or one street; ``sla`` sets
    the 临期 horizon; ``pictures``: draw the maps and the trend (Excel holds none); ``weights``:
    the grids' contiguity weights if the caller holds them; ``types``: the service types whose
    coverage it shows, on what ``walking`` gives (default: loaded here)."""
    drill = Drill() if street is None else Drill("street", street)
    idx = IncidentFilter(drill=drill, now=period.until).rows(facts, with_time=False)
    kpis = kpi_rows(facts, idx, period)
    cats = categories(facts, idx, period, names=category_names)
    rounds = results(conn, Days(period.start, period.end), streets=None if street is None else [street])
    rounds["kind"] = rounds["kind"].map(lambda k: kind_names.get(k, k))
    late = overdue_cases(conn, period, street=street)
    soon = due_soon_cases(conn, period, street=street, warn=sla.warn_until(period.until))
    for frame in (late, soon):
        frame["category"] = frame["category"].map(lambda k: category_names.get(k, k))
    grids = classified_grids(conn, facts, period, weights=weights)
    images = _pictures(conn, facts, idx, period, street=street, grids=grids) if pictures else {}
    district = street is None  # the streets and the loads' quality are the district's sections
    return Report(
        title, period, now, kpis, cats, units(conn, facts, idx, period, level="street" if district else "community"),
        top_hotspots(grids, street=street), late, soon, sla.warn_working_hours, rounds, quarantined(conn, period) if district else None,
        narrative(kpis, cats, period),
        coverage_rows(conn, types, walking or partial(Walking.load, conn), on=period.end, street=street), images,
    )  # fmt: skip


def _pictures(conn: Connection, facts: Facts, idx: np.ndarray, period: ReportPeriod, *, street: int | None, grids: gpd.GeoDataFrame) -> dict[str, bytes]:  # fmt: skip
    images = {
        "trend": trend_png(facts, idx, period),
        "heat": heat_png(conn, facts, idx, period, street=street),
        "hotspots": hotspots_png(conn, grids, street=street),
    }
    if street is None:
        images["streets"] = streets_png(conn, _per_street(facts, idx, period))
    return images


def title_of(conn: Connection, street: int | None) -> str:
    """What the report is of: the street's name, or the district's."""
    if street is not None:
        names = unit_names(conn, "street")
        if street not in names:
            raise InputError(f"no current street has id {street}; `gridgov status` lists them")
        return names[street]
    name = conn.exec_driver_sql("SELECT name FROM district WHERE valid_to IS NULL").scalar()
    if name is None and not unit_names(conn, "street"):
        raise InputError("no district is loaded: load its boundaries first (gridgov ingest boundaries)")
    return str(name or "全区")


def build_for(
    conn: Connection,
    facts: Facts,
    period: ReportPeriod,
    *,
    street: int | None,
    vocabulary: Vocabulary,
    now: dt.datetime,
    sla: SlaRules,
    pictures: bool = True,
    weights: GridWeights | None = None,
    types: Mapping[str, ServiceType] = MappingProxyType({}),
    walking: Callable[[], Walking] | None = None,
) -> Report:
    """:func:`build` titled and named from the loaded data and the district's vocabulary."""
    return build(conn, facts, period, title=title_of(conn, street), street=street, now=now, sla=sla, pictures=pictures, weights=weights,
                 types=types, walking=walking,
                 category_names={k: c.zh for k, c in vocabulary.categories.items()},
                 kind_names={k: c.zh for k, c in vocabulary.inspection_kinds.items()})  # fmt: skip


def _per_street(facts: Facts, idx: np.ndarray, period: ReportPeriod) -> pd.Series:
    """Cases reported in the period per street id."""
    return pd.Series(facts.street[reported_in(facts, idx, period)]).value_counts()


def narrative(kpis: list[KpiRow], cats: pd.DataFrame, period: ReportPeriod) -> list[str]:
    """Sentences from the numbers, each said only when the numbers are there to say it."""
    by = {k.measure.key: k for k in kpis}
    out = []
    reported = by["reported"]
    if reported.value is not None:
        line = f"{period.label()}共受理诉求{reported.value:,.0f}件"
        if reported.vs_previous is not None:
            line += f"，环比{'上升' if reported.vs_previous >= 0 else '下降'}{abs(reported.vs_previous):.1%}"
        if reported.vs_last_year is not None:
            line += (
                f"，同比{'上升' if reported.vs_last_year >= 0 else '下降'}{abs(reported.vs_last_year):.1%}"
            )
        out.append(line + "。")
    on_time = by["on_time_closure"]
    if on_time.value is not None:
        change = on_time.vs_previous
        moved = (
            ""
            if change is None
            else f"，较上期{'上升' if change >= 0 else '下降'}{abs(change) * 100:.1f}个百分点"
        )
        out.append(f"按期办结率{value_text(on_time.value, '%')}{moved}。")
    if len(cats):
        top = cats.head(3)
        out.append(
            "诉求最多的类别为"
            + "、".join(f"{r.category}（{r.reported:,}件）" for r in top.itertuples())
            + "。"
        )
    if by["overdue"].value:
        out.append(f"期末仍有{by['overdue'].value:,.0f}件超期未办结，请相关单位加快办理。")
    return out
