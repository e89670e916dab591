"""An event's primary key holds its file line, so a large batch's partition can be split by line.

A large file's partition (``event_batch_N``) is itself partitioned by line range into a few
leaves, so that the first leaves are indexed while the last ones still stream in (``etl.load``).
PostgreSQL wants every partition key in a partitioned table's primary key, hence
``(id, batch_id, line)``. ``(batch_id, line)`` alone already names one row of one file, and ids
stay unique because ingestion deduplicates them under a per-source lock; the index keeps ``id``
first for those lookups, and is no wider (the line fills what was alignment padding).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _primary_key(columns: str) -> None:
    op.execute("ALTER TABLE event DROP CONSTRAINT event_pkey")
    op.execute(f"ALTER TABLE event ADD CONSTRAINT event_pkey PRIMARY KEY ({columns})")


def upgrade() -> None:
    _primary_key("id, batch_id, line")


def downgrade() -> None:
    """Merge each batch split by line back into one table (the old key cannot span its leaves)."""
    split = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
                "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'event'::regclass AND c.relkind = 'p'"
            )
        )
        .all()
    )
    for name, _ in split:
        op.execute(f"ALTER TABLE event DETACH PARTITION {name}")
        op.execute(f"ALTER TABLE {name} RENAME TO {name}_leaves")
    _primary_key("id, batch_id")
    for name, bound in split:
        op.execute(f"CREATE TABLE {name} PARTITION OF event {bound}")
        op.execute(f"INSERT INTO {name} SELECT * FROM {name}_leaves")
        op.execute(f"DROP TABLE {name}_leaves")
