"""``gridgov report weekly|monthly|range|schedule``: a 周报, 月报 or any period's report as Word,
PDF or Excel."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from geo.db import database_url
from geo.errors import InputError
from geo.migrate import migrated_engine
from geo.settings import Settings
from geo.sla import SlaRules
from geo.vocabulary import Vocabulary
from layers import report_period
from layers.facts import load, with_sign_off
from layers.report import Report, build
from layers.report_docx import report_docx
from layers.report_pdf import report_pdf
from layers.report_period import BEIJING, ReportPeriod
from layers.report_xlsx import report_xlsx
from layers.units import current_units

WRITERS = {".docx": report_docx, ".pdf": report_pdf, ".xlsx": report_xlsx}


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
    writer = WRITERS.get(args.out.suffix.lower())
    if writer is None:
        raise InputError(f"--out must end in {' or '.join(WRITERS)} (got {args.out.name})")
    now = dt.datetime.now(BEIJING)
    period = period_of(args, today=now.date())
    (report,) = _reports(settings, [period], street=args.street, now=now)
    args.out.write_bytes(writer(report))
    print(f"wrote {args.out}: {report.title} {period.label()} ({len(report.overdue)} overdue cases listed)")
    return 0


def _reports(
    settings: Settings, periods: list[ReportPeriod], *, street: str | None, now: dt.datetime
) -> list[Report]:
    """The reports of ``periods`` for the district or ``street``, from one load of the facts."""
    vocabulary = Vocabulary.from_file(settings.district_file)
    sla = SlaRules.from_file(settings.district_file, vocabulary=vocabulary)
    with migrated_engine(database_url(settings)) as engine, engine.connect() as conn:
        title, street_id = _place(conn, street)
        facts = with_sign_off(load(conn), sla)
        return [build(conn, facts, p, title=title, street=street_id, now=now,
                      category_names={k: c.zh for k, c in vocabulary.categories.items()},
                      kind_names={k: c.zh for k, c in vocabulary.inspection_kinds.items()}) for p in periods]  # fmt: skip


def scheduled_name(period: ReportPeriod, suffix: str) -> str:
    """周报-2026-W48.docx, 月报-2026-11.xlsx: one file per period and format."""
    if period.kind == "week":
        year, week, _ = period.start.isocalendar()
        return f"周报-{year}-W{week:02d}{suffix}"
    return f"月报-{period.start:%Y-%m}{suffix}"


def _schedule(args: argparse.Namespace, settings: Settings) -> int:
    """Last week's and last month's reports, each written once (run again: nothing to do)."""
    now = dt.datetime.now(BEIJING)
    periods = [report_period.last_week(now.date()), report_period.last_month(now.date())]
    missing = [p for p in periods if any(not (args.dir / scheduled_name(p, s)).exists() for s in WRITERS)]
    if not missing:
        print(f"nothing to do: {', '.join(scheduled_name(p, '') for p in periods)} are in {args.dir}")
        return 0
    args.dir.mkdir(parents=True, exist_ok=True)
    for report in _reports(settings, missing, street=None, now=now):
        for suffix, writer in WRITERS.items():
            path = args.dir / scheduled_name(report.period, suffix)
            if not path.exists():
                partial = path.with_name(path.name + ".part")  # a reader never sees half a file
                partial.write_bytes(writer(report))
                partial.replace(path)
                print(f"wrote {path}")
    return 0


def _place(conn: Any, street: str | None) -> tuple[str, int | None]:
    """The report's title and street id (None: the district)."""
    if street is None:
        names = current_units(conn, "street")
        district = conn.exec_driver_sql("SELECT name FROM district WHERE valid_to IS NULL").scalar()
        if district is None and not names:
            raise InputError("no district is loaded: load its boundaries first (gridgov ingest boundaries)")
        return str(district or "全区"), None
    found = [u for u in current_units(conn, "street") if street in (u.name, u.code)]
    if not found:
        raise InputError(f"no street is named or coded {street!r}; `gridgov status` lists them")
    return found[0].name, found[0].unit_id
