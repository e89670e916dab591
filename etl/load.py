"""Bulk loading of validated facts into PostGIS.

Facts are COPied in PostgreSQL's binary format chunk after chunk, while the next chunk is being
validated (psycopg's queued writer sends from a thread of its own), into a staging table. Then:

- a small file (the usual monthly export) goes from a temporary table into ``event``'s default
  partition with one ``INSERT ... SELECT`` that skips the facts already stored, all inside the
  ingest transaction;
- a large file becomes a partition of its own, split by line range into a few leaves that shrink
  towards the end of the file (``leaf_bounds``). Each leaf is a table of the ``ols_staging``
  schema, created and filled in one transaction (so PostgreSQL writes no WAL for it with
  ``wal_level=minimal`` and freezes its rows). As soon as a leaf is full it is committed, cleared
  of stored facts and indexed on builder connections (GiST beside the B-trees), then analysed,
  while the next leaves still stream in: only the last, smallest leaf's indexes wait for the end
  of the file. The refresh that follows needs the statistics (without them a semester profile
  took twice as long), and autovacuum would not gather them soon enough, if ever, on tables
  nobody writes to again; each leaf's sample is its share of 9,000 rows (3,000 at least). In the
  ingest transaction the leaves are gathered under ``event_batch_N``, which is attached to
  ``event``: nothing is re-indexed, and the attach checks the foreign keys (large batches are
  attached one at a time, see ``PartitionLoad.claim``). If the ingest fails the leaves are
  dropped; one left behind by a killed process is dropped by the next large ingest: a live
  ingest's staging tables are held by a session advisory lock, an orphan's are not.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from pgpq import ArrowToPostgresBinaryEncoder
from psycopg import sql
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
KEYS_LOCK = 0x4F4C53_4B455953
STATISTICS_TARGET = 30
MIN_STATISTICS_TARGET = 10
LEAF_MIN_ROWS = 100_000
LEAF_SHARES = (3, 2, 1)
BUILDERS = 3
LIKE_EVENT = "(LIKE event INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
STAGED_NAME = re.compile(r"event_batch_(\d+)(?:_\d+)?")
CSV_ROWS = 250_000
POINT_EWKB = np.dtype([("order", "u1"), ("type", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")])

Write = Callable[[pa.RecordBatch], None]


def event_schema(*, attributes: bool, constants: Iterable[str] = ()) -> pa.Schema:
    """The columns COPied for a file: not its ``constants``, and ``attributes`` only when kept.

    A column missing from the COPY takes the staging table's default: ``{}`` for attributes (no
    JSON for the server to parse), the file's value for its constants (``Defaults``).
    """
    skipped = set(constants)
    fields = [field for field in EVENT_SCHEMA if field.name not in skipped]
    return pa.schema([*fields, ATTRIBUTES] if attributes else fields)


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


def _ids(high: np.ndarray, low: np.ndarray) -> pa.Array:
    ids = np.empty((len(high), 2), dtype=">u8")
    ids[:, 0] = high
    ids[:, 1] = low
    return _fixed(ids, 16)


def _optional_text(values: pd.Series) -> pa.Array:
    """Text cells, NULL where empty."""
    text = values.astype(object)
    return _text(text.where(text != "", None))


def _column(rows: pd.DataFrame, name: str) -> pa.Array:
    """One COPY column from the validated rows."""
    if name == "occurred_at":
        return pa.array(rows["occurred_epoch"].to_numpy(np.int64) * 1_000_000, type=pa.timestamp("us"))
    if name == "geom":
        points = ewkb_points(rows["lon"].to_numpy(float), rows["lat"].to_numpy(float))
        return _fixed(points, POINT_EWKB.itemsize)
    if name == "attributes":
        return _jsonb(_text(rows["attributes"]))
    if name == "partner_ref":
        return _optional_text(rows["partner_ref"])
    kind = EVENT_SCHEMA.field(name).type
    if pa.types.is_string(kind):
        return _text(rows[name])
    return pa.array(rows[name].to_numpy(kind.to_pandas_dtype()))


def event_batch(rows: pd.DataFrame, high: np.ndarray, low: np.ndarray, *, schema: pa.Schema) -> pa.RecordBatch:
    """Validated rows and their ids as an Arrow batch of ``schema`` (what pgpq encodes for COPY)."""
    columns = [_ids(high, low) if name == "id" else _column(rows, name) for name in schema.names]
    return pa.record_batch(columns, schema=schema)


class Defaults:
    """The values a file shares on every row, set as column defaults of the table its COPY fills.

    Set before the COPY and dropped after it (in the same transaction), so that a staging table
    attached to ``event`` keeps no default of its own.
    """

    def __init__(self, constants: dict[str, object]) -> None:
        self.constants = constants

    def _alter(self, raw: psycopg.Connection, table: str, clause: Callable[[object], sql.Composable]) -> None:
        if self.constants:
            clauses = [
                sql.SQL("ALTER COLUMN {} ").format(sql.Identifier(column)) + clause(value)
                for column, value in self.constants.items()
            ]
            raw.execute(sql.SQL("ALTER TABLE {} {}").format(sql.SQL(table), sql.SQL(", ").join(clauses)))

    def set(self, raw: psycopg.Connection, table: str) -> None:
        """Give ``table`` the file's values as column defaults."""
        self._alter(raw, table, lambda value: sql.SQL("SET DEFAULT {}").format(sql.Literal(value)))

    def drop(self, raw: psycopg.Connection, table: str) -> None:
        """Take the file's defaults off ``table`` again."""
        self._alter(raw, table, lambda value: sql.SQL("DROP DEFAULT"))


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

    def copy(self, schema: pa.Schema, defaults: Defaults) -> contextlib.AbstractContextManager[Write]:
        """An open COPY of ``schema``'s columns into the staging table, the others from ``defaults``."""

    def claim(self, connection: Connection) -> None:
        """Take the locks storing will need, before the ingest transaction writes its batch row."""

    def store(self, connection: Connection, *, source_id: int) -> int:
        """Put the staged facts not stored yet into ``event`` (in the ingest transaction); return how many."""

    def close(self) -> None:
        """Release what the load holds (after the ingest transaction ended, either way)."""


class SmallLoad:
    """A file staged in a temporary table of the ingest transaction, then inserted."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    @contextlib.contextmanager
    def copy(self, schema: pa.Schema, defaults: Defaults) -> Iterator[Write]:
        """An open COPY into a temporary table dropped at commit."""
        self._connection.execute(text("CREATE TEMP TABLE ols_incoming (LIKE event INCLUDING DEFAULTS) ON COMMIT DROP"))
        defaults.set(_driver(self._connection), "ols_incoming")
        with _binary_copy(_driver(self._connection), "ols_incoming", schema) as write:
            yield write

    def claim(self, connection: Connection) -> None:
        """Nothing to take: inserting into ``event`` conflicts with no other ingest."""

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


@dataclass
class _Leaf:
    """One line range of a large batch: a table of its own, staged, then indexed on the builders."""

    name: str
    low: int
    high: int
    copied: int = 0
    dropped: int = 0
    builds: list[Future[None]] = field(default_factory=list)
    pending: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def built_one(self) -> bool:
        """Count one finished index build; True for the last one."""
        with self._lock:
            self.pending -= 1
            return self.pending == 0


def leaf_bounds(lines: np.ndarray) -> list[tuple[int, int]]:
    """Line ranges ``[low, high)`` of a large batch's leaves, from the file's line numbers.

    The first leaves are indexed while the next ones stream in, so only the last leaf's indexes
    wait for the end of the file: leaves shrink towards the end. Files with lines out of order
    (no reader makes them) stay in one leaf.
    """
    size = len(lines)
    whole = [(int(lines.min()), int(lines.max()) + 1)] if size else [(0, 1)]
    count = min(len(LEAF_SHARES), size // LEAF_MIN_ROWS)
    if count < 2 or np.any(np.diff(lines) <= 0):
        return whole
    shares = np.array(LEAF_SHARES[-count:], dtype=float)
    cuts = np.round(np.cumsum(shares / shares.sum())[:-1] * size).astype(int)
    edges = [int(lines[0]), *(int(lines[cut]) for cut in cuts), int(lines[-1]) + 1]
    return list(itertools.pairwise(edges))


class PartitionLoad:
    """A large file staged in line-range leaves, each indexed as soon as it is full, then attached."""

    def __init__(self, engine: Engine, *, batch_id: int, source_id: int, lines: np.ndarray) -> None:
        self._url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._batch = batch_id
        self._source = source_id
        self.name = f"event_batch_{batch_id}"
        self._leaves = [_Leaf(f"{self.name}_{k}", low, high) for k, (low, high) in enumerate(leaf_bounds(lines), 1)]
        self._rows = max(len(lines), 1)
        self._builders = ThreadPoolExecutor(BUILDERS, thread_name_prefix="ols-index")
        self._local = threading.local()
        self._connections: list[psycopg.Connection] = []
        self._owner = psycopg.connect(self._url, autocommit=True)
        try:
            self._owner.execute("SELECT pg_advisory_lock(%s, %s)", (STAGING_LOCKS, batch_id))
            drop_orphans(self._owner)
        except BaseException:
            self._owner.close()
            raise

    def _staged(self, name: str) -> str:
        return f"{STAGING_SCHEMA}.{name}"

    @contextlib.contextmanager
    def _leaf_copy(self, leaf: _Leaf, schema: pa.Schema, defaults: Defaults) -> Iterator[Write]:
        """An open COPY into the leaf's table, created in the same transaction (no WAL, frozen rows)."""
        with self._owner.transaction():
            self._owner.execute(
                f"CREATE TABLE {self._staged(leaf.name)} (LIKE event INCLUDING DEFAULTS INCLUDING CONSTRAINTS, "
                f"CONSTRAINT {leaf.name}_range CHECK (batch_id = {self._batch} "
                f"AND line >= {leaf.low} AND line < {leaf.high}))"
            )
            defaults.set(self._owner, self._staged(leaf.name))
            with _binary_copy(self._owner, self._staged(leaf.name), schema, freeze=True) as write:
                yield write
            defaults.drop(self._owner, self._staged(leaf.name))

    @contextlib.contextmanager
    def copy(self, schema: pa.Schema, defaults: Defaults) -> Iterator[Write]:
        """An open COPY that fills the leaves in turn, each committed and sent to be indexed when full."""
        leaves = iter(self._leaves)
        leaf = next(leaves)
        with contextlib.ExitStack() as stack:
            write = stack.enter_context(self._leaf_copy(leaf, schema, defaults))

            def routed(batch: pa.RecordBatch) -> None:
                nonlocal leaf, write
                lines = batch.column("line").to_numpy()
                while True:
                    cut = int(np.searchsorted(lines, leaf.high))
                    if cut:
                        write(batch.slice(0, cut))
                        leaf.copied += cut
                    if cut == len(lines):
                        return
                    stack.close()
                    self._index(leaf)
                    leaf = next(leaves)
                    write = stack.enter_context(self._leaf_copy(leaf, schema, defaults))
                    batch, lines = batch.slice(cut), lines[cut:]

            yield routed
        self._index(leaf)
        self._leaves = self._leaves[: self._leaves.index(leaf) + 1]

    def _drop_stored(self, leaf: _Leaf) -> int:
        stored = self._owner.execute("SELECT EXISTS (SELECT 1 FROM event WHERE source_id = %s)", (self._source,))
        if not (row := stored.fetchone()) or not row[0]:
            return 0
        return self._owner.execute(
            f"DELETE FROM {self._staged(leaf.name)} s USING event e WHERE e.source_id = %s AND e.id = s.id",
            (self._source,),
        ).rowcount

    def _index(self, leaf: _Leaf) -> None:
        """Drop the leaf's facts already stored, then build its indexes, GiST beside the B-trees."""
        leaf.dropped = self._drop_stored(leaf)
        table = self._staged(leaf.name)
        statements = [
            [f"CREATE INDEX {leaf.name}_geom ON {table} USING gist (geom)"],
            [
                f"CREATE UNIQUE INDEX {leaf.name}_pkey ON {table} (id, batch_id, line)",
                f"CREATE INDEX {leaf.name}_occurred_at ON {table} (occurred_at)",
            ],
        ]
        leaf.pending = len(statements)
        leaf.builds = [self._builders.submit(self._build, leaf, group) for group in statements]

    def _builder(self) -> psycopg.Connection:
        """This builder thread's connection (no parallel workers: the builds already fill the cores)."""
        if not hasattr(self._local, "connection"):
            self._local.connection = psycopg.connect(self._url, autocommit=True)
            self._local.connection.execute("SET max_parallel_maintenance_workers = 0")
            self._connections.append(self._local.connection)
        connection: psycopg.Connection = self._local.connection
        return connection

    def _build(self, leaf: _Leaf, statements: list[str]) -> None:
        """Run index builds; the last build of a leaf then analyses it, with a sample sized to its share."""
        builder = self._builder()
        for statement in statements:
            builder.execute(statement)
        if leaf.built_one():
            target = max(MIN_STATISTICS_TARGET, round(STATISTICS_TARGET * leaf.copied / self._rows))
            builder.execute(f"SET default_statistics_target = {target}")
            builder.execute(f"ANALYZE {self._staged(leaf.name)}")

    def claim(self, connection: Connection) -> None:
        """Large batches are attached one at a time, each ingest waiting before it writes its batch row.

        Attaching adds the partition's foreign keys, which locks ``batch`` against writers until
        commit: two ingests holding their own new batch rows would otherwise wait for each other.
        """
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": KEYS_LOCK})

    def store(self, connection: Connection, *, source_id: int) -> int:
        """Gather the leaves under the batch's partition and attach it, the last leaf once indexed.

        Attaching checks the foreign keys of the leaves attached: those of all leaves but the last
        are checked while the last one is still being indexed.
        """
        *early, last = self._leaves
        connection.execute(text(f"CREATE TABLE {self.name} {LIKE_EVENT} PARTITION BY RANGE (line)"))
        for leaf in early:
            self._attach(connection, leaf)
        connection.execute(text(f"ALTER TABLE {self.name} ADD PRIMARY KEY (id, batch_id, line)"))
        connection.execute(text(f"ALTER TABLE event ATTACH PARTITION {self.name} FOR VALUES IN ({self._batch})"))
        self._attach(connection, last)
        return sum(leaf.copied - leaf.dropped for leaf in self._leaves)

    def _attach(self, connection: Connection, leaf: _Leaf) -> None:
        """Once its indexes are built, make the leaf a partition of the batch's partition."""
        for build in leaf.builds:
            build.result()
        table = self._staged(leaf.name)
        connection.execute(text(f"ALTER TABLE {table} ADD PRIMARY KEY USING INDEX {leaf.name}_pkey"))
        connection.execute(text(f"ALTER TABLE {table} SET SCHEMA public"))
        bounds = f"FOR VALUES FROM ({leaf.low}) TO ({leaf.high})"
        connection.execute(text(f"ALTER TABLE {self.name} ATTACH PARTITION {leaf.name} {bounds}"))

    def close(self) -> None:
        """Stop the builds, drop the leaves if the ingest did not attach them, and release the lock."""
        self._builders.shutdown(cancel_futures=True)
        for builder in self._connections:
            builder.close()
        with contextlib.suppress(psycopg.Error):
            for leaf in self._leaves:
                self._owner.execute(f"DROP TABLE IF EXISTS {self._staged(leaf.name)}")
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


def loader_for(engine: Engine, connection: Connection, *, batch_id: int, source_id: int, lines: np.ndarray) -> Loader:
    """A partition of its own for a large file, the default partition for a small one."""
    if len(lines) < PARTITION_MIN_ROWS:
        return SmallLoad(connection)
    return PartitionLoad(engine, batch_id=batch_id, source_id=source_id, lines=lines)


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
