"""The police.uk source's display name in French: the map's source filter and the exports show it to readers.

Migration 0001 seeded it as « police.uk street-level crime », which the map's « Source » list showed as is.
Only the name changes: the code ``police-uk`` stays what mappings, ingests and the API use.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCE = sa.table("source", sa.column("code", sa.String), sa.column("name", sa.String))
ENGLISH = "police.uk street-level crime"
FRENCH = "Police britannique — faits géolocalisés (data.police.uk)"


def upgrade() -> None:
    """Rename the seeded source (a name a coordinator changed since is left as it is)."""
    op.execute(SOURCE.update().where(SOURCE.c.code == "police-uk", SOURCE.c.name == ENGLISH).values(name=FRENCH))


def downgrade() -> None:
    """Give the seeded source its English name back."""
    op.execute(SOURCE.update().where(SOURCE.c.code == "police-uk", SOURCE.c.name == FRENCH).values(name=ENGLISH))
