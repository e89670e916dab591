"""Bulk loading of validated facts into PostGIS.

Facts are COPied in PostgreSQL's binary format chunk after chunk, while the next chunk is being
validated (psycopg's queued writer sends from a thread of its own), into a staging table. Then:

- a small file (the usual monthly export) goes from a temporary table into ``event``'s default
  partition with one ``INSERT ... SELECT`` that skips the facts already stored, all inside the
  ingest transaction;
- a large file becomes a partition of its own. Its staging table, in the ``ols_staging``
  schema, is created and filled in one transaction (so PostgreSQL writes no WAL for it with
  ``wal_level=minimal`` and freezes its rows), cleared of stored facts, and indexed on two
  connections at once (the GiST index beside the B-trees, one core each), and analysed: the
  refresh that follows needs its statistics (without them a semester profile took twice as
  long), and autovacuum would not do it soon enough, if ever, on a table nobody writes to again.
  A sample of 9,000 rows (statistics target 30) costs a third of the default one. The ingest
  transaction then attaches it to ``event``, which re-indexes nothing. If the ingest fails the
  staging table is dropped; one left behind by a killed process is dropped by the next large
  ingest: a live staging table is held by a session advisory lock, an orphan is not.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from pgpq import ArrowToPostgresBinaryEncoder
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Connection, Engine, text

EVENT_SCHEMA = pa.schema(
    [
        ("id", pa.binary(16)),
        ("source_id", pa.int16()),
        ("batch_id", pa.int32()),
        ("territory_id", pa.int32()),
        ("category", pa.string()),
        ("family", pa.string()),
        ("raw_label", pa.string()),
        ("occurred_at", pa.timestamp("us")),
        ("time_precision", pa.string()),
        ("geom", pa.binary(25)),
        ("location_precision", pa.string()),
        ("h3_r8", pa.int64()),
        ("h3_r9", pa.int64()),
        ("h3_r10", pa.int64()),
        ("commune_insee", pa.string()),
        ("partner_ref", pa.string()),
        ("confidentiality", pa.string()),
        ("line", pa.int32()),
    ]
)
ATTRIBUTES = pa.field("attributes", pa.binary())
PARTITION_MIN_ROWS = 50_000
STAGING_SCHEMA = "ols_staging"
STAGING_LOCKS = 0x4F4C53
STATISTICS_TARGET = 30
STAGED_NAME = re.compile(r"event_batch_(\d+)")
CSV_ROWS = 250_000
POINT_EWKB = np.dtype([("order", "u1"), ("type", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")])

Write = Callable[[pa.RecordBatch], None]


def event_schema(*, attributes: bool) -> pa.Schema:
    """The columns COPied into ``event``: ``attributes`` only when the mapping keeps some.

    Without them the column's default (``{}``) costs the server no JSON parsing.
    """
    return EVENT_SCHEMA.append(ATTRIBUTES) if attributes else EVENT_SCHEMA


def ewkb_points(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """EWKB of WGS84 points (what PostGIS's binary input reads), built without a per-row loop."""
    points = np.empty(len(lon), dtype=POINT_EWKB)
    points["order"] = 1
    points["type"] = 0x20000001
    points["srid"] = 4326
    points["x"] = lon
    points["y"] = lat
    return points


def _fixed(values: np.ndarray, width: int) -> pa.Array:
    """Fixed-width binary cells straight from a numpy buffer (no copy)."""
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(values), [None, pa.py_buffer(values)])


def _jsonb(texts: pa.Array) -> pa.Array:
    """JSON texts in jsonb's binary input format: a version byte (1), then the text."""
    return pc.binary_join_element_wise(pa.scalar("\x01"), texts, "").cast(pa.binary())


def _text(values: pd.Series) -> pa.Array:
    array = pa.array(values, from_pandas=True)
    return array.dictionary_decode() if pa.types.is_dictionary(array.type) else array.cast(pa.string())


def event_batch(
    rows: pd.DataFrame, high: np.ndarray, low: np.ndarray, *, source_id: int, batch_id: int, schema: pa.Schema
) -> pa.RecordBatch:
    """Validated rows and their ids as an Arrow batch of ``schema`` (what pgpq encodes for COPY)."""
    size = len(rows)
    ids = np.empty((size, 2), dtype=">u8")
    ids[:, 0] = high
    ids[:, 1] = low
    ref = rows["partner_ref"].astype(object)
    columns = {
        "id": _fixed(ids, 16),
        "source_id": pa.array(np.full(size, source_id, dtype=np.int16)),
        "batch_id": pa.array(np.full(size, batch_id, dtype=np.int32)),
        "territory_id": pa.array(rows["territory_id"].to_numpy(np.int32)),
        "category": _text(rows["category"]),
        "family": _text(rows["family"]),
        "raw_label": _text(rows["raw_label"]),
        "occurred_at": pa.array(rows["occurred_epoch"].to_numpy(np.int64) * 1_000_000, type=pa.timestamp("us")),
        "time_precision": _text(rows["time_precision"]),
        "geom": _fixed(ewkb_points(rows["lon"].to_numpy(float), rows["lat"].to_numpy(float)), POINT_EWKB.itemsize),
        "location_precision": _text(rows["location_precision"]),
        "h3_r8": pa.array(rows["h3_r8"].to_numpy(np.int64)),
        "h3_r9": pa.array(rows["h3_r9"].to_numpy(np.int64)),
        "h3_r10": pa.array(rows["h3_r10"].to_numpy(np.int64)),
        "commune_insee": _text(rows["commune_insee"]),
        "partner_ref": _text(ref.where(ref != "", None)),
        "confidentiality": _text(rows["confidentiality"]),
        "line": pa.array(rows["line"].to_numpy(np.int32)),
    }
    if "attributes" in schema.names:
        columns["attributes"] = _jsonb(_text(rows["attributes"]))
    return pa.record_batch([columns[name] for name in schema.names], schema=schema)


@contextlib.contextmanager
def _binary_copy(raw: psycopg.Connection, table: str, schema: pa.Schema, *, freeze: bool = False) -> Iterator[Write]:
    """A binary COPY of ``schema``'s columns into ``table``, left open while the caller writes batches."""
    encoder = ArrowToPostgresBinaryEncoder(schema)
    options = "FORMAT binary, FREEZE" if freeze else "FORMAT binary"
    statement = f"COPY {table} ({', '.join(schema.names)}) FROM STDIN ({options})"
    with raw.cursor() as cursor, cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        copy.write(encoder.write_header())
        yield lambda batch: copy.write(encoder.write_batch(batch))
        copy.write(encoder.finish())


def _driver(connection: Connection) -> psycopg.Connection:
    raw = connection.connection.driver_connection
    assert isinstance(raw, psycopg.Connection)
    return raw


class Loader(Protocol):
    """Where a batch's facts are COPied, and how they join ``event``."""

    def copy(self, schema: pa.Schema) -> contextlib.AbstractContextManager[Write]:
        """An open COPY of ``schema``'s columns into the staging table."""

    def store(self, connection: Connection, *, source_id: int) -> int:
        """Put the staged facts not stored yet into ``event`` (in the ingest transaction); return how many."""

    def close(self) -> None:
        """Release what the load holds (after the ingest transaction ended, either way)."""


class SmallLoad:
    """A file staged in a temporary table of the ingest transaction, then inserted."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    @contextlib.contextmanager
    def copy(self, schema: pa.Schema) -> Iterator[Write]:
        """An open COPY into a temporary table dropped at commit."""
        self._connection.execute(text("CREATE TEMP TABLE ols_incoming (LIKE event INCLUDING DEFAULTS) ON COMMIT DROP"))
        with _binary_copy(_driver(self._connection), "ols_incoming", schema) as write:
            yield write

    def store(self, connection: Connection, *, source_id: int) -> int:
        """Insert the staged facts whose id no stored event has."""
        inserted = connection.execute(
            text(
                "INSERT INTO event SELECT * FROM ols_incoming i "
                "WHERE NOT EXISTS (SELECT 1 FROM event e WHERE e.source_id = :s AND e.id = i.id)"
            ),
            {"s": source_id},
        ).rowcount
        connection.execute(text("DROP TABLE ols_incoming"))
        return inserted

    def close(self) -> None:
        """Nothing to release: the temporary table goes with the transaction."""


class PartitionLoad:
    """A large file staged, deduplicated and indexed on connections of its own, then attached."""

    def __init__(self, engine: Engine, batch_id: int) -> None:
        self._url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._batch = batch_id
        self.name = f"event_batch_{batch_id}"
        self._staged = f"{STAGING_SCHEMA}.{self.name}"
        self._copied = 0
        self._owner = psycopg.connect(self._url, autocommit=True)
        try:
            self._owner.execute("SELECT pg_advisory_lock(%s, %s)", (STAGING_LOCKS, batch_id))
            drop_orphans(self._owner)
        except BaseException:
            self._owner.close()
            raise

    @contextlib.contextmanager
    def copy(self, schema: pa.Schema) -> Iterator[Write]:
        """An open COPY into the staging table, created in the same transaction (no WAL, frozen rows)."""
        with self._owner.transaction():
            self._owner.execute(
                f"CREATE TABLE {self._staged} (LIKE event INCLUDING DEFAULTS INCLUDING CONSTRAINTS, "
                f"CONSTRAINT {self.name}_batch CHECK (batch_id = {self._batch}))"
            )
            with _binary_copy(self._owner, self._staged, schema, freeze=True) as write:

                def counted(batch: pa.RecordBatch) -> None:
                    write(batch)
                    self._copied += batch.num_rows

                yield counted

    def _drop_stored(self, source_id: int) -> int:
        stored = self._owner.execute("SELECT EXISTS (SELECT 1 FROM event WHERE source_id = %s)", (source_id,))
        if not (row := stored.fetchone()) or not row[0]:
            return 0
        return self._owner.execute(
            f"DELETE FROM {self._staged} s USING event e WHERE e.source_id = %s AND e.id = s.id", (source_id,)
        ).rowcount

    def _index(self, statement: str) -> None:
        """Build one index on a connection of its own (no parallel workers: the builds already fill the cores)."""
        with psycopg.connect(self._url, autocommit=True) as builder:
            builder.execute("SET max_parallel_maintenance_workers = 0")
            builder.execute(statement)

    def store(self, connection: Connection, *, source_id: int) -> int:
        """Drop the facts already stored, index side by side, then attach as ``event``'s partition."""
        kept = self._copied - self._drop_stored(source_id)
        statements = [
            f"CREATE INDEX {self.name}_geom ON {self._staged} USING gist (geom)",
            f"CREATE UNIQUE INDEX {self.name}_pkey ON {self._staged} (id, batch_id)",
            f"CREATE INDEX {self.name}_occurred_at ON {self._staged} (occurred_at)",
        ]
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(self._index, statements))
        self._owner.execute(f"SET default_statistics_target = {STATISTICS_TARGET}")
        self._owner.execute(f"ANALYZE {self._staged}")
        connection.execute(text(f"ALTER TABLE {self._staged} ADD PRIMARY KEY USING INDEX {self.name}_pkey"))
        connection.execute(text(f"ALTER TABLE {self._staged} SET SCHEMA public"))
        connection.execute(text(f"ALTER TABLE event ATTACH PARTITION {self.name} FOR VALUES IN ({self._batch})"))
        return kept

    def close(self) -> None:
        """Drop the staging table if the ingest did not attach it, and release the lock."""
        with contextlib.suppress(psycopg.Error):
            self._owner.execute(f"DROP TABLE IF EXISTS {self._staged}")
        self._owner.close()


def drop_orphans(raw: psycopg.Connection) -> list[str]:
    """Drop the staging tables no live ingest holds (left by a killed process); return their names."""
    dropped = []
    tables = raw.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (STAGING_SCHEMA,)).fetchall()
    for (name,) in tables:
        if not (match := STAGED_NAME.fullmatch(name)):
            continue
        batch = int(match.group(1))
        locked = raw.execute("SELECT pg_try_advisory_lock(%s, %s)", (STAGING_LOCKS, batch)).fetchone()
        if locked and locked[0]:
            raw.execute(f'DROP TABLE IF EXISTS {STAGING_SCHEMA}."{name}"')
            raw.execute("SELECT pg_advisory_unlock(%s, %s)", (STAGING_LOCKS, batch))
            dropped.append(name)
    return dropped


def loader_for(engine: Engine, connection: Connection, *, batch_id: int, rows: int) -> Loader:
    """A partition of its own for a large file, the default partition for a small one."""
    return PartitionLoad(engine, batch_id) if rows >= PARTITION_MIN_ROWS else SmallLoad(connection)


def _copy_csv(connection: Connection, statement: str, table: pa.Table) -> None:
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    with _driver(connection).cursor() as cursor, cursor.copy(statement) as copy:
        for start in range(0, table.num_rows, CSV_ROWS):
            buffer = io.BytesIO()
            pacsv.write_csv(table.slice(start, CSV_ROWS), buffer, write_options=options)
            copy.write(buffer.getbuffer())


def insert_rejected(connection: Connection, rows: pd.DataFrame, *, batch_id: int) -> None:
    """Store the rejected rows with their reason, column, message and raw (mapped) cells."""
    if rows.empty:
        return
    table = pa.table(
        {
            "batch_id": pa.array(np.full(len(rows), batch_id, dtype=np.int32)),
            "line": pa.array(rows["line"].to_numpy(dtype=np.int64)),
            "reason": pa.array(rows["reason"].astype(str), type=pa.string()),
            "column_name": pa.array(rows["column"], type=pa.string(), from_pandas=True),
            "message": pa.array(rows["message"].astype(str), type=pa.string()),
            "raw": pa.array(rows["raw"].astype(str), type=pa.string()),
        }
    )
    _copy_csv(
        connection,
        "COPY rejected_row (batch_id, line, reason, column_name, message, raw) FROM STDIN (FORMAT csv)",
        table,
    )
