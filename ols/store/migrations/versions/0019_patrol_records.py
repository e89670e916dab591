"""Patrol plans kept whole, and the main courante's log of each stop.

A plan's routes (lines, lengths, durations, start, notes) are stored with it so that its GPX, GeoJSON and
PDF can be downloaded again from the browser after it was planned (before, only the CLI wrote them, at
planning time). A stop logged done / not done now says when, by whom and, when not done, why (a code,
never free text: a main courante must not carry names).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """The plan's routes, and the log's moment, author and reason code."""
    op.add_column("patrol_plan", sa.Column("routes", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column("patrol_stop", sa.Column("outcome", sa.String(length=24), nullable=True))
    op.add_column("patrol_stop", sa.Column("logged_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("patrol_stop", sa.Column("logged_by", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop the columns (the plans' routes and the log's reasons are lost)."""
    op.drop_column("patrol_stop", "logged_by")
    op.drop_column("patrol_stop", "logged_at")
    op.drop_column("patrol_stop", "outcome")
    op.drop_column("patrol_plan", "routes")
