"""The results page's export: one Excel sheet per section (visits and rectifications by kind,
street and community; campaigns by street; weekly rounds), each with its title block."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pandas as pd
from openpyxl import Workbook

from geo.inspection_kinds import InspectionKind
from layers.campaigns import STATES, CampaignProgress
from layers.cycles import RoundTally
from layers.inspection_results import COUNTS, Period
from layers.report_period import BEIJING
from layers.workbook import saved, table_sheet

_HEADINGS = {"sites": "对象数", "visited": "已检查", "done": "完成", "visits": "检查次数", "problems": "发现问题",
             "fixed": "当场整改", "closed": "取缔关停", "referred": "移交执法", "rectified": "已整改", "overdue": "整改逾期"}  # fmt: skip
_SHOWN = tuple(c for c in COUNTS if c != "done")  # equal to visited outside a campaign


def _about(period: Period, place: str, *, by: str, at: dt.datetime) -> list[str]:
    return [
        f"期间 period: {period.start} 至 {period.end}（含） · 范围 area: {place}",
        f"导出人 prepared by: {by} · 导出时间 at: {at.astimezone(BEIJING):%Y-%m-%d %H:%M}",
    ]


def _share(done: int, of: int) -> str:
    return f"{done / of:.1%}" if of else "—"


def workbook(
    table: pd.DataFrame,
    campaigns: Sequence[CampaignProgress],
    weekly: Sequence[tuple[InspectionKind, list[RoundTally]]],
    *,
    period: Period,
    place: str,
    kinds: Mapping[str, InspectionKind],
    by: str,
    at: dt.datetime,
) -> bytes:
    book, about = Workbook(), _about(period, place, by=by, at=at)
    first = book.active
    first.title = "检查与整改"
    rows = ([r["street"] or "—", r["community"] or "—", kinds[r["kind"]].zh if r["kind"] in kinds else r["kind"],
             *(int(r[c]) for c in _SHOWN)] for r in table.to_dict("records"))  # fmt: skip
    table_sheet(first, title="排查成效 · 检查与整改", about=about, headers=("街道", "社区/村", "类型", *(_HEADINGS[c] for c in _SHOWN)),
                rows=rows, widths=(16, 22, 18, *(10,) * len(_SHOWN)))  # fmt: skip
    rows = ([p.campaign.name, f"{p.campaign.start} – {p.campaign.end}", STATES[p.state][0], r.street or "—", int(r.sites),
             int(r.done), _share(int(r.done), int(r.sites)), int(r.problems), int(r.rectified), int(r.overdue)]
            for p in campaigns for r in p.by_street.itertuples())  # fmt: skip
    table_sheet(book.create_sheet("专项行动"), title="排查成效 · 专项行动", about=about,
                headers=("专项行动", "期间", "进度", "街道", "对象数", "完成", "完成率", "发现问题", "已整改", "整改逾期"),
                rows=rows, widths=(26, 24, 10, 16, 10, 10, 10, 10, 10, 10))  # fmt: skip
    rows = ([kind.zh, f"{t.start} – {t.end}", t.due, t.visited, _share(t.visited, t.due)] for kind, ts in weekly for t in ts)  # fmt: skip
    table_sheet(book.create_sheet("每周探访"), title="排查成效 · 每周探访", about=about,
                headers=("类型", "周次", "应访", "已访", "完成率"), rows=rows, widths=(24, 26, 10, 10, 10), landscape=False)  # fmt: skip
    return saved(book)
