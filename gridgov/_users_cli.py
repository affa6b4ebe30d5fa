"""``gridgov users add|list|disable|set-role``: local accounts for the dashboard."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy.engine import Engine

from geo import sessions, users
from geo.db import database_url
from geo.migrate import migrated_engine
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
    token = cmds.add_parser(
        "token", help="print a new kiosk token for a wall_screen account (the old one stops working)"
    )
    token.add_argument("username")
    token.set_defaults(handler=_token)
    cmds.add_parser(
        "first-admin",
        help="create the `admin` account if there is no admin yet (password: GRIDGOV_ADMIN_PASSWORD, "
        "else printed once); `gridgov serve` does this itself",
    ).set_defaults(handler=_first_admin)


def _add(args: argparse.Namespace, settings: Settings) -> int:
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else users.new_password()
    with migrated_engine(database_url(settings)) as engine, engine.begin() as conn:
        streets = users.street_codes(conn, args.street)
        users.add_user(conn, username=args.username, role=args.role, password=password, streets=streets)
    print(f"added {args.username} ({args.role})")
    if not args.password_stdin:
        print(f"password (shown once): {password}")
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    with migrated_engine(database_url(settings)) as engine, engine.connect() as conn:
        for u in users.users(conn):
            state = " (disabled)" if u.disabled else ""
            print(f"{u.username:<20} {u.role:<14} streets {list(u.streets) or '-'}{state}")
    return 0


def _disable(args: argparse.Namespace, settings: Settings) -> int:
    with migrated_engine(database_url(settings)) as engine, engine.begin() as conn:
        users.disable(conn, args.username)
    print(f"disabled {args.username}")
    return 0


def _set_role(args: argparse.Namespace, settings: Settings) -> int:
    with migrated_engine(database_url(settings)) as engine, engine.begin() as conn:
        users.set_role(conn, args.username, args.role, users.street_codes(conn, args.street))
    print(f"{args.username} is now {args.role}")
    return 0


def _token(args: argparse.Namespace, settings: Settings) -> int:
    with migrated_engine(database_url(settings)) as engine, engine.begin() as conn:
        token = sessions.new_kiosk_token(conn, args.username)
    print(f"kiosk token for {args.username} (shown once; the previous one no longer works):")
    print(token)
    print(f"open the wall screen at http://HOST:PORT/kiosk?token={token}")
    return 0


def first_admin(engine: Engine, settings: Settings) -> None:
    """Create the first admin account if none exists, and say so once."""
    with engine.begin() as conn:
        password = users.ensure_admin(conn, password=settings.admin_password)
    if password is None:
        return
    if settings.admin_password:
        print(f"created the admin account {users.FIRST_ADMIN!r} with the password in GRIDGOV_ADMIN_PASSWORD")
    else:
        print(f"created the admin account {users.FIRST_ADMIN!r}; password (shown once): {password}")


def _first_admin(args: argparse.Namespace, settings: Settings) -> int:
    with migrated_engine(database_url(settings)) as engine:
        first_admin(engine, settings)
    return 0
