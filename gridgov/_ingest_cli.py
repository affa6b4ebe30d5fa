"""`gridgov ingest …`: one sub-command per registered ingest kind, plus `runs` and `report`."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path
from typing import Any

from tqdm import tqdm

from geo.db import database_url
from geo.migrate import migrated_engine
from geo.settings import Settings
from gridgov._job_args import add_job_arguments, job_options
from gridgov._watch_cli import add_watch_command
from ingest import runs
from ingest.job import JobResult, run_file
from ingest.kinds import commands
from ingest.progress import Step
from ingest.reading import FORMATS
from ingest.unknown_categories import summary_lines


def add_ingest_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ingest = sub.add_parser("ingest", help="load files into the database (see `gridgov ingest -h`)")
    kinds = ingest.add_subparsers(dest="kind", required=True, metavar="KIND")
    for key, group in commands().items():
        p = kinds.add_parser(key, help=group[0].help)
        variants = [k.variant for k in group if k.variant]
        if variants:
            p.add_argument("--level", required=True, choices=variants, help="which boundaries the file holds")
        p.add_argument("file", type=Path, help=f"input file ({', '.join(sorted(set(FORMATS)))})")
        add_job_arguments(p, default_source=key)
        p.add_argument("--dry-run", action="store_true", help="check and report everything, write nothing")
        p.add_argument("--quiet", action="store_true", help="no progress bar, only the summary")
        p.add_argument(
            "--progress-json",
            action="store_true",
            help="instead of the bar, one JSON line per step on stderr: begun, batch, merge, merged, commit, done",
        )
        p.set_defaults(handler=_ingest)
    kinds.add_parser("runs", help="recent ingest jobs").set_defaults(handler=_runs)
    rep = kinds.add_parser("report", help="one job: counts and quarantined rows with reasons")
    rep.add_argument("run_id", type=int)
    rep.add_argument(
        "--export", type=Path, help="write the quarantined rows to a .csv or .xlsx file to fix and re-ingest"
    )
    rep.set_defaults(handler=_report)
    add_watch_command(kinds)


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    options = job_options(args, settings, default_source=args.kind, dry_run=args.dry_run)
    from ingest.geocode import district_aliases, geocoder_factory
    from ingest.kinds import get_kind

    with (
        migrated_engine(database_url(settings)) as engine,
        tqdm(unit=" rows", delay=2, disable=args.quiet or args.progress_json, desc=args.file.name) as bar,
    ):
        result = run_file(
            engine,
            kind=get_kind(args.kind, getattr(args, "level", None)),
            path=args.file,
            options=options,
            geocoder_factory=geocoder_factory(district_aliases(settings.district_file)),
            progress=_print_step if args.progress_json else partial(_show_step, bar),
        )
    print("\n".join([_summary(result), *summary_lines(result.report, where=str(settings.district_file))]))
    return 0


def _show_step(bar: tqdm[Any], step: Step) -> None:
    """The progress bar counts rows; a job that has to wait says why (even with ``--quiet``)."""
    if step.phase == "waiting":
        print(step.message, file=sys.stderr, flush=True)
    bar.update(step.rows)


def _print_step(step: Step) -> None:
    print(step.json(), file=sys.stderr, flush=True)


def _summary(result: JobResult) -> str:
    head = "dry run, nothing written" if result.dry_run else f"run {result.run_id}"
    lines = [
        f"{head}: read {result.read}, inserted {result.inserted}, updated {result.updated}, "
        f"unchanged {result.unchanged}, quarantined {result.quarantined} in {result.seconds:.1f} s",
        "columns: " + "; ".join(result.columns.describe()),
    ]
    lines += [f"note: {text}: {n}" for text, n in result.notes.items()]
    dates = result.report.get("dates")
    if isinstance(dates, dict):
        lines.append("dates: " + "; ".join(f"{name} read as {how}" for name, how in dates.items()))
    topology = result.report.get("topology")
    if isinstance(topology, dict):
        totals = topology.get("totals_m2", {})
        lines.append("topology (m²): " + ", ".join(f"{k} {v:,.1f}" for k, v in totals.items()))
        lines += [f"  {k}: {row}" for k in ("overlaps", "gaps", "spills") for row in topology.get(k, [])[:5]]
    lines += _listed(result.report, "buildings without compound or number")
    if result.reasons:
        lines.append(f"quarantined by reason (top {len(result.reasons)}, first rows of each):")
        lines += [line for group in result.reasons for line in group.describe()]
    if result.quarantined and result.run_id is not None:
        lines.append(
            f"see all: gridgov ingest report {result.run_id} (--export FILE.xlsx to fix and re-ingest)"
        )
    return "\n".join(lines)


def _listed(report: dict[str, object], key: str) -> list[str]:
    """A report's list of examples (e.g. buildings the geocoder cannot find), a line each."""
    items = report.get(key)
    if not isinstance(items, list) or not items:
        return []
    return [f"{key} (first {len(items)}):", *(f"  {item}" for item in items)]


def _runs(args: argparse.Namespace, settings: Settings) -> int:
    with migrated_engine(database_url(settings)) as engine, engine.connect() as conn:
        print(runs.format_runs(runs.recent(conn)))
    return 0


def _report(args: argparse.Namespace, settings: Settings) -> int:
    with migrated_engine(database_url(settings)) as engine, engine.connect() as conn:
        rep = runs.report(conn, args.run_id)
        r = rep.run
        print(
            f"run {r['id']} {r['kind']} from {r['source']} ({r['file_name']}), {r['status']}: read {r['n_read']}, "
            f"inserted {r['n_inserted']}, updated {r['n_updated']}, unchanged {r['n_unchanged']}, "
            f"quarantined {r['n_quarantined']}"
        )
        if r["message"]:
            print(f"message: {r['message']}")
        if rep.reasons:
            print("quarantined by reason (first rows of each; --export FILE.xlsx for every row):")
        for group in rep.reasons:
            print("\n".join(group.describe()))
        if args.export:
            print(f"wrote {runs.export_quarantine(conn, args.run_id, args.export)} rows to {args.export}")
    return 0
