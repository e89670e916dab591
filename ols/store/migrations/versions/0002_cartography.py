"""Semester cartography: cell counts, hot spots, emerging hot spots, zones, editions, SSMSI figures.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:11:53.178306
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cell_count",
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("resolution", sa.SmallInteger(), nullable=False),
        sa.Column("h3", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.String(length=48), nullable=False),
        sa.Column("source_id", sa.SmallInteger(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("period", "resolution", "h3", "category", "source_id", "territory_id"),
    )
    op.create_table(
        "edition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("published_by", sa.Text(), nullable=False),
        sa.Column("content", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period"),
    )
    op.create_table(
        "emerging_hotspot",
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("resolution", sa.SmallInteger(), nullable=False),
        sa.Column("family", sa.String(length=32), nullable=False),
        sa.Column("h3", sa.BigInteger(), nullable=False),
        sa.Column("pattern", sa.String(length=32), nullable=False),
        sa.Column("trend_tau", sa.Double(), nullable=True),
        sa.Column("trend_p", sa.Double(), nullable=True),
        sa.Column("hot_periods", sa.SmallInteger(), nullable=False),
        sa.Column("cold_periods", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("period", "resolution", "family", "h3"),
    )
    op.create_table(
        "hotspot",
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("resolution", sa.SmallInteger(), nullable=False),
        sa.Column("family", sa.String(length=32), nullable=False),
        sa.Column("h3", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("z", sa.Double(), nullable=False),
        sa.Column("p", sa.Double(), nullable=False),
        sa.Column("p_fdr", sa.Double(), nullable=False),
        sa.Column("class", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("period", "resolution", "family", "h3"),
    )
    op.create_table(
        "official_indicator",
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("indicator", sa.Text(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("rate_per_thousand", sa.Double(), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("dwellings", sa.Integer(), nullable=True),
        sa.Column("source_file", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "code", "year", "indicator"),
    )
    op.create_table(
        "refresh",
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("method", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("summary", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("period"),
    )
    op.create_table(
        "zone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("stats", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.CheckConstraint("kind IN ('computed', 'declared')", name="zone_kind"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "period", "code"),
    )
    op.create_index("idx_zone_geom", "zone", ["geom"], unique=False, postgresql_using="gist")


def downgrade() -> None:
    op.drop_index("idx_zone_geom", table_name="zone", postgresql_using="gist")
    op.drop_table("zone")
    op.drop_table("refresh")
    op.drop_table("official_indicator")
    op.drop_table("hotspot")
    op.drop_table("emerging_hotspot")
    op.drop_table("edition")
    op.drop_table("cell_count")
