"""Batch dropped columns: the attribute columns an ingest dropped for nominative data, kept on the batch.

Under a mapping's ``drop_column`` policy, the columns dropped were said only in the first
report: the same file sent again (a duplicate batch) reported none. They are stored with the
batch, with what each held in French; batches ingested before this revision drop nothing known
and get ``{}``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-10 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "batch",
        sa.Column("dropped_columns", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
    )


def downgrade() -> None:
    op.drop_column("batch", "dropped_columns")
