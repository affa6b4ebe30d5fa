"""The database's own wall: row-level security on the tables that hold residents' data.

Migration 0010 puts policies on ``incident``, ``inspection_target`` and ``inspection`` (through
its target) with FORCE ROW LEVEL SECURITY, so the table owner (the app's own login) is held to
them too. A transaction sees the rows of the streets its ``gridgov.scope`` setting names:

- unset: work outside the web app (ingest jobs, the CLI, migrations): every row;
- ``all``: an account that may see the whole district;
- ``streets:3,17``: the ids of street rows (every version of the account's streets);
- ``none``: nothing (the web app without a signed-in user).

The web app starts every transaction (:func:`install`) with ``SET LOCAL ROLE gridgov_web`` (a
role that is neither superuser nor owner: superusers bypass every policy) and the request's
scope, both transaction-local: they end with the transaction, so a pooled connection never
carries one request's scope into the next.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from geo.users import User

SETTING = "gridgov.scope"
ROLE = "gridgov_web"
SCOPED_TABLES = ("incident", "inspection_target", "inspection")
DISTRICT_ROLES = frozenset({"admin", "planner", "wall_screen"})
_SET_ROLE = f"SET LOCAL ROLE {ROLE}"
_SET_SCOPE = f"SELECT set_config('{SETTING}', %s, true)"


@dataclass(frozen=True)
class RowScope:
    """Every row (``street_ids is None``) or the rows of these street ids (maybe none)."""

    street_ids: tuple[int, ...] | None

    @classmethod
    def everything(cls) -> RowScope:
        return cls(None)

    @classmethod
    def nothing(cls) -> RowScope:
        return cls(())

    def allows(self, street_id: int) -> bool:
        return self.street_ids is None or street_id in self.street_ids

    @property
    def setting(self) -> str:
        if self.street_ids is None:
            return "all"
        return "streets:" + ",".join(map(str, self.street_ids)) if self.street_ids else "none"


def row_scope(conn: Connection, user: User | None) -> RowScope:
    """What ``user`` may see: the district for admins, planners and wall screens; a street
    leader's streets (all their versions, as old incidents keep the id they were loaded with)."""
    if user is None or user.disabled:
        return RowScope.nothing()
    if user.role in DISTRICT_ROLES:
        return RowScope.everything()
    query = sa.text("SELECT id FROM street WHERE code = ANY(:codes) ORDER BY id")
    return RowScope(tuple(conn.execute(query, {"codes": list(user.streets)}).scalars()))


def apply(conn: Connection, scope: RowScope) -> None:
    """Scope the current transaction of ``conn`` as the web app does (for tests and scripts)."""
    conn.execute(sa.text(_SET_ROLE))
    conn.execute(sa.text(_SET_SCOPE.replace("%s", ":value")), {"value": scope.setting})


def install(engine: Engine, scope_now: Callable[[], RowScope]) -> None:
    """Start every transaction on ``engine`` scoped to ``scope_now()`` (called per transaction,
    e.g. the current request's account)."""

    def begin(conn: Connection) -> None:
        # on the driver's connection: a statement through ``conn`` would begin again, recursively
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(_SET_ROLE)
        cursor.execute(_SET_SCOPE, (scope_now().setting,))
        cursor.close()

    event.listen(engine, "begin", begin)
