"""The database's own wall: row-level security on the tables that hold residents' data.

Migration 0010 puts policies on ``incident``, ``inspection_target`` and ``inspection`` (through
its target), migration 0016 on ``incident_event`` (through its incident), with FORCE ROW LEVEL SECURITY, so the table owner (the app's own login) is held to
them too. A transaction sees the rows of the streets its ``gridgov.scope`` setting names:

- unset: work outside the web app (ingest jobs, the CLI, migrations): every row;
- ``all``: an account that may see the whole district;
- ``streets:3,17``: the ids of street rows (every version of the account's streets);
- ``none``: nothing (the web app without a signed-in user).

The web app starts every transaction (:func:`install`) with ``SET LOCAL ROLE gridgov_web`` (a
role that is neither superuser nor owner: superusers bypass every policy) and the request's
scope, both transaction-local: they end with the transaction, so a pooled connection never
carries one request's scope into the next.

A second setting, ``gridgov.contacts``, says whose grid workers' phone numbers the transaction
may see in full (the rest are masked, 138****1234): the same forms, for the accounts that
manage grid workers: every street for admins, their own for a street leader, none for
planners and wall screens (:func:`contact_streets`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from geo.users import User

SETTING = "gridgov.scope"
CONTACTS = "gridgov.contacts"
ROLE = "gridgov_web"
SCOPED_TABLES = ("incident", "incident_event", "inspection_target", "inspection")
DISTRICT_ROLES = frozenset({"admin", "planner", "wall_screen"})
_SET_ROLE = f"SET LOCAL ROLE {ROLE}"
_SET_SCOPE = f"SELECT set_config('{SETTING}', %s, true), set_config('{CONTACTS}', %s, true)"
# both in one round trip, as every request's transactions begin (set_config('role', …, true) is
# SET LOCAL ROLE: PostgREST starts its transactions so)
_BEGIN = f"SELECT set_config('role', '{ROLE}', true), " + _SET_SCOPE.removeprefix("SELECT ")


def _setting(street_ids: tuple[int, ...] | None) -> str:
    if street_ids is None:
        return "all"
    return "streets:" + ",".join(map(str, street_ids)) if street_ids else "none"


@dataclass(frozen=True)
class RowScope:
    """Every row (``street_ids is None``) or the rows of these street ids (maybe none); and the
    streets whose grid workers' numbers are shown in full (``contacts``: None for all)."""

    street_ids: tuple[int, ...] | None
    contacts: tuple[int, ...] | None = ()

    @classmethod
    def everything(cls) -> RowScope:
        return cls(None, None)

    @classmethod
    def nothing(cls) -> RowScope:
        return cls((), ())

    def allows(self, street_id: int) -> bool:
        return self.street_ids is None or street_id in self.street_ids

    @property
    def setting(self) -> str:
        return _setting(self.street_ids)

    @property
    def contacts_setting(self) -> str:
        return _setting(self.contacts)


def row_scope(conn: Connection, user: User | None) -> RowScope:
    """What ``user`` may see: the district for admins, planners and wall screens; a street
    leader's streets (all their versions, as old incidents keep the id they were loaded with).
    Grid workers' numbers: every street's for admins, a leader's own streets', nobody else's."""
    if user is None or user.disabled:
        return RowScope.nothing()
    if user.role in DISTRICT_ROLES:
        return RowScope(None, None if user.role == "admin" else ())
    query = sa.text("SELECT id FROM street WHERE code = ANY(:codes) ORDER BY id")
    ids = tuple(conn.execute(query, {"codes": list(user.streets)}).scalars())
    return RowScope(ids, ids)


def contact_streets(conn: Connection) -> frozenset[int] | None:
    """The street ids whose grid workers' numbers this transaction may show in full; None for
    every street (also outside the web app, where the setting is unset)."""
    value = conn.execute(sa.text(f"SELECT current_setting('{CONTACTS}', true)")).scalar() or "all"
    if value == "all":
        return None
    if value.startswith("streets:"):
        return frozenset(int(part) for part in value.removeprefix("streets:").split(","))
    return frozenset()


def apply(conn: Connection, scope: RowScope) -> None:
    """Scope the current transaction of ``conn`` as the web app does (for tests and scripts)."""
    conn.execute(sa.text(_SET_ROLE))
    statement = _SET_SCOPE.replace("%s", ":value", 1).replace("%s", ":contacts")
    conn.execute(sa.text(statement), {"value": scope.setting, "contacts": scope.contacts_setting})


def install(engine: Engine, scope_now: Callable[[], RowScope]) -> None:
    """Start every transaction on ``engine`` scoped to ``scope_now()`` (called per transaction,
    e.g. the current request's account)."""

    def begin(conn: Connection) -> None:
        # on the driver's connection: a statement through ``conn`` would begin again, recursively
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        scope = scope_now()
        cursor.execute(_BEGIN, (scope.setting, scope.contacts_setting))
        cursor.close()

    event.listen(engine, "begin", begin)
