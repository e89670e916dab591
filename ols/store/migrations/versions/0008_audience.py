"""The audience layer: cell keys, open-scope hot spots and zones, web sessions, the disclosure secret.

- ``cell_count.cell_key``: the sum of the record keys of the facts a row counts (cell-key method).
- ``hotspot``, ``emerging_hotspot`` and ``zone`` get a ``scope``: ``full`` (every category) or
  ``open`` (without the sensitive ones), computed for the audiences that may not see them; computed
  zones keep their H3 cells and resolution (the élus' zones are drawn on their coarse grid), so
  that their figures can be counted for each audience.
- ``app_session``: signed, expiring, revocable web sessions (the cookie no longer holds the token).
- ``disclosure_key``: the observatory's random secret of the cell-key rounding.

The derived cartography (cell counts, hot spots, computed zones, refresh records) is cleared: it
lacks cell keys and open scopes, and ``ols refresh`` rebuilds it. Published editions are kept.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 10:00:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DERIVED = ("refresh", "cell_count", "hotspot", "emerging_hotspot")
SCOPE_CHECK = "scope IN ('full', 'open')"


def _clear_derived() -> None:
    for table in DERIVED:
        op.execute(f"DELETE FROM {table}")
    op.execute("DELETE FROM zone WHERE kind = 'computed'")


def upgrade() -> None:
    _clear_derived()
    op.add_column("cell_count", sa.Column("cell_key", sa.BigInteger(), server_default=sa.text("0"), nullable=False))
    for table in ("hotspot", "emerging_hotspot"):
        op.add_column(table, sa.Column("scope", sa.String(length=8), server_default="full", nullable=False))
        op.alter_column(table, "scope", server_default=None)
        op.create_check_constraint(f"{table}_scope", table, SCOPE_CHECK)
        op.drop_constraint(f"{table}_pkey", table, type_="primary")
        op.create_primary_key(f"{table}_pkey", table, ["period", "scope", "resolution", "family", "h3"])
    op.add_column("zone", sa.Column("scope", sa.String(length=8), server_default="full", nullable=False))
    op.add_column("zone", sa.Column("resolution", sa.SmallInteger(), nullable=True))
    op.add_column("zone", sa.Column("cells", postgresql.ARRAY(sa.BigInteger()), server_default=sa.text("'{}'"),
                                    nullable=False))  # fmt: skip
    op.create_check_constraint("zone_scope", "zone", SCOPE_CHECK)
    op.drop_constraint("zone_kind_period_code_key", "zone", type_="unique")
    op.create_unique_constraint("zone_kind_scope_period_code_key", "zone", ["kind", "scope", "period", "code"])
    op.create_table(
        "app_session",
        sa.Column("id_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id_sha256"),
    )
    op.create_index("ix_app_session_user_id", "app_session", ["user_id"])
    op.create_table(
        "disclosure_key",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("secret", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name="disclosure_key_single"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute(sa.text("INSERT INTO disclosure_key (id, secret) VALUES (1, :secret)").bindparams(
        secret=secrets.randbits(63)))  # fmt: skip


def downgrade() -> None:
    _clear_derived()
    op.drop_table("disclosure_key")
    op.drop_index("ix_app_session_user_id", table_name="app_session")
    op.drop_table("app_session")
    op.execute("DELETE FROM zone WHERE scope = 'open'")
    op.drop_constraint("zone_kind_scope_period_code_key", "zone", type_="unique")
    op.create_unique_constraint("zone_kind_period_code_key", "zone", ["kind", "period", "code"])
    op.drop_constraint("zone_scope", "zone", type_="check")
    op.drop_column("zone", "cells")
    op.drop_column("zone", "resolution")
    op.drop_column("zone", "scope")
    for table in ("hotspot", "emerging_hotspot"):
        op.drop_constraint(f"{table}_pkey", table, type_="primary")
        op.create_primary_key(f"{table}_pkey", table, ["period", "resolution", "family", "h3"])
        op.drop_constraint(f"{table}_scope", table, type_="check")
        op.drop_column(table, "scope")
    op.drop_column("cell_count", "cell_key")
