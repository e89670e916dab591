"""``indicator_value.basis``: how many facts a computed value rests on, so that a rate or a share is hidden from a
suppressed reader by the count behind it (a rate of 3 ‰ over 200 facts is safe to show; a share of 2 covered
facts is not), not by its own size. The computed values already stored are counts: their basis is their value.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 07:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("indicator_value", sa.Column("basis", sa.Integer(), nullable=True))
    op.execute("UPDATE indicator_value SET basis = round(value)::integer WHERE provenance = 'computed'")


def downgrade() -> None:
    op.drop_column("indicator_value", "basis")
