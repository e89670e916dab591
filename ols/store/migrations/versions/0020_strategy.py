"""The strategy's follow-up: axes, fiches actions and their dated states, indicators and their values per period,
cellule de veille meetings and their relevé de décisions (issue 16).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTION_STATES = "state IN ('a_lancer', 'en_cours', 'realisee', 'abandonnee')"


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _strategy() -> None:
    op.create_table("strategy_axis", _id(), sa.Column("code", sa.String(16), nullable=False, unique=True),
                    sa.Column("title", sa.Text(), nullable=False))  # fmt: skip
    op.create_table(
        "strategy_action", _id(),
        sa.Column("axis_id", sa.Integer(), sa.ForeignKey("strategy_axis.id", ondelete="CASCADE"), nullable=False),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
        sa.Column("title", sa.Text(), nullable=False), sa.Column("objective", sa.Text(), nullable=False),
        sa.Column("pilot", sa.Text(), nullable=False),
        sa.Column("partners", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("schedule", sa.Text(), nullable=False), sa.Column("state", sa.String(16), nullable=False),
        sa.CheckConstraint(ACTION_STATES, name="strategy_action_state"),
    )  # fmt: skip
    op.create_index("ix_strategy_action_axis_id", "strategy_action", ["axis_id"])
    op.create_table(
        "action_state_change", _id(),
        sa.Column("action_id", sa.Integer(), sa.ForeignKey("strategy_action.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("state", sa.String(16), nullable=False), sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("changed_by", sa.Text(), nullable=False),
        sa.CheckConstraint(ACTION_STATES, name="action_state_change_state"),
    )  # fmt: skip
    op.create_index("ix_action_state_change_action_id", "action_state_change", ["action_id"])


def _indicators() -> None:
    op.create_table(
        "indicator", _id(),
        sa.Column("action_id", sa.Integer(), sa.ForeignKey("strategy_action.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("code", sa.String(32), nullable=False, unique=True), sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False), sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False), sa.Column("target", sa.Double(), nullable=True),
        sa.Column("direction", sa.String(8), nullable=False), sa.Column("source", sa.String(16), nullable=False),
        sa.Column("spec", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.CheckConstraint("kind IN ('context', 'activity', 'result')", name="indicator_kind"),
        sa.CheckConstraint("source IN ('computed', 'entered')", name="indicator_source"),
        sa.CheckConstraint("direction IN ('up', 'down')", name="indicator_direction"),
    )  # fmt: skip
    op.create_index("ix_indicator_action_id", "indicator", ["action_id"])
    op.create_table(
        "indicator_value", _id(),
        sa.Column("indicator_id", sa.Integer(), sa.ForeignKey("indicator.id", ondelete="CASCADE"), nullable=False),
        sa.Column("period", sa.String(32), nullable=False), sa.Column("value", sa.Double(), nullable=False),
        sa.Column("provenance", sa.String(16), nullable=False), sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.UniqueConstraint("indicator_id", "period"),
        sa.CheckConstraint("provenance IN ('computed', 'entered')", name="indicator_value_provenance"),
    )  # fmt: skip
    op.create_index("ix_indicator_value_indicator_id", "indicator_value", ["indicator_id"])


def _meetings() -> None:
    op.create_table(
        "meeting", _id(),
        sa.Column("held_on", sa.Date(), nullable=False), sa.Column("territory", sa.String(64), nullable=False),
        sa.Column("partners", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("agenda", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("state", sa.String(8), nullable=False), sa.Column("created_by", sa.Text(), nullable=False),
        sa.CheckConstraint("state IN ('open', 'closed')", name="meeting_state"),
    )  # fmt: skip
    op.create_index("ix_meeting_held_on", "meeting", ["held_on"])
    op.create_table(
        "decision", _id(),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False), sa.Column("zone", sa.String(64), nullable=True),
        sa.Column("place", sa.Text(), nullable=True), sa.Column("sector", sa.String(64), nullable=True),
        sa.Column("partner", sa.String(64), nullable=False), sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("state", sa.String(8), nullable=False), sa.Column("confidentiality", sa.String(16), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.CheckConstraint("state IN ('open', 'done', 'dropped')", name="decision_state"),
        sa.CheckConstraint("confidentiality IN ('partners', 'police')", name="decision_confidentiality"),
    )  # fmt: skip
    op.create_index("ix_decision_meeting_id", "decision", ["meeting_id"])


def upgrade() -> None:
    """Create the strategy's, the indicators' and the meetings' tables."""
    _strategy()
    _indicators()
    _meetings()


def downgrade() -> None:
    """Drop them."""
    for table in ("decision", "meeting", "indicator_value", "indicator", "action_state_change", "strategy_action",
                  "strategy_axis"):  # fmt: skip
        op.drop_table(table)
