"""Events partitioned by batch: a large file becomes its own partition, loaded and indexed apart.

The existing events become the default partition (where small files keep going). A large file
is COPYed into a table of the ``ols_staging`` schema, indexed there (indexes built side by side
on separate connections), then attached to ``event`` in the ingest transaction: the rest of the
table is never re-indexed, and readers are not blocked while a big file loads. The primary key
of a partitioned table must hold the partition key, hence ``(id, batch_id)``; ids stay unique
because ingestion deduplicates them, under a per-source lock, against every stored event.
An event's batch and source are checked together, ``(batch_id, source_id)`` against the batch
(one key to validate when a partition is attached, and an event can no longer name a source
other than its batch's); ``attributes`` defaults to ``{}`` so files without any need not send it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 04:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = """
    id uuid NOT NULL,
    source_id smallint NOT NULL,
    batch_id integer NOT NULL,
    territory_id integer NOT NULL,
    category varchar(48) NOT NULL,
    family varchar(32) NOT NULL,
    raw_label text NOT NULL,
    occurred_at timestamptz NOT NULL,
    time_precision varchar(8) NOT NULL,
    geom geometry(Point, 4326) NOT NULL,
    location_precision varchar(8) NOT NULL,
    h3_r8 bigint NOT NULL,
    h3_r9 bigint NOT NULL,
    h3_r10 bigint NOT NULL,
    commune_insee varchar(5),
    partner_ref text,
    confidentiality varchar(16) NOT NULL,
    line integer NOT NULL,
    attributes jsonb NOT NULL DEFAULT '{}',
    CONSTRAINT event_confidentiality CHECK (confidentiality IN ('open', 'partners', 'police')),
    CONSTRAINT event_location_precision CHECK (location_precision IN ('exact', 'address', 'street', 'zone')),
    CONSTRAINT event_time_precision CHECK (time_precision IN ('minute', 'day', 'month'))
"""
FOREIGN_KEYS = {
    "event_batch_fkey": "FOREIGN KEY (batch_id, source_id) REFERENCES batch (id, source_id)",
    "event_territory_id_fkey": "FOREIGN KEY (territory_id) REFERENCES territory (id)",
}
OLD_FOREIGN_KEYS = {
    "event_source_id_fkey": "FOREIGN KEY (source_id) REFERENCES source (id)",
    "event_batch_id_fkey": "FOREIGN KEY (batch_id) REFERENCES batch (id)",
    "event_territory_id_fkey": "FOREIGN KEY (territory_id) REFERENCES territory (id)",
}


def _parent(partitioned: bool) -> None:
    """``event`` with its keys and indexes, partitioned by batch or plain."""
    key = "PRIMARY KEY (id, batch_id)" if partitioned else "PRIMARY KEY (id)"
    tail = " PARTITION BY LIST (batch_id)" if partitioned else ""
    op.execute(f"CREATE TABLE event ({COLUMNS}, CONSTRAINT event_pkey {key}){tail}")
    for name, definition in (FOREIGN_KEYS if partitioned else OLD_FOREIGN_KEYS).items():
        op.execute(f"ALTER TABLE event ADD CONSTRAINT {name} {definition}")
    op.execute("CREATE INDEX event_geom ON event USING gist (geom)")
    op.execute("CREATE INDEX event_occurred_at ON event (occurred_at)")


def _set_aside_old_event(foreign_keys: dict[str, str]) -> None:
    op.execute("ALTER TABLE event RENAME TO event_old")
    op.execute("ALTER TABLE event_old RENAME CONSTRAINT event_pkey TO event_old_pkey")
    op.execute("ALTER INDEX event_geom RENAME TO event_old_geom")
    op.execute("ALTER INDEX event_occurred_at RENAME TO event_old_occurred_at")
    for name in foreign_keys:
        op.execute(f"ALTER TABLE event_old RENAME CONSTRAINT {name} TO {name.replace('event_', 'event_old_')}")


def upgrade() -> None:
    _set_aside_old_event(OLD_FOREIGN_KEYS)
    op.execute("ALTER TABLE batch ADD CONSTRAINT batch_id_source_id_key UNIQUE (id, source_id)")
    _parent(partitioned=True)
    op.execute("CREATE TABLE event_default PARTITION OF event DEFAULT")
    op.execute("INSERT INTO event SELECT * FROM event_old")
    op.execute("DROP TABLE event_old")
    op.execute("CREATE SCHEMA ols_staging")


def downgrade() -> None:
    op.execute("DROP SCHEMA ols_staging CASCADE")
    _set_aside_old_event(FOREIGN_KEYS)
    _parent(partitioned=False)
    op.execute("INSERT INTO event SELECT * FROM event_old")
    op.execute("DROP TABLE event_old")
    op.execute("ALTER TABLE batch DROP CONSTRAINT batch_id_source_id_key")
