"""One row per fact, guaranteed by the database: ``event`` becomes one table keyed by ``(source_id, id)``.

Until now ``event`` was partitioned by batch, and a partitioned table's primary key must hold its
partition key: the key was ``(id, batch_id, line)``, so nothing in the database stopped a fact from
being stored twice by two batches. Ingestion prevented it under advisory locks keyed on bare
numbers (a source's id...), which any other application using the database may take for its own
purposes. The fact key is now the primary key, and ingestion inserts with ``ON CONFLICT DO
NOTHING``.

The table is not partitioned by time instead: a unique key of a table partitioned by
``occurred_at`` must hold ``occurred_at``, and a fact identified by its partner's reference keeps
its id when the partner corrects its date, so such a key would store the corrected fact twice.
Measured on a million events over four years, yearly partitions did not speed the insert up (25 s
either way) and a semester count took 0.05-0.09 s from its pruned partition against 0.10-0.15 s
from the ``occurred_at`` index of one table. What one table costs is the bulk path: a
large file's rows now go through the keys and indexes one by one, where a partition of its own was
indexed in bulk (``benchmarks/ingest.py``).

Upgrading keeps the first stored row of a fact stored twice (lowest batch, then line) and counts
the others as duplicates of their batch; the staging schema of the partitioned load goes.
Downgrading puts every event back in the default partition of a table partitioned by batch.

Revision ID: 0009_event_key_constraint
Revises: 0008
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_event_key_constraint"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = ("event_geom", "event_occurred_at")
FOREIGN_KEYS = {
    "event_batch_fkey": "FOREIGN KEY (batch_id, source_id) REFERENCES batch (id, source_id)",
    "event_territory_id_fkey": "FOREIGN KEY (territory_id) REFERENCES territory (id)",
}


def _set_aside(old: str) -> None:
    """Rename ``event`` and the names it holds schema-wide (its key's index and its indexes)."""
    op.execute(f"ALTER TABLE event RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT event_pkey TO {old}_pkey")
    for index in INDEXES:
        op.execute(f"ALTER INDEX {index} RENAME TO {index.replace('event', old)}")


def _keys_and_indexes(key: str) -> None:
    """The new ``event``'s primary key, foreign keys and indexes, built once its rows are in."""
    op.execute(f"ALTER TABLE event ADD CONSTRAINT event_pkey PRIMARY KEY ({key})")
    for name, definition in FOREIGN_KEYS.items():
        op.execute(f"ALTER TABLE event ADD CONSTRAINT {name} {definition}")
    op.execute("CREATE INDEX event_geom ON event USING gist (geom)")
    op.execute("CREATE INDEX event_occurred_at ON event (occurred_at)")


def upgrade() -> None:
    op.execute("DROP SCHEMA ols_staging CASCADE")
    _set_aside("event_by_batch")
    op.execute("CREATE TABLE event (LIKE event_by_batch INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    op.execute(
        "INSERT INTO event SELECT DISTINCT ON (source_id, id) * FROM event_by_batch "
        "ORDER BY source_id, id, batch_id, line"
    )
    op.execute(
        "UPDATE batch b SET accepted = b.accepted - d.n, duplicates = b.duplicates + d.n FROM ("
        "SELECT o.batch_id, count(*) AS n FROM event_by_batch o WHERE NOT EXISTS ("
        "SELECT 1 FROM event e WHERE e.batch_id = o.batch_id AND e.line = o.line) GROUP BY o.batch_id"
        ") d WHERE b.id = d.batch_id"
    )
    op.execute("DROP TABLE event_by_batch")
    _keys_and_indexes("source_id, id")


def downgrade() -> None:
    _set_aside("event_keyed")
    op.execute(
        "CREATE TABLE event (LIKE event_keyed INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY LIST (batch_id)"
    )
    op.execute("CREATE TABLE event_default PARTITION OF event DEFAULT")
    op.execute("INSERT INTO event SELECT * FROM event_keyed")
    op.execute("DROP TABLE event_keyed")
    _keys_and_indexes("id, batch_id, line")
    op.execute("CREATE SCHEMA ols_staging")
