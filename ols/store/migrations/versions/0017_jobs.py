"""Background jobs stored in the database, and refreshed periods marked stale when a batch is undone.

``job`` holds every long task started from the browser (ingest of a file, refresh or publication of a
period, a report): its state, progress and French message, its result or error. A job lives in the
database, not in a process: the server running a job notes it alive (``heartbeat_at``) every few seconds,
and a job whose server stopped noting it (restarted, crashed) is marked failed instead of showing as running
forever. ``refresh.stale`` says that facts of the period changed
since its refresh (a batch undone): the aggregates wait for the next refresh.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``job`` and add ``refresh.stale``."""
    op.create_table(
        "job",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="queued"),
        sa.Column("progress", sa.Float, nullable=False, server_default="0"),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
        sa.Column("result", JSONB),
        sa.Column("error", sa.Text),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("kind IN ('ingest', 'refresh', 'publish', 'report')", name="job_kind"),
        sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="job_state"),
        sa.CheckConstraint("progress BETWEEN 0 AND 1", name="job_progress"),
    )
    op.create_index("job_created_by", "job", ["created_by", "id"])
    op.add_column("refresh", sa.Column("stale", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    """Drop them."""
    op.drop_column("refresh", "stale")
    op.drop_index("job_created_by", table_name="job")
    op.drop_table("job")
