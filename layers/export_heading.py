"""What every export says about itself (its title block) and how its file is named: the district
and the place (a street, or the whole district), the period, who prepared it and when."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

BEIJING = dt.timezone(dt.timedelta(hours=8))
WHOLE_DISTRICT = "全区"
_UNSAFE = re.compile(r"[^\w\u3400-\u9fff-]+")  # letters, digits, CJK and hyphens stay in file names


@dataclass(frozen=True)
class Heading:
    district: str
    place: str  # a street's name, or WHOLE_DISTRICT
    period: str  # in words, e.g. "2026-12-07 至 2026-12-11" or "截至 2026-12-04"
    prepared_by: str
    prepared_at: dt.datetime

    def lines(self) -> list[str]:
        at = self.prepared_at.astimezone(BEIJING)
        return [
            f"{self.district} · {self.place}",
            f"期间 period: {self.period}",
            f"编制 prepared by: {self.prepared_by} · {at:%Y-%m-%d %H:%M}",
        ]

    def file_name(self, what: str, extension: str, *, day: dt.date | None = None) -> str:
        """``what-place-YYYYMMDD.extension`` (``day``, default the day it was prepared), with
        nothing a file system or a shell minds."""
        day = day or self.prepared_at.astimezone(BEIJING).date()
        stem = "-".join(
            _UNSAFE.sub("_", part).strip("_") or "_" for part in (what, self.place, f"{day:%Y%m%d}")
        )
        return f"{stem}.{extension}"


def heading_of(conn: Connection, *, street: int | None, period: str, by: str, at: dt.datetime) -> Heading:
    """The heading for an export of ``street`` (None: the whole district), names read here."""
    district = conn.execute(sa.text("SELECT name FROM district WHERE valid_to IS NULL LIMIT 1")).scalar()
    place = WHOLE_DISTRICT
    if street is not None:
        place = (
            conn.execute(sa.text("SELECT name FROM street WHERE id = :s"), {"s": street}).scalar() or place
        )
    return Heading(str(district or ""), str(place), period, by, at)
