"""Territory calendar: the IANA timezone and the school-holiday zone of each territory.

Local dates and school holidays were read in Europe/Paris and zone B everywhere; they now follow
the territory. Existing territories get theirs from their INSEE code, by the rule of
:mod:`ols.reference.calendar`; a territory without a code (or with one no department matches) is
left NULL and follows the others, as ``ols territory load`` does without ``--timezone``.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ols.errors import InvalidInputError
from ols.reference.calendar import calendar_for

revision: str = "0010"
down_revision: str | None = "0009_event_key_constraint"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("territory", sa.Column("timezone", sa.String(64), nullable=True))
    op.add_column("territory", sa.Column("holiday_zone", sa.String(32), nullable=True))
    connection = op.get_bind()
    for territory_id, insee in connection.execute(sa.text("SELECT id, insee FROM territory WHERE insee IS NOT NULL")):
        try:
            calendar = calendar_for(insee)
        except InvalidInputError:
            continue
        connection.execute(
            sa.text("UPDATE territory SET timezone = :timezone, holiday_zone = :zone WHERE id = :id"),
            {"timezone": calendar.timezone, "zone": calendar.holiday_zone, "id": territory_id},
        )


def downgrade() -> None:
    op.drop_column("territory", "holiday_zone")
    op.drop_column("territory", "timezone")
