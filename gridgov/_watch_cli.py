"""`gridgov ingest watch DIR --kind KIND`: the drop folder (ingest/watch.py), as a service or from cron."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path

from sqlalchemy.engine import Engine

from geo.db import database_url
from geo.migrate import migrated_engine
from geo.settings import Settings
from gridgov._job_args import add_job_arguments, job_options
from ingest import runs
from ingest.dropfolder import DropFolder
from ingest.job import JobOptions, JobResult, run_file
from ingest.kinds import IngestKind, commands, get_kind
from ingest.progress import Progress
from ingest.reading import file_sha256
from ingest.watch import Watcher

DEFAULT_INTERVAL = 5.0


def add_watch_command(kinds: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = kinds.add_parser("watch", help="load every file another system drops into a folder (a service)")
    p.add_argument("dir", type=Path, help="the folder files are exported to")
    p.add_argument("--kind", required=True, choices=sorted(commands()), help="what the files hold")
    p.add_argument("--level", help="for --kind boundaries: which boundaries the files hold")
    add_job_arguments(p, default_source="the kind's name")
    p.add_argument(
        "--interval",
        type=_seconds,
        default=DEFAULT_INTERVAL,
        metavar="SECONDS",
        help=f"time between looks at the folder (default {DEFAULT_INTERVAL:g}); a file is loaded once "
        "two looks in a row find it the same, or at once with a NAME.done marker beside it",
    )
    p.add_argument("--once", action="store_true", help="look once, load what is ready, and exit (for cron)")
    p.set_defaults(handler=_watch)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds between 0 and 3600")
    return value


def _watch(args: argparse.Namespace, settings: Settings) -> int:
    from dashboard.ops.logs import configure_logging
    from ingest.geocode import district_aliases, geocoder_factory

    kind = get_kind(args.kind, args.level)
    options = job_options(args, settings, default_source=args.kind)
    folder = DropFolder.open(args.dir)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    configure_logging()
    geocoders = geocoder_factory(district_aliases(settings.district_file))
    with migrated_engine(database_url(settings)) as engine:

        def load(path: Path, progress: Progress) -> JobResult:
            return run_file(
                engine, kind=kind, path=path, options=options, geocoder_factory=geocoders, progress=progress
            )

        watcher = Watcher(
            folder=folder,
            load=load,
            note_failure=lambda path, message: _note_failure(engine, kind, options, path, message),
            log=logging.getLogger("gridgov.watch"),
            stop=stop,
        )
        return watcher.run(once=args.once, interval=args.interval)


def _note_failure(engine: Engine, kind: IngestKind, options: JobOptions, path: Path, message: str) -> int:
    """The ledger's line for a file refused before its job began (unknown format, empty file)."""
    sha = file_sha256(path) if path.is_file() else None
    return runs.record_failure(
        engine,
        kind=kind.key,
        source=options.source,
        name=path.name,
        sha256=sha,
        message=message,
    )
