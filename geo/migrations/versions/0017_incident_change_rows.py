"""incident_change says which incidents a statement touched, and in which transaction.

Each statement that changes ``incident`` still appends one ``incident_change`` row in the
writer's own transaction (migration 0004), now with:

- ``xid``: the writer's transaction id (``pg_current_xact_id()`` as a bigint): a reader that
  remembers the snapshot its copy was made in finds exactly the changes it has not seen, even
  of transactions that commit out of order (see layers/facts.py);
- ``ids``: the ids of the rows the statement inserted, updated (old and new) or deleted, read
  from the statement's transition tables; NULL when unknown (TRUNCATE, a partition attached by a
  first load, a statement of more than 100,000 rows): readers reload everything then;
- ``streets``: the street ids of those rows (old and new), for a screen's change counter in its
  row scope; NULL: every scope.

A statement that touched no row (an upsert whose rows were all unchanged) appends nothing.
Pruning (every 1,000th row) keeps at least the last 1,000 rows and 10 minutes, and raises
``incident_change_horizon.xid`` above every pruned row's ``xid``: a reader whose snapshot's
xmin lies below it may have missed a pruned row and reloads everything.

A statement on a partition itself (not through ``incident``) fires no trigger here, as before.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 18:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = """
ALTER TABLE incident_change
    ADD COLUMN xid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    ADD COLUMN ids bigint[],
    ADD COLUMN streets integer[];
CREATE INDEX ix_incident_change_xid ON incident_change (xid);
CREATE TABLE incident_change_horizon (
    id smallint NOT NULL DEFAULT 1,
    xid bigint NOT NULL,
    CONSTRAINT pk_incident_change_horizon PRIMARY KEY (id),
    CONSTRAINT ck_incident_change_horizon_one CHECK (id = 1)
);
INSERT INTO incident_change_horizon (xid) VALUES (pg_current_xact_id()::text::bigint);
GRANT SELECT ON incident_change_horizon TO gridgov_web;
"""
_FUNCTIONS = """
CREATE FUNCTION incident_change_log(touched bigint[], streets integer[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    newest bigint;
    gone bigint;
BEGIN
    INSERT INTO incident_change (ids, streets) VALUES (touched, streets) RETURNING id INTO newest;
    IF newest % 1000 = 0 THEN
        WITH pruned AS (
            DELETE FROM incident_change WHERE id < newest - 1000 AND at < now() - interval '10 minutes'
            RETURNING xid
        ) SELECT max(xid) INTO gone FROM pruned;
        IF gone IS NOT NULL THEN
            UPDATE incident_change_horizon SET xid = greatest(xid, gone + 1);
        END IF;
    END IF;
END $$;

CREATE FUNCTION incident_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    SELECT count(*) INTO n FROM new_rows;
    IF n > 100000 THEN
        PERFORM incident_change_log(NULL, NULL);
    ELSIF n > 0 THEN
        PERFORM incident_change_log(array_agg(id), array_agg(DISTINCT street_id) FILTER (WHERE street_id IS NOT NULL))
        FROM new_rows;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION incident_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    SELECT count(*) INTO n FROM new_rows;
    IF n > 100000 THEN
        PERFORM incident_change_log(NULL, NULL);
    ELSIF n > 0 THEN
        PERFORM incident_change_log(array_agg(DISTINCT id), array_agg(DISTINCT street_id) FILTER (WHERE street_id IS NOT NULL))
        FROM (SELECT id, street_id FROM old_rows UNION ALL SELECT id, street_id FROM new_rows) AS touched;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION incident_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    SELECT count(*) INTO n FROM old_rows;
    IF n > 100000 THEN
        PERFORM incident_change_log(NULL, NULL);
    ELSIF n > 0 THEN
        PERFORM incident_change_log(array_agg(id), array_agg(DISTINCT street_id) FILTER (WHERE street_id IS NOT NULL))
        FROM old_rows;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION incident_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM incident_change_log(NULL, NULL);
    RETURN NULL;
END $$;
"""
_TRIGGERS = """
DROP TRIGGER incident_changed ON incident;
CREATE TRIGGER incident_inserted AFTER INSERT ON incident REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION incident_inserted();
CREATE TRIGGER incident_updated AFTER UPDATE ON incident REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION incident_updated();
CREATE TRIGGER incident_deleted AFTER DELETE ON incident REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION incident_deleted();
CREATE TRIGGER incident_truncated AFTER TRUNCATE ON incident
    FOR EACH STATEMENT EXECUTE FUNCTION incident_truncated();
"""
_DOWN = """
DROP TRIGGER incident_inserted ON incident;
DROP TRIGGER incident_updated ON incident;
DROP TRIGGER incident_deleted ON incident;
DROP TRIGGER incident_truncated ON incident;
DROP FUNCTION incident_inserted(); DROP FUNCTION incident_updated();
DROP FUNCTION incident_deleted(); DROP FUNCTION incident_truncated();
DROP FUNCTION incident_change_log(bigint[], integer[]);
DROP TABLE incident_change_horizon;
DROP INDEX ix_incident_change_xid;
ALTER TABLE incident_change DROP COLUMN xid, DROP COLUMN ids, DROP COLUMN streets;
CREATE TRIGGER incident_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON incident
    FOR EACH STATEMENT EXECUTE FUNCTION incident_changed();
"""


def upgrade() -> None:
    op.execute(_TABLES)
    op.execute(_FUNCTIONS)
    op.execute(_TRIGGERS)


def downgrade() -> None:
    op.execute(_DOWN)
