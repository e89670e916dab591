"""Facts vs activity, one fact several partners, and guards against sparse data (issue 13).

- ``event.measure``: ``facts`` (faits constatés, signalements) or ``activity`` (a service's
  interventions, passages, removals). Existing events get the rule of the shipped mappings at the
  time of this migration: the mediation's and the services techniques' files are activity, so is
  a refused fare control (``fare_evasion``) and a speeding ticket of the police municipale; every
  other event is a fact. ``ols.nomenclature`` and ``etl.mapping`` state the rule from now on.
- ``batch.merge_rule``: the rule a batch's facts were paired under (none yet: the next ingest or
  refresh pairs every batch); ``event_pair`` and ``event_link``: facts of different partners that
  are the same event, linked into one signalement (:mod:`ols.merging`).
- ``cell_count``: one row per measure, the signalements counted in ``count`` and the facts merged
  into another partner's signalement in ``merged``; ``hotspot``: one layer per measure, each
  cell's neighbourhood count and no z-score where none was computed; ``hotspot_layer``: whether a
  layer was computed or had too few facts, and why.

The derived cartography (cell counts, hot spots, emerging hot spots, computed zones, refresh
records) is cleared: it mixed activity with facts and counted merged facts twice, and ``ols
refresh`` rebuilds it. Published editions are kept as they were published.

Revision ID: 0012
Revises: 0011
Create Date: 2027-01-10 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DERIVED = ("refresh", "cell_count", "hotspot", "emerging_hotspot")
SCOPE_CHECK = "scope IN ('full', 'open')"
CELL_COUNT_KEY = ("period", "resolution", "h3", "category", "source_id", "territory_id")
ACTIVITY = (
    "UPDATE event e SET measure = 'activity' FROM batch b WHERE b.id = e.batch_id AND ("
    "b.mapping_name IN ('mediation', 'services_techniques') OR e.category = 'fare_evasion' "
    "OR (b.mapping_name = 'police_municipale' AND e.raw_label = 'Excès de vitesse'))"
)


def _clear_derived() -> None:
    for table in DERIVED:
        op.execute(f"DELETE FROM {table}")
    op.execute("DELETE FROM zone WHERE kind = 'computed'")


def _event_key(prefix: str) -> tuple[list[str], list[str]]:
    return [f"{prefix}source_id", f"{prefix}id"], ["event.source_id", "event.id"]


def _merge_tables() -> None:
    uuid = postgresql.UUID(as_uuid=True)
    op.create_table(
        "event_pair",
        sa.Column("a_source_id", sa.SmallInteger(), nullable=False),
        sa.Column("a_id", uuid, nullable=False),
        sa.Column("b_source_id", sa.SmallInteger(), nullable=False),
        sa.Column("b_id", uuid, nullable=False),
        sa.Column("metres", sa.Float(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(*_event_key("a_"), name="event_pair_a_fkey", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(*_event_key("b_"), name="event_pair_b_fkey", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("a_source_id", "a_id", "b_source_id", "b_id", name="event_pair_pkey"),
    )
    op.create_index("event_pair_b", "event_pair", ["b_source_id", "b_id"])
    op.create_table(
        "event_link",
        sa.Column("source_id", sa.SmallInteger(), nullable=False),
        sa.Column("id", uuid, nullable=False),
        sa.Column("lead_source_id", sa.SmallInteger(), nullable=False),
        sa.Column("lead_id", uuid, nullable=False),
        sa.ForeignKeyConstraint(*_event_key(""), name="event_link_member_fkey", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(*_event_key("lead_"), name="event_link_lead_fkey", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("source_id", "id", name="event_link_pkey"),
    )
    op.create_index("event_link_lead", "event_link", ["lead_source_id", "lead_id"])


def _hotspot_layer() -> None:
    op.create_table(
        "hotspot_layer",
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("resolution", sa.SmallInteger(), nullable=False),
        sa.Column("family", sa.String(length=32), nullable=False),
        sa.Column("measure", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("facts", sa.Integer(), nullable=False),
        sa.Column("min_facts", sa.Integer(), nullable=False),
        sa.Column("min_neighbourhood", sa.Integer(), nullable=False),
        sa.Column("guarded_cells", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(SCOPE_CHECK, name="hotspot_layer_scope"),
        sa.CheckConstraint("status IN ('computed', 'insufficient')", name="hotspot_layer_status"),
        sa.PrimaryKeyConstraint("period", "scope", "resolution", "family", "measure"),
    )


def upgrade() -> None:
    _clear_derived()
    op.add_column("event", sa.Column("measure", sa.String(length=8), server_default="facts", nullable=False))
    op.execute(ACTIVITY)
    op.alter_column("event", "measure", server_default=None)  # from now on every insert says what it measures
    op.create_check_constraint("event_measure", "event", "measure IN ('facts', 'activity')")
    op.add_column("batch", sa.Column("merge_rule", sa.String(length=64), nullable=True))
    _merge_tables()
    op.add_column("cell_count", sa.Column("measure", sa.String(length=8), server_default="facts", nullable=False))
    op.add_column("cell_count", sa.Column("merged", sa.Integer(), server_default=sa.text("0"), nullable=False))
    op.add_column("cell_count", sa.Column("merged_key", sa.BigInteger(), server_default=sa.text("0"), nullable=False))
    op.create_check_constraint("cell_count_measure", "cell_count", "measure IN ('facts', 'activity')")
    op.drop_constraint("cell_count_pkey", "cell_count", type_="primary")
    op.create_primary_key("cell_count_pkey", "cell_count", [*CELL_COUNT_KEY, "measure"])
    op.add_column("hotspot", sa.Column("measure", sa.String(length=8), server_default="facts", nullable=False))
    op.add_column("hotspot", sa.Column("neighbourhood", sa.Integer(), server_default=sa.text("0"), nullable=False))
    for column in ("z", "p", "p_fdr"):
        op.alter_column("hotspot", column, nullable=True)
    op.drop_constraint("hotspot_pkey", "hotspot", type_="primary")
    op.create_primary_key("hotspot_pkey", "hotspot", ["period", "scope", "resolution", "family", "measure", "h3"])
    _hotspot_layer()


def downgrade() -> None:
    _clear_derived()
    op.drop_table("hotspot_layer")
    op.drop_constraint("hotspot_pkey", "hotspot", type_="primary")
    op.create_primary_key("hotspot_pkey", "hotspot", ["period", "scope", "resolution", "family", "h3"])
    for column in ("z", "p", "p_fdr"):
        op.alter_column("hotspot", column, nullable=False)
    op.drop_column("hotspot", "neighbourhood")
    op.drop_column("hotspot", "measure")
    op.drop_constraint("cell_count_pkey", "cell_count", type_="primary")
    op.create_primary_key("cell_count_pkey", "cell_count", list(CELL_COUNT_KEY))
    op.drop_constraint("cell_count_measure", "cell_count", type_="check")
    for column in ("merged_key", "merged", "measure"):
        op.drop_column("cell_count", column)
    op.drop_index("event_link_lead", table_name="event_link")
    op.drop_table("event_link")
    op.drop_index("event_pair_b", table_name="event_pair")
    op.drop_table("event_pair")
    op.drop_column("batch", "merge_rule")
    op.drop_constraint("event_measure", "event", type_="check")
    op.drop_column("event", "measure")
