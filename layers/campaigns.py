"""Progress of the district's special campaigns (专项行动, ``geo/campaigns.py``).

A campaign's progress on a day: of the open sites of its kinds in its streets, how many had
their ``visits`` within the period so far (done), against the share of the period gone by; and
what the visits found, rectified and left overdue (``layers/inspection_results.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.engine import Connection

from geo.campaigns import Campaign
from layers.inspection_results import Period, results, totals
from layers.units import current_units

STATES = {  # how a campaign stands, named on the page
    "upcoming": ("未开始", "not started"),
    "ahead": ("进度正常", "on track"),
    "behind": ("进度滞后", "behind"),
    "ended": ("已结束", "ended"),
}


@dataclass(frozen=True)
class CampaignProgress:
    campaign: Campaign
    today: dt.date
    by_street: pd.DataFrame  # street_id, street and inspection_results.COUNTS
    unknown_streets: tuple[str, ...]  # streets the campaign names that are not loaded

    def total(self, column: str) -> int:
        return int(self.by_street[column].sum()) if len(self.by_street) else 0

    @property
    def share_done(self) -> float | None:
        sites = self.total("sites")
        return self.total("done") / sites if sites else None

    @property
    def state(self) -> str:
        if self.today < self.campaign.start:
            return "upcoming"
        if self.today > self.campaign.end:
            return "ended"
        done = self.share_done
        return "ahead" if done is None or done >= self.campaign.elapsed(self.today) else "behind"


def street_ids(conn: Connection, campaign: Campaign) -> tuple[list[int] | None, tuple[str, ...]]:
    """The ids of the current streets the campaign names (by name or code; None: all of them)
    and the names it gives that match none."""
    if not campaign.streets:
        return None, ()
    units = current_units(conn, "street")
    found = {w: [u.unit_id for u in units if w in (u.name, u.code)] for w in campaign.streets}
    return sorted({i for ids in found.values() for i in ids}), tuple(w for w, ids in found.items() if not ids)


def progress(
    conn: Connection, campaign: Campaign, *, today: dt.date, within: int | None = None
) -> CampaignProgress:
    """The campaign's progress at the end of ``today`` (before it starts: its sites, to visit),
    in the street ``within`` only when given."""
    streets, unknown = street_ids(conn, campaign)
    if within is not None:
        streets = [within] if streets is None or within in streets else []
    end = max(campaign.start, min(today, campaign.end))
    frame = results(conn, Period(campaign.start, end), streets=streets, kinds=campaign.kinds, required=campaign.visits)  # fmt: skip
    return CampaignProgress(campaign, today, totals(frame, by=["street_id", "street"]), unknown)


def current(campaigns: tuple[Campaign, ...], period: Period) -> list[Campaign]:
    """The campaigns that run during ``period``, the latest-starting first."""
    running = [c for c in campaigns if c.start <= period.end and c.end >= period.start]
    return sorted(running, key=lambda c: (c.start, c.name), reverse=True)
