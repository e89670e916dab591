"""Video-protection coverage and the place/sector sheets: ``camera``, ``csu_activity`` and ``ambiance``.

Cameras were places of kind ``camera`` drawn as circles of their ``radius_m`` attribute; each becomes a
camera of the same radius (50 m when it had none), active, keyed ``place-<id>``. The places stay, so
that the map and the PDF legend keep drawing them.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 16:30:00
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The disc of a camera place: its radius (50 m when missing), on the sphere (geography buffer).
CAMERAS_OF_PLACES = sa.text(
    "INSERT INTO camera (code, name, geom, radius_m, coverage, state) "
    "SELECT 'place-' || id, name, geom, r, ST_Buffer(geom::geography, r, 'quad_segs=32')::geometry, 'active' "
    "FROM (SELECT id, name, geom, CASE WHEN attributes->>'radius_m' ~ '^[0-9]+(\\.[0-9]+)?$' "
    "AND (attributes->>'radius_m')::float BETWEEN 1 AND 500 THEN (attributes->>'radius_m')::float ELSE 50 END AS r "
    "FROM place WHERE kind = 'camera') AS cameras"
)


def _geometry(kind: str) -> geoalchemy2.types.Geometry:
    return geoalchemy2.types.Geometry(geometry_type=kind, srid=4326, dimension=2, spatial_index=False,
                                      from_text="ST_GeomFromEWKT", name="geometry", nullable=False)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "camera",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("geom", _geometry("POINT"), nullable=False),
        sa.Column("radius_m", sa.Float(), nullable=False),
        sa.Column("direction_deg", sa.Float(), nullable=True),
        sa.Column("angle_deg", sa.Float(), nullable=True),
        sa.Column("coverage", _geometry("POLYGON"), nullable=False),
        sa.Column("installed_on", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=True),
        sa.CheckConstraint("state IN ('active', 'broken', 'planned', 'removed')", name="camera_state"),
        sa.CheckConstraint("radius_m > 0 AND radius_m <= 500", name="camera_radius"),
        sa.CheckConstraint("angle_deg IS NULL OR (angle_deg > 0 AND angle_deg <= 360)", name="camera_angle"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("idx_camera_geom", "camera", ["geom"], unique=False, postgresql_using="gist")
    op.create_index("idx_camera_coverage", "camera", ["coverage"], unique=False, postgresql_using="gist")
    op.create_table(
        "csu_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("intervener", sa.Text(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=True),
        sa.Column("interventions", sa.Integer(), nullable=True),
        sa.Column("arrests", sa.Integer(), nullable=True),
        sa.Column("requisitions", sa.Integer(), nullable=True),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.Text(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period", "intervener"),
    )
    op.create_table(
        "ambiance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("rating", sa.String(length=8), nullable=False),
        sa.Column("observation", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("rating IN ('calme', 'tendu', 'degrade')", name="ambiance_rating"),
        sa.CheckConstraint("subject_kind IN ('place', 'sector', 'zone')", name="ambiance_subject"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subject_kind", "subject", "period", "author"),
    )
    op.execute(CAMERAS_OF_PLACES)


def downgrade() -> None:
    op.drop_table("ambiance")
    op.drop_table("csu_activity")
    op.drop_index("idx_camera_coverage", table_name="camera", postgresql_using="gist")
    op.drop_index("idx_camera_geom", table_name="camera", postgresql_using="gist")
    op.drop_table("camera")
