"""gridgov_quarantine_counts(since, until): the rows the loads run in a period set aside, counted
by kind of data and reason, for the reports' data-quality section. The web role reads no
quarantined row (migration 0015); this ``SECURITY DEFINER`` function (owner's rights, a fixed
search_path) gives it the counts only, so a report made from a page holds the same section as
one made by ``gridgov report``.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 07:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UP = """
CREATE FUNCTION gridgov_quarantine_counts(since timestamptz, until timestamptz)
    RETURNS TABLE (kind text, reason text, rows bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT r.kind, coalesce(q.reason_kind, q.reason), count(*)
    FROM quarantine q JOIN ingest_run r ON r.id = q.run_id
    WHERE r.started_at >= since AND r.started_at < until
    GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2
$$;
REVOKE ALL ON FUNCTION gridgov_quarantine_counts(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gridgov_quarantine_counts(timestamptz, timestamptz) TO gridgov_web;
"""


def upgrade() -> None:
    op.execute(_UP)


def downgrade() -> None:
    op.execute("DROP FUNCTION gridgov_quarantine_counts(timestamptz, timestamptz)")
