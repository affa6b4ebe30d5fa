"""``gridgov report weekly|monthly|range|schedule``: a 周报, 月报 or any period's report as Word,
PDF or Excel."""

from __future__ import annotations

import argparse
import datetime as dt
import functools
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo.db import database_url
from geo.errors import InputError
from geo.migrate import migrated_engine
from geo.service_types import service_types_from_file
from geo.settings import Settings
from geo.sla import SlaRules
from geo.vocabulary import Vocabulary
from layers import report_period
from layers.report_formats import FORMATS, file_name
from layers.report_period import BEIJING, ReportPeriod
from layers.units import current_units

if TYPE_CHECKING:  # the report's modules (matplotlib, esda) load only when a report is made
    from layers.report import Report


def add_report_commands(sub: Any) -> None:
    report = sub.add_parser(
        "report", help="a 周报, 月报 or any period's report as Word (.docx), PDF (.pdf) or Excel (.xlsx)"
    )
    kinds = report.add_subparsers(dest="report_kind", required=True)
    weekly = kinds.add_parser("weekly", help="a calendar week, Monday to Sunday (default: last week)")
    weekly.add_argument("--period", help="any day of the week, e.g. 2026-11-23")
    monthly = kinds.add_parser("monthly", help="a calendar month (default: last month)")
    monthly.add_argument("--period", help="the month, e.g. 2026-11")
    days = kinds.add_parser("range", help="any days, --from to --to (both included)")
    days.add_argument("--from", dest="start", required=True, help="first day, e.g. 2026-11-01")
    days.add_argument("--to", dest="end", required=True, help="last day, e.g. 2026-11-15")
    for parser in (weekly, monthly, days):
        parser.add_argument("--street", help="one street (its name or 12-digit code); default: the district")
        parser.add_argument("--out", required=True, type=Path, help="the file to write: .docx, .pdf or .xlsx")
        parser.set_defaults(handler=_report)
    schedule = kinds.add_parser(
        "schedule",
        help="write last week's and last month's reports (Word, PDF and Excel) into DIR, once each",
    )
    schedule.add_argument("dir", type=Path, help="the folder the reports go in (made if missing)")
    schedule.set_defaults(handler=_schedule)


def period_of(args: argparse.Namespace, *, today: dt.date) -> ReportPeriod:
    if args.report_kind == "range":
        return report_period.days(args.start, args.end)
    if args.report_kind == "monthly":
        return report_period.month(args.period) if args.period else report_period.last_month(today)
    if not args.period:
        return report_period.last_week(today)
    try:
        return report_period.week_of(dt.date.fromisoformat(args.period))
    except ValueError:
        raise InputError(
            f"a week is given by any of its days, e.g. 2026-11-23 (got {args.period!r})"
        ) from None


def _report(args: argparse.Namespace, settings: Settings) -> int:
    found = FORMATS.get(args.out.suffix.lower())
    if found is None:
        raise InputError(f"--out must end in {' or '.join(FORMATS)} (got {args.out.name})")
    now = dt.datetime.now(BEIJING)
    period = period_of(args, today=now.date())
    (report,) = _reports(settings, [period], street=args.street, now=now, pictures=found.pictures)
    args.out.write_bytes(found.write(report))
    print(f"wrote {args.out}: {report.title} {period.label()} ({len(report.overdue)} overdue cases listed)")
    return 0


def _reports(
    settings: Settings,
    periods: list[ReportPeriod],
    *,
    street: str | None,
    now: dt.datetime,
    pictures: bool = True,
) -> list[Report]:
    """The reports of ``periods`` for the district or ``street``, from one load of the facts."""
    from layers.facts import load, with_sign_off
    from layers.report import build_for
    from layers.report_coverage import Walking

    vocabulary = Vocabulary.from_file(settings.district_file)
    sla = SlaRules.from_file(settings.district_file, vocabulary=vocabulary)
    with migrated_engine(database_url(settings)) as engine, engine.connect() as conn:
        street_id = _street(conn, street)
        counted = [
            (q.since, q.until) for p in periods for q in (p, p.previous(), p.last_year())
        ]  # 环比, 同比
        facts = with_sign_off(load(conn, counting_in=counted), sla)
        types = service_types_from_file(settings.district_file)
        walking = functools.cache(partial(Walking.load, conn))  # once for every period
        made = partial(build_for, conn, facts, street=street_id, vocabulary=vocabulary, now=now, sla=sla, pictures=pictures, types=types, walking=walking)  # fmt: skip
        return [made(p) for p in periods]


def _schedule(args: argparse.Namespace, settings: Settings) -> int:
    """Last week's and last month's reports, each written once (run again: nothing to do)."""
    now = dt.datetime.now(BEIJING)
    periods = [report_period.last_week(now.date()), report_period.last_month(now.date())]
    missing = [p for p in periods if any(not (args.dir / file_name(p, s)).exists() for s in FORMATS)]
    if not missing:
        print(f"nothing to do: {', '.join(file_name(p, '') for p in periods)} are in {args.dir}")
        return 0
    args.dir.mkdir(parents=True, exist_ok=True)
    for report in _reports(settings, missing, street=None, now=now):
        for suffix, found in FORMATS.items():
            path = args.dir / file_name(report.period, suffix)
            if not path.exists():
                partial = path.with_name(path.name + ".part")  # a reader never sees half a file
                partial.write_bytes(found.write(report))
                partial.replace(path)
                print(f"wrote {path}")
    return 0


def _street(conn: Any, street: str | None) -> int | None:
    """The id of the street named or coded ``street`` (None: the district)."""
    if street is None:
        return None
    found = [u for u in current_units(conn, "street") if street in (u.name, u.code)]
    if not found:
        raise InputError(f"no street is named or coded {street!r}; `gridgov status` lists them")
    return found[0].unit_id
