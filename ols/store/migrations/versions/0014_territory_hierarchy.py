"""Territory hierarchy (issue 18): the observatory, its communes and their sectors.

- ``observatory``: the one observatory a database serves — a CLSPD (one commune), a CISPD or an
  EPCI/métropole (several) — with its code, name and kind; its communes are the ``territory`` rows.
- ``sector``: a part of a commune (quartier, IRIS, QPV, secteur de police, commune associée),
  loaded from a polygon file, with its level and, in a two-level hierarchy (quartier → IRIS), its
  parent sector.
- ``event.sector_id``: the deepest sector a fact lies in, given at ingest (NULL outside every
  sector, or where the commune has none); a sector's removal leaves its facts without one.
- ``app_user.sectors``: a user may be tied to sectors as well as to communes.
- ``zone.communes`` / ``zone.sectors``: where a zone lies, so that it is reported in each commune
  and sector it touches.

Revision ID: 0014
Revises: 0013
Create Date: 2027-02-01 10:00:00
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMPTY_ARRAY = sa.text("'{}'")


def upgrade() -> None:
    op.create_table(
        "observatory",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("kind IN ('clspd', 'cispd', 'epci')", name="observatory_kind"),
    )
    op.create_table(
        "sector",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("sector.id", ondelete="SET NULL"), nullable=True),
        sa.Column("territory_id", sa.Integer(), sa.ForeignKey("territory.id", ondelete="CASCADE"), nullable=False),
        sa.Column("geom", geoalchemy2.Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("idx_sector_geom", "sector", ["geom"], postgresql_using="gist")
    op.create_index("sector_territory", "sector", ["territory_id"])
    op.add_column("event", sa.Column("sector_id", sa.Integer(), nullable=True))
    op.create_foreign_key("event_sector_id_fkey", "event", "sector", ["sector_id"], ["id"], ondelete="SET NULL")
    op.add_column(
        "app_user",
        sa.Column("sectors", postgresql.ARRAY(sa.String(64)), nullable=False, server_default=EMPTY_ARRAY),
    )
    for column, width in (("communes", 5), ("sectors", 64)):
        op.add_column(
            "zone", sa.Column(column, postgresql.ARRAY(sa.String(width)), nullable=False, server_default=EMPTY_ARRAY)
        )


def downgrade() -> None:
    op.drop_column("zone", "sectors")
    op.drop_column("zone", "communes")
    op.drop_column("app_user", "sectors")
    op.drop_constraint("event_sector_id_fkey", "event", type_="foreignkey")
    op.drop_column("event", "sector_id")
    op.drop_index("sector_territory", table_name="sector")
    op.drop_index("idx_sector_geom", table_name="sector")
    op.drop_table("sector")
    op.drop_table("observatory")
