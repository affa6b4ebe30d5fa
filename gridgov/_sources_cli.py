"""``gridgov sources add|list|revoke``: the intake API's per-source keys (``geo/api_keys.py``)."""

from __future__ import annotations

import argparse
from typing import Any

from geo import api_keys
from geo.db import database_url
from geo.migrate import migrated_engine
from geo.settings import Settings


def add_sources_commands(sub: Any) -> None:
    cmd = sub.add_parser("sources", help="intake API keys: one per source system (12345, a mini-program …)")
    cmds = cmd.add_subparsers(dest="sources_command", required=True)
    add = cmds.add_parser("add", help="make a key for source NAME and print it once (only its hash is kept)")
    add.add_argument(
        "name", help="the source the key writes, e.g. 12345; its incidents are unique per source"
    )
    add.add_argument(
        "--per-minute",
        type=int,
        default=api_keys.PER_MINUTE,
        help=f"requests a minute the key may send (default {api_keys.PER_MINUTE}); more get HTTP 429",
    )
    add.add_argument(
        "--burst",
        type=int,
        default=api_keys.BURST,
        help=f"requests it may send at once before the per-minute rate applies (default {api_keys.BURST})",
    )
    add.set_defaults(handler=_add)
    cmds.add_parser(
        "list", help="sources with their keys: created, last used, requests, items, refused (429)"
    ).set_defaults(handler=_list)
    revoke = cmds.add_parser("revoke", help="stop source NAME's key from working (kept, for the record)")
    revoke.add_argument("name")
    revoke.set_defaults(handler=_revoke)


def _add(args: argparse.Namespace, settings: Settings) -> int:
    with migrated_engine(database_url(settings)) as engine, engine.begin() as conn:
        key = api_keys.add(conn, args.name, per_minute=args.per_minute, burst=args.burst)
    print(f"added source {args.name.strip()}; its API key (shown once, keep it secret):")
    print(key)
    return 0


def _when(value: object) -> str:
    return "-" if value is None else f"{value:%Y-%m-%d %H:%M}"


def _list(args: argparse.Namespace, settings: Settings) -> int:
    with migrated_engine(database_url(settings)) as engine, engine.connect() as conn:
        found = api_keys.keys(conn)
    if not found:
        print("no sources yet: gridgov sources add NAME")
    for k in found:
        state = "live" if k.live else f"revoked {_when(k.revoked_at)}"
        print(
            f"{k.source:<20} {state:<24} created {_when(k.created_at)}  last used {_when(k.last_used_at)}  "
            f"requests {k.requests}  items {k.items}  refused {k.refused}  limit {k.per_minute}/min (burst {k.burst})"
        )
    return 0


def _revoke(args: argparse.Namespace, settings: Settings) -> int:
    with migrated_engine(database_url(settings)) as engine, engine.begin() as conn:
        api_keys.revoke(conn, args.name)
    print(f"revoked the key of source {args.name}")
    return 0
