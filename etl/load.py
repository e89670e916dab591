"""Bulk loading of validated facts into PostGIS, inside the caller's transaction.

New facts are COPied straight into ``event`` in PostgreSQL's binary format: the server parses
no text, and the next piece is encoded while the previous one is sent. Which facts are already
stored is found first, by COPying their ids into a temporary table joined with ``event`` (only
when the source already has events). When a load is large relative to the table, the secondary
indexes, the primary key and the foreign keys are dropped and put back after the COPY. DDL is
transactional in PostgreSQL, so a failure still leaves everything as it was.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Connection, text

from etl.pgbinary import Column, Fixed, Text, encode, int_column, timestamptz_column, uuid_column

EVENT_COLUMNS = (
    "id", "source_id", "batch_id", "territory_id", "category", "family", "raw_label", "occurred_at",
    "time_precision", "geom", "location_precision", "h3_r8", "h3_r9", "h3_r10", "commune_insee", "partner_ref",
    "confidentiality", "line", "attributes",
)  # fmt: skip
SECONDARY_INDEXES = {
    "event_geom": "CREATE INDEX event_geom ON event USING gist (geom)",
    "event_occurred_at": "CREATE INDEX event_occurred_at ON event (occurred_at)",
}
CONSTRAINTS = {
    "event_pkey": "PRIMARY KEY (id)",
    "event_source_id_fkey": "FOREIGN KEY (source_id) REFERENCES source (id)",
    "event_batch_id_fkey": "FOREIGN KEY (batch_id) REFERENCES batch (id)",
    "event_territory_id_fkey": "FOREIGN KEY (territory_id) REFERENCES territory (id)",
}
REBUILD_MIN_ROWS = 50_000
COPY_ROWS = 250_000
POINT_EWKB = np.dtype([("order", "u1"), ("type", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")])


def ewkb_points(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """EWKB of WGS84 points (what PostGIS's binary input reads), built without a per-row loop."""
    points = np.empty(len(lon), dtype=POINT_EWKB)
    points["order"] = 1
    points["type"] = 0x20000001
    points["srid"] = 4326
    points["x"] = lon
    points["y"] = lat
    return points.view(f"V{POINT_EWKB.itemsize}")


def _copy(connection: Connection, statement: str, table: pa.Table) -> None:
    raw = connection.connection.driver_connection
    assert raw is not None
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for start in range(0, table.num_rows, COPY_ROWS):
            buffer = io.BytesIO()
            pacsv.write_csv(table.slice(start, COPY_ROWS), buffer, write_options=options)
            copy.write(buffer.getbuffer())


def stored_ids(connection: Connection, ids: np.ndarray, *, source_id: int) -> np.ndarray:
    """Which of ``ids`` (32-hex-digit bytes) are already events: a boolean mask."""
    if len(ids) == 0:
        return np.zeros(0, dtype=bool)
    has_events = connection.execute(
        text("SELECT EXISTS (SELECT 1 FROM event WHERE source_id = :s)"), {"s": source_id}
    ).scalar_one()
    if not has_events:
        return np.zeros(len(ids), dtype=bool)
    connection.execute(text("CREATE TEMP TABLE ols_incoming (id uuid) ON COMMIT DROP"))
    _copy(connection, "COPY ols_incoming (id) FROM STDIN (FORMAT csv)", pa.table({"id": pa.array(ids)}))
    found = connection.execute(text("SELECT replace(i.id::text, '-', '') FROM ols_incoming i JOIN event e USING (id)"))
    existing = np.array([row[0].encode() for row in found], dtype="S32")
    connection.execute(text("DROP TABLE ols_incoming"))
    return np.isin(ids, existing)


def _should_rebuild(connection: Connection, incoming: int) -> bool:
    stored = connection.execute(text("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE relname = 'event'"))
    return incoming >= REBUILD_MIN_ROWS and incoming >= (stored.scalar_one() or 0) // 2


def _event_columns(
    rows: pd.DataFrame, high: np.ndarray, low: np.ndarray, *, source_id: int, batch_id: int
) -> list[Column]:
    size = len(rows)
    ref = rows["partner_ref"].astype(object)
    return [
        uuid_column(high, low),
        int_column(np.full(size, source_id), 2),
        int_column(np.full(size, batch_id), 4),
        int_column(rows["territory_id"].to_numpy(), 4),
        Text(rows["category"]),
        Text(rows["family"]),
        Text(rows["raw_label"]),
        timestamptz_column(rows["occurred_epoch"].to_numpy()),
        Text(rows["time_precision"]),
        Fixed(ewkb_points(rows["lon"].to_numpy(float), rows["lat"].to_numpy(float))),
        Text(rows["location_precision"]),
        int_column(rows["h3_r8"].to_numpy(), 8),
        int_column(rows["h3_r9"].to_numpy(), 8),
        int_column(rows["h3_r10"].to_numpy(), 8),
        Text(rows["commune_insee"]),
        Text(ref.where(ref != "", None)),
        Text(rows["confidentiality"]),
        int_column(rows["line"].to_numpy(), 4),
        Text(rows["attributes"], prefix=b"\x01"),
    ]


def copy_events(
    connection: Connection, rows: pd.DataFrame, high: np.ndarray, low: np.ndarray, *, source_id: int, batch_id: int
) -> int:
    """COPY new facts into ``event`` (ids must be new and distinct); return how many.

    For a large load the secondary indexes and the foreign keys are dropped first and put back
    after: one index build and one validating join cost far less than per-row maintenance and
    per-row referential-integrity triggers, and the constraints hold again at commit.
    """
    if rows.empty:
        return 0
    columns = _event_columns(rows, high, low, source_id=source_id, batch_id=batch_id)
    rebuild = _should_rebuild(connection, len(rows))
    if rebuild:
        for name in SECONDARY_INDEXES:
            connection.execute(text(f"DROP INDEX IF EXISTS {name}"))
        for name in CONSTRAINTS:
            connection.execute(text(f"ALTER TABLE event DROP CONSTRAINT IF EXISTS {name}"))
    raw = connection.connection.driver_connection
    assert raw is not None
    statement = f"COPY event ({', '.join(EVENT_COLUMNS)}) FROM STDIN (FORMAT binary)"
    with raw.cursor() as cursor, cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        for piece in encode(columns):
            copy.write(piece)
    if rebuild:
        for statement in SECONDARY_INDEXES.values():
            connection.execute(text(statement))
        for name, definition in CONSTRAINTS.items():
            connection.execute(text(f"ALTER TABLE event ADD CONSTRAINT {name} {definition}"))
    return len(rows)


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
    _copy(
        connection,
        "COPY rejected_row (batch_id, line, reason, column_name, message, raw) FROM STDIN (FORMAT csv)",
        table,
    )
