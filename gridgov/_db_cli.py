"""`gridgov db dump|restore`: back up the database in use and load a backup into it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from geo import backup, migrate
from geo.db import checked_engine, database_url
from geo.settings import Settings


def add_backup_commands(db_sub: Any) -> None:
    dump = db_sub.add_parser("dump", help="write the whole database to FILE (pg_dump custom format)")
    dump.add_argument("file", type=Path, help="archive to write, e.g. gridgov-2025-05-01.dump")
    dump.set_defaults(handler=_dump)
    restore = db_sub.add_parser("restore", help="load an archive made by `gridgov db dump` (one transaction)")
    restore.add_argument("file", type=Path, help="archive made by `gridgov db dump`")
    restore.add_argument(
        "--clean", action="store_true", help="the database is not empty: drop what the archive holds first"
    )
    restore.set_defaults(handler=_restore)


def _dump(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    with checked_engine(url):
        pass
    size = backup.dump(url, args.file, bindir=backup.client_bindir(settings.pg_bindir))
    print(f"wrote {args.file} ({size / 2**20:,.1f} MB)")
    return 0


def _restore(args: argparse.Namespace, settings: Settings) -> int:
    url = database_url(settings)
    with checked_engine(url) as engine:
        backup.restore(
            url, args.file, bindir=backup.client_bindir(settings.pg_bindir), engine=engine, clean=args.clean
        )
        revision = migrate.current(engine)
    print(f"restored {args.file}; schema revision {revision or 'none'} (code expects {migrate.head()})")
    if revision != migrate.head():
        print("run `gridgov db migrate` to bring the schema up to date")
    return 0
