"""The ``gridgov`` command. User mistakes print one line on stderr and exit 2, never a traceback."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from geo import migrate
from geo.cluster import EmbeddedCluster
from geo.db import checked_engine, database_url
from geo.errors import GridgovError
from geo.settings import Settings
from geo.sla import SlaRules
from geo.vocabulary import Vocabulary
from gridgov._db_cli import add_backup_commands
from gridgov._ingest_cli import add_ingest_commands
from gridgov._report_cli import add_report_commands
from gridgov._sla_cli import add_sla_commands
from gridgov._sources_cli import add_sources_commands
from gridgov._status_cli import add_status_command
from gridgov._users_cli import add_users_commands, first_admin

Handler = Callable[[argparse.Namespace, Settings], int]


def _db_start(args: argparse.Namespace, settings: Settings) -> int:
    if settings.database_url:
        with checked_engine(database_url(settings)):
            pass
        print("DATABASE_URL is set: using that server; nothing to start")
        return 0
    cluster = EmbeddedCluster.from_settings(settings)
    cluster.start()
    with checked_engine(cluster.url):
        pass
    print(f"PostgreSQL running in {cluster.root} (socket {cluster.socket_dir})")
    return 0


def _db_stop(args: argparse.Namespace, settings: Settings) -> int:
    if settings.database_url:
        print("DATABASE_URL is set: gridgov does not manage that server")
        return 0
    EmbeddedCluster.from_settings(settings).stop()
    print("PostgreSQL stopped")
    return 0


def _db_status(args: argparse.Namespace, settings: Settings) -> int:
    if settings.database_url:
        print("external server (DATABASE_URL)")
    else:
        cluster = EmbeddedCluster.from_settings(settings)
        state = "running" if cluster.running() else "stopped"
        print(f"embedded cluster in {cluster.root}: {state}")
        if state == "stopped":
            return 3
    with checked_engine(database_url(settings)) as engine:
        rev = migrate.current(engine)
    print(f"schema revision: {rev or 'none'} (code expects {migrate.head()})")
    return 0


def _db_url(args: argparse.Namespace, settings: Settings) -> int:
    print(database_url(settings))
    return 0


def _db_migrate(args: argparse.Namespace, settings: Settings) -> int:
    with checked_engine(database_url(settings)) as engine:
        migrate.upgrade(engine)
        print(f"schema at revision {migrate.current(engine)}")
    return 0


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.demo import load_demo

    vocabulary = Vocabulary.from_file(settings.district_file)
    with checked_engine(database_url(settings)) as engine:
        migrate.upgrade(engine)
        summary = load_demo(
            engine,
            force=args.force,
            sla=SlaRules.from_file(settings.district_file, vocabulary=vocabulary),
            vocabulary=vocabulary,
            progress=lambda step: print(f"loading {step} …", flush=True),
        )
    print(summary)
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from dashboard.server import serve

    with migrate.migrated_engine(database_url(settings)) as engine:  # disposed: the gunicorn workers fork
        first_admin(engine, settings)
    serve(settings, host=args.host or settings.host, port=args.port or settings.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface; README.md documents every command listed here."""
    parser = argparse.ArgumentParser(prog="gridgov", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    db = sub.add_parser("db", help="the database: embedded PostgreSQL cluster and schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    for name, handler, text in (
        ("start", _db_start, "create (first time) and start the embedded cluster"),
        ("stop", _db_stop, "stop the embedded cluster"),
        ("status", _db_status, "is the cluster running, which schema revision"),
        ("url", _db_url, "print the SQLAlchemy URL of the database in use"),
        ("migrate", _db_migrate, "upgrade the schema to the newest revision"),
    ):
        db_sub.add_parser(name, help=text).set_defaults(handler=handler)
    add_backup_commands(db_sub)
    demo = sub.add_parser("demo", help="load the demo district (first time only)")
    demo.add_argument("--force", action="store_true", help="replace an existing demo district")
    demo.set_defaults(handler=_demo)
    add_ingest_commands(sub)
    add_report_commands(sub)
    add_sla_commands(sub)
    add_sources_commands(sub)
    add_status_command(sub)
    add_users_commands(sub)
    serve = sub.add_parser("serve", help="serve the dashboard with a production WSGI server")
    serve.add_argument("--host", help="address to listen on (default GRIDGOV_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (default GRIDGOV_PORT)")
    serve.set_defaults(handler=_serve)
    return parser


def _stdout_closed() -> int:
    """The reader of our output went away (``gridgov ingest runs | head -1``): say nothing more.
    Whatever is still buffered goes to /dev/null, so the exit flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 141  # 128 + SIGPIPE, as a shell reports a command its pipe closed on


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)  # -h prints, into a pipe too
        handler: Handler = args.handler
        status = handler(args, Settings.from_env())
        sys.stdout.flush()  # here, where a closed pipe is caught, not at exit
        return status
    except BrokenPipeError:
        return _stdout_closed()
    except GridgovError as exc:
        print(f"gridgov: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
