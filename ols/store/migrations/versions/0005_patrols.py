"""Patrol planning: street networks, plans and their stops (rotation and evaluation).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 03:12:51.705883
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "patrol_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("window", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("parameters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "street_edge",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("network", sa.String(length=64), nullable=False),
        sa.Column("u", sa.BigInteger(), nullable=False),
        sa.Column("v", sa.BigInteger(), nullable=False),
        sa.Column("length_m", sa.Double(), nullable=False),
        sa.Column("oneway", sa.Boolean(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("highway", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="LINESTRING",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("idx_street_edge_geom", "street_edge", ["geom"], unique=False, postgresql_using="gist")
    op.create_index(op.f("ix_street_edge_network"), "street_edge", ["network"], unique=False)
    op.create_table(
        "patrol_stop",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("team", sa.SmallInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("arrival", sa.String(length=5), nullable=False),
        sa.Column("dwell_min", sa.SmallInteger(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["patrol_plan.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_patrol_stop_plan_id"), "patrol_stop", ["plan_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_patrol_stop_plan_id"), table_name="patrol_stop")
    op.drop_table("patrol_stop")
    op.drop_index(op.f("ix_street_edge_network"), table_name="street_edge")
    op.drop_index("idx_street_edge_geom", table_name="street_edge", postgresql_using="gist")
    op.drop_table("street_edge")
    op.drop_table("patrol_plan")
