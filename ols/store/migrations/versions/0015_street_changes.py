"""Street changes: loading a street network is noted in ``data_change`` like the other reference tables.

The map draws the streets from vector tiles (``/api/v1/tiles/streets``) that the API caches while
their data is unchanged; the same statement-level trigger as in 0013 on ``street_edge`` tells it
when ``ols territory load-streets`` (or the demo) replaced a network.

Revision ID: 0015
Revises: 0014
Create Date: 2027-03-01 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE TRIGGER street_edge_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON street_edge "
        "FOR EACH STATEMENT EXECUTE FUNCTION ols_note_change()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER street_edge_changed ON street_edge")
