"""Data changes: the database notes which committed transactions changed the tables answers are read from.

A statement-level trigger on ``event`` (and ``event_link``, the signalements merging events of
several partners, noted as a change of ``event``), ``zone``, ``deal_point``, ``deal_point_history``,
``territory``, ``place``, ``source`` and ``official_indicator`` adds one ``data_change`` row per
table and transaction (``ON CONFLICT DO NOTHING``: a transaction of many statements counts once,
and two transactions never wait for each other). The API counts the rows per table to know, in one
small query, whether a cached answer is still the data's, whoever changed it: the API itself, an
``ols ingest`` in a shell, a refresh, a zone sync. A statement trigger costs nothing per row, so
a large ingest is not slowed down.

Revision ID: 0013_data_changes
Revises: 0012
Create Date: 2026-12-10 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRACKED = (
    "event", "event_link", "zone", "deal_point", "deal_point_history", "territory", "place", "source",
    "official_indicator",
)  # fmt: skip
NOTE = """
CREATE FUNCTION ols_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO data_change (kind, xid)
    VALUES (CASE TG_TABLE_NAME WHEN 'event_link' THEN 'event' ELSE TG_TABLE_NAME END,
            pg_current_xact_id()::text::bigint)
    ON CONFLICT ON CONSTRAINT data_change_once DO NOTHING;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "data_change",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("xid", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("kind", "xid", name="data_change_once"),
    )
    op.execute(NOTE)
    for table in TRACKED:
        op.execute(
            f"CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ols_note_change()"
        )


def downgrade() -> None:
    for table in TRACKED:
        op.execute(f"DROP TRIGGER {table}_changed ON {table}")
    op.execute("DROP FUNCTION ols_note_change()")
    op.drop_table("data_change")
