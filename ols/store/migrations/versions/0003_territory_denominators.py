"""Territory denominators (inhabitants, dwellings) for rates per 1,000.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("territory", sa.Column("population", sa.Integer(), nullable=True))
    op.add_column("territory", sa.Column("dwellings", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("territory", "dwellings")
    op.drop_column("territory", "population")
