"""``gridgov users add|list|disable|set-role``: local accounts for the dashboard."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from geo import users
from geo.db import checked_engine, database_url
from geo.settings import Settings


def add_users_commands(sub: Any) -> None:
    cmd = sub.add_parser("users", help="local accounts: who may use the dashboard, in which role")
    cmds = cmd.add_subparsers(dest="users_command", required=True)
    roles = ", ".join(users.ROLES)
    add = cmds.add_parser(
        "add", help="add an account; prints a new random password once unless --password-stdin"
    )
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=list(users.ROLES), help=roles)
    add.add_argument(
        "--street", action="append", default=[], help="a street's 12-digit code (street leaders; repeatable)"
    )
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(handler=_add)
    cmds.add_parser("list", help="accounts with their roles and streets").set_defaults(handler=_list)
    off = cmds.add_parser("disable", help="stop an account from logging in (it is kept, for the audit log)")
    off.add_argument("username")
    off.set_defaults(handler=_disable)
    role = cmds.add_parser("set-role", help="change an account's role and streets")
    role.add_argument("username")
    role.add_argument("role", choices=list(users.ROLES))
    role.add_argument("--street", action="append", default=[], help="a street's 12-digit code (repeatable)")
    role.set_defaults(handler=_set_role)


def _add(args: argparse.Namespace, settings: Settings) -> int:
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else users.new_password()
    with checked_engine(database_url(settings)) as engine, engine.begin() as conn:
        streets = users.street_codes(conn, args.street)
        users.add_user(conn, username=args.username, role=args.role, password=password, streets=streets)
    print(f"added {args.username} ({args.role})")
    if not args.password_stdin:
        print(f"password (shown once): {password}")
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    with checked_engine(database_url(settings)) as engine, engine.connect() as conn:
        for u in users.users(conn):
            state = " (disabled)" if u.disabled else ""
            print(f"{u.username:<20} {u.role:<14} streets {list(u.streets) or '-'}{state}")
    return 0


def _disable(args: argparse.Namespace, settings: Settings) -> int:
    with checked_engine(database_url(settings)) as engine, engine.begin() as conn:
        users.disable(conn, args.username)
    print(f"disabled {args.username}")
    return 0


def _set_role(args: argparse.Namespace, settings: Settings) -> int:
    with checked_engine(database_url(settings)) as engine, engine.begin() as conn:
        users.set_role(conn, args.username, args.role, users.street_codes(conn, args.street))
    print(f"{args.username} is now {args.role}")
    return 0
