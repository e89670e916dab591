"""Buildings that hide what a camera would see: ``building`` (footprints in WGS84), a camera's coverage as a
MultiPolygon (a view clipped by buildings may fall in several pieces) and ``camera.clipped`` (whether its coverage
was cut by the buildings loaded, which decides how a fact is found covered).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 07:10:00
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _geometry(kind: str) -> geoalchemy2.types.Geometry:
    return geoalchemy2.types.Geometry(geometry_type=kind, srid=4326, dimension=2, spatial_index=False,
                                      from_text="ST_GeomFromEWKT", name="geometry", nullable=False)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "building",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("geom", _geometry("MULTIPOLYGON"), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("idx_building_geom", "building", ["geom"], unique=False, postgresql_using="gist")
    op.execute("ALTER TABLE camera ALTER COLUMN coverage TYPE geometry(MULTIPOLYGON, 4326) USING ST_Multi(coverage)")
    op.add_column("camera", sa.Column("clipped", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    """Back to one polygon per camera: a clipped coverage keeps its largest piece, one hidden whole its disc
    (reload the cameras after)."""
    op.drop_column("camera", "clipped")
    op.execute(
        "UPDATE camera SET coverage = ST_Multi(COALESCE((SELECT d.geom FROM ST_Dump(coverage) AS d "
        "ORDER BY ST_Area(d.geom) DESC LIMIT 1), ST_Buffer(geom::geography, radius_m, 'quad_segs=32')::geometry))"
    )
    op.execute("ALTER TABLE camera ALTER COLUMN coverage TYPE geometry(POLYGON, 4326) USING ST_GeometryN(coverage, 1)")
    op.drop_index("idx_building_geom", table_name="building", postgresql_using="gist")
    op.drop_table("building")
