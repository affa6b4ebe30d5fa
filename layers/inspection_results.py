"""What the inspection rounds of a period achieved (排查成效), per kind, street and community.

For the period ``start``–``end`` (whole days, Beijing time; ``docs/indicators.md``):

- sites: targets that were open at some time in the period (not closed before it began);
- visited: those sites with at least one visit in the period; visits: the visits themselves;
  done: those with at least ``required`` visits (a campaign's; 1 otherwise, equal to visited);
- problems: visits that found something (any outcome but 合格); of them fixed on the spot,
  closed down (取缔关停) and referred to law enforcement (移交执法);
- rectified: rectifications completed in the period (当场整改 included);
- overdue: rectifications ordered by the end of the period, due by its last day and not
  completed by its end.

The caller's transaction decides which streets are seen (row-level security).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from layers.report_period import ReportPeriod

COUNTS = (
    "sites",
    "visited",
    "done",
    "visits",
    "problems",
    "fixed",
    "closed",
    "referred",
    "rectified",
    "overdue",
)
_SUMMARY = """
WITH site AS (
    SELECT t.id, t.kind, t.street_id, t.community_id FROM inspection_target t
    WHERE (t.closed_at IS NULL OR t.closed_at >= :since)
      AND (CAST(:streets AS integer[]) IS NULL OR t.street_id = ANY(:streets))
      AND (CAST(:kinds AS text[]) IS NULL OR t.kind = ANY(:kinds))
), visit AS (
    SELECT i.target_id, count(*) AS visits,
           count(*) FILTER (WHERE i.outcome <> 'passed') AS problems,
           count(*) FILTER (WHERE i.outcome = 'fixed') AS fixed,
           count(*) FILTER (WHERE i.outcome = 'closed') AS closed,
           count(*) FILTER (WHERE i.outcome = 'referred') AS referred
    FROM inspection i WHERE i.inspected_at >= :since AND i.inspected_at < :until GROUP BY i.target_id
), fix AS (
    SELECT i.target_id,
           count(*) FILTER (WHERE i.rectified_at >= :since AND i.rectified_at < :until) AS rectified,
           count(*) FILTER (WHERE i.rectify_deadline < :until_day AND i.inspected_at < :until
                              AND (i.rectified_at IS NULL OR i.rectified_at >= :until)) AS overdue
    FROM inspection i WHERE i.rectify_deadline IS NOT NULL GROUP BY i.target_id
)
SELECT site.kind, site.street_id, s.name AS street, site.community_id, c.name AS community,
       count(*) AS sites, count(visit.target_id) AS visited,
       count(*) FILTER (WHERE visit.visits >= :required) AS done, coalesce(sum(visit.visits), 0) AS visits,
       coalesce(sum(visit.problems), 0) AS problems, coalesce(sum(visit.fixed), 0) AS fixed,
       coalesce(sum(visit.closed), 0) AS closed, coalesce(sum(visit.referred), 0) AS referred,
       coalesce(sum(fix.rectified), 0) AS rectified, coalesce(sum(fix.overdue), 0) AS overdue
FROM site LEFT JOIN visit ON visit.target_id = site.id LEFT JOIN fix ON fix.target_id = site.id
LEFT JOIN street s ON s.id = site.street_id LEFT JOIN community c ON c.id = site.community_id
GROUP BY site.kind, site.street_id, s.name, site.community_id, c.name
ORDER BY s.name NULLS LAST, c.name NULLS LAST, site.kind
"""


Period = ReportPeriod  # a period of whole days, Beijing time (its end included)


def results(
    conn: Connection,
    period: Period,
    *,
    streets: Collection[int] | None = None,
    kinds: Collection[str] = (),
    required: int = 1,
) -> pd.DataFrame:
    """One row per kind, street and community with the COUNTS of the period (only ``streets``
    and only ``kinds`` when given); sites without a street or community have None there."""
    params = {
        "since": period.since,
        "until": period.until,
        "until_day": period.end + dt.timedelta(days=1),
        "streets": None if streets is None else list(streets),
        "kinds": list(kinds) or None,
        "required": required,
    }
    rows = conn.execute(sa.text(_SUMMARY), params).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=["kind", "street_id", "street", "community_id", "community", *COUNTS])  # fmt: skip
    return frame.astype({c: "int64" for c in COUNTS})


def totals(frame: pd.DataFrame, *, by: str | list[str] | None = None) -> pd.DataFrame:
    """The COUNTS summed over all rows (one row), or per ``by`` ("kind", "street", …)."""
    if by is None:
        return frame[list(COUNTS)].sum().to_frame().T.astype("int64")
    return frame.groupby(by, sort=False, dropna=False)[list(COUNTS)].sum().reset_index()
