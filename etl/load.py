"""Bulk loading of validated facts into PostGIS, inside the caller's transaction.

New facts are COPied straight into ``event``, sorted by id so that the primary-key index grows
in order; which facts are already stored is found first by COPying their ids into a temporary
table and joining it with ``event`` (only when the source already has events). When a load is
large relative to the table, the secondary indexes and foreign keys are dropped and put back
after the COPY. DDL is transactional in PostgreSQL, so a failure still leaves everything as it
was.
"""

from __future__ import annotations

import binascii
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection, text

EVENT_COLUMNS = (
    "id", "source_id", "batch_id", "territory_id", "category", "family", "raw_label", "occurred_at",
    "time_precision", "geom", "location_precision", "h3_r8", "h3_r9", "h3_r10", "commune_insee", "partner_ref",
    "confidentiality", "line", "attributes",
)  # fmt: skip
SECONDARY_INDEXES = {
    "event_geom": "CREATE INDEX event_geom ON event USING gist (geom)",
    "event_occurred_at": "CREATE INDEX event_occurred_at ON event (occurred_at)",
}
FOREIGN_KEYS = {
    "event_source_id_fkey": "FOREIGN KEY (source_id) REFERENCES source (id)",
    "event_batch_id_fkey": "FOREIGN KEY (batch_id) REFERENCES batch (id)",
    "event_territory_id_fkey": "FOREIGN KEY (territory_id) REFERENCES territory (id)",
}
REBUILD_MIN_ROWS = 50_000
COPY_ROWS = 250_000
POINT_EWKB = np.dtype([("order", "u1"), ("type", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")])


def ewkb_points(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Hex EWKB of WGS84 points (PostGIS reads it in COPY), built without a per-row loop."""
    points = np.empty(len(lon), dtype=POINT_EWKB)
    points["order"] = 1
    points["type"] = 0x20000001
    points["srid"] = 4326
    points["x"] = lon
    points["y"] = lat
    return np.frombuffer(binascii.hexlify(points.tobytes()), dtype=f"S{2 * POINT_EWKB.itemsize}")


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


def _event_table(rows: pd.DataFrame, ids: np.ndarray, *, source_id: int, batch_id: int) -> pa.Table:
    size = len(rows)
    ref = rows["partner_ref"].astype(str)
    columns = {
        "id": pa.array(ids).cast(pa.string()),
        "source_id": pa.array(np.full(size, source_id, dtype=np.int32)),
        "batch_id": pa.array(np.full(size, batch_id, dtype=np.int32)),
        "territory_id": pa.array(rows["territory_id"].to_numpy(dtype=np.int32)),
        "category": pa.array(rows["category"].astype(str), type=pa.string()),
        "family": pa.array(rows["family"].astype(str), type=pa.string()),
        "raw_label": pa.array(rows["raw_label"].astype(str), type=pa.string()),
        "occurred_at": pa.array(rows["occurred_epoch"].to_numpy(dtype=np.int64)).cast(pa.timestamp("s", tz="UTC")),
        "time_precision": pa.array(rows["time_precision"].astype(str), type=pa.string()),
        "geom": pa.array(ewkb_points(rows["lon"].to_numpy(float), rows["lat"].to_numpy(float))).cast(pa.string()),
        "location_precision": pa.array(rows["location_precision"].astype(str), type=pa.string()),
        "h3_r8": pa.array(rows["h3_r8"].to_numpy(dtype=np.int64)),
        "h3_r9": pa.array(rows["h3_r9"].to_numpy(dtype=np.int64)),
        "h3_r10": pa.array(rows["h3_r10"].to_numpy(dtype=np.int64)),
        "commune_insee": pa.array(rows["commune_insee"], type=pa.string(), from_pandas=True),
        "partner_ref": pa.array(ref.where(ref != "", None), type=pa.string(), from_pandas=True),
        "confidentiality": pa.array(rows["confidentiality"].astype(str), type=pa.string()),
        "line": pa.array(rows["line"].to_numpy(dtype=np.int64)),
        "attributes": pa.array(rows["attributes"].astype(str), type=pa.string()),
    }
    return pa.table(columns)


def copy_events(connection: Connection, rows: pd.DataFrame, ids: np.ndarray, *, source_id: int, batch_id: int) -> int:
    """COPY new facts into ``event`` (ids must be new and distinct); return how many.

    For a large load the secondary indexes and the foreign keys are dropped first and put back
    after: one index build and one validating join cost far less than per-row maintenance and
    per-row referential-integrity triggers, and the constraints hold again at commit.
    """
    if rows.empty:
        return 0
    order = np.argsort(ids, kind="stable")
    table = _event_table(rows, ids, source_id=source_id, batch_id=batch_id).take(pa.array(order))
    rebuild = _should_rebuild(connection, len(rows))
    if rebuild:
        for name in SECONDARY_INDEXES:
            connection.execute(text(f"DROP INDEX IF EXISTS {name}"))
        for name in FOREIGN_KEYS:
            connection.execute(text(f"ALTER TABLE event DROP CONSTRAINT IF EXISTS {name}"))
    _copy(connection, f"COPY event ({', '.join(EVENT_COLUMNS)}) FROM STDIN (FORMAT csv)", table)
    if rebuild:
        for statement in SECONDARY_INDEXES.values():
            connection.execute(text(statement))
        for name, definition in FOREIGN_KEYS.items():
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
