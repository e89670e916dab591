"""Initial schema: sources, territories, places, BAN addresses, batches, rejected rows, events.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 01:45:44.592184
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "address",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("insee", sa.String(length=5), nullable=False),
        sa.Column("postcode", sa.String(length=5), nullable=True),
        sa.Column("street", sa.Text(), nullable=False),
        sa.Column("street_key", sa.Text(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("suffix", sa.String(length=16), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("address_lookup", "address", ["insee", "street_key", "number", "suffix"], unique=False)
    op.create_table(
        "place",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False),
        sa.Column("insee", sa.String(length=5), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("attributes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "name_key"),
    )
    op.create_index("idx_place_geom", "place", ["geom"], unique=False, postgresql_using="gist")
    op.create_table(
        "source",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("default_confidentiality", sa.String(length=16), nullable=False),
        sa.CheckConstraint("default_confidentiality IN ('open', 'partners', 'police')", name="source_confidentiality"),
        sa.CheckConstraint(
            "kind IN ('police_nationale', 'police_municipale', 'bailleur', 'mediation', 'transport', "
            "'services_techniques', 'doleances', 'cellule_veille', 'other')",
            name="source_kind",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    source = sa.table(
        "source",
        sa.column("id", sa.SmallInteger),
        sa.column("code", sa.String),
        sa.column("name", sa.Text),
        sa.column("kind", sa.String),
        sa.column("default_confidentiality", sa.String),
    )
    op.bulk_insert(
        source,
        [
            {
                "id": 1,
                "code": "police-nationale",
                "name": "Police nationale",
                "kind": "police_nationale",
                "default_confidentiality": "police",
            },
            {
                "id": 2,
                "code": "police-municipale",
                "name": "Police municipale",
                "kind": "police_municipale",
                "default_confidentiality": "police",
            },
            {
                "id": 3,
                "code": "mediation",
                "name": "Médiation sociale",
                "kind": "mediation",
                "default_confidentiality": "partners",
            },
            {
                "id": 4,
                "code": "transport",
                "name": "Transporteur (réseau de transport public)",
                "kind": "transport",
                "default_confidentiality": "partners",
            },
            {
                "id": 5,
                "code": "services-techniques",
                "name": "Services techniques municipaux",
                "kind": "services_techniques",
                "default_confidentiality": "open",
            },
            {
                "id": 6,
                "code": "doleances",
                "name": "Doléances des habitants",
                "kind": "doleances",
                "default_confidentiality": "partners",
            },
            {
                "id": 7,
                "code": "cellule-de-veille",
                "name": "Cellule de veille",
                "kind": "cellule_veille",
                "default_confidentiality": "police",
            },
            {
                "id": 8,
                "code": "police-uk",
                "name": "police.uk street-level crime",
                "kind": "other",
                "default_confidentiality": "open",
            },
        ],
    )
    op.execute("SELECT setval(pg_get_serial_sequence('source', 'id'), 8)")
    op.create_table(
        "territory",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("insee", sa.String(length=5), nullable=True),
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
        sa.Column("boundary_file", sa.Text(), nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("idx_territory_geom", "territory", ["geom"], unique=False, postgresql_using="gist")
    op.create_table(
        "batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.SmallInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("mapping_name", sa.Text(), nullable=False),
        sa.Column("mapping", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("ingested_by", sa.Text(), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id", "sha256"),
    )
    op.create_table(
        "event",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("source_id", sa.SmallInteger(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=48), nullable=False),
        sa.Column("family", sa.String(length=32), nullable=False),
        sa.Column("raw_label", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_precision", sa.String(length=8), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("location_precision", sa.String(length=8), nullable=False),
        sa.Column("h3_r8", sa.BigInteger(), nullable=False),
        sa.Column("h3_r9", sa.BigInteger(), nullable=False),
        sa.Column("h3_r10", sa.BigInteger(), nullable=False),
        sa.Column("commune_insee", sa.String(length=5), nullable=True),
        sa.Column("partner_ref", sa.Text(), nullable=True),
        sa.Column("confidentiality", sa.String(length=16), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("attributes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.CheckConstraint("confidentiality IN ('open', 'partners', 'police')", name="event_confidentiality"),
        sa.CheckConstraint(
            "location_precision IN ('exact', 'address', 'street', 'zone')", name="event_location_precision"
        ),
        sa.CheckConstraint("time_precision IN ('minute', 'day', 'month')", name="event_time_precision"),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("event_geom", "event", ["geom"], unique=False, postgresql_using="gist")
    op.create_index("event_occurred_at", "event", ["occurred_at"], unique=False)
    op.create_table(
        "rejected_row",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("column_name", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raw", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batch.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_rejected_row_batch_id"), "rejected_row", ["batch_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_rejected_row_batch_id"), table_name="rejected_row")
    op.drop_table("rejected_row")
    op.drop_index("event_occurred_at", table_name="event")
    op.drop_index("event_geom", table_name="event", postgresql_using="gist")
    op.drop_table("event")
    op.drop_table("batch")
    op.drop_index("idx_territory_geom", table_name="territory", postgresql_using="gist")
    op.drop_table("territory")
    op.drop_table("source")
    op.drop_index("idx_place_geom", table_name="place", postgresql_using="gist")
    op.drop_table("place")
    op.drop_index("address_lookup", table_name="address")
    op.drop_table("address")
