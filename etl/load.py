"""Bulk loading of validated rows into PostGIS, inside the caller's transaction.

Rows are COPied into a temporary staging table dropped at commit, then inserted into ``event``
with ``ON CONFLICT DO NOTHING`` on the fact id: a fact already stored (from this file or an
earlier one) is counted as a duplicate. When a load is large relative to the table, the
secondary indexes are dropped and rebuilt after the insert (sorted builds are much faster than
row-by-row index maintenance); DDL is transactional, so a failure still leaves everything as it
was.
"""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection, text

STAGING_COLUMNS = (
    "id uuid, category text, family text, raw_label text, occurred_epoch bigint, time_precision text, "
    "lon float8, lat float8, location_precision text, h3_r8 bigint, h3_r9 bigint, h3_r10 bigint, "
    "territory_id int, commune_insee text, partner_ref text, confidentiality text, line int, attributes jsonb"
)
STAGED = (
    "id",
    "category",
    "family",
    "raw_label",
    "occurred_epoch",
    "time_precision",
    "lon",
    "lat",
    "location_precision",
    "h3_r8",
    "h3_r9",
    "h3_r10",
    "territory_id",
    "commune_insee",
    "partner_ref",
    "confidentiality",
    "line",
    "attributes",
)
SECONDARY_INDEXES = {
    "event_geom": "CREATE INDEX event_geom ON event USING gist (geom)",
    "event_occurred_at": "CREATE INDEX event_occurred_at ON event (occurred_at)",
}
REBUILD_MIN_ROWS = 50_000
COPY_CHUNK = 1 << 23


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pacsv.write_csv(table, buffer, write_options=pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    return buffer.getvalue()


def copy_frame(connection: Connection, table: str, columns: tuple[str, ...], frame: pd.DataFrame) -> None:
    """COPY a frame into ``table`` through the connection's own psycopg transaction."""
    data = _csv_bytes(frame.loc[:, list(columns)])
    raw = connection.connection.driver_connection
    assert raw is not None
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)") as copy,
    ):
        for start in range(0, len(data), COPY_CHUNK):
            copy.write(data[start : start + COPY_CHUNK])


def _should_rebuild(connection: Connection, incoming: int) -> bool:
    stored = connection.execute(text("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE relname = 'event'"))
    return incoming >= REBUILD_MIN_ROWS and incoming >= (stored.scalar_one() or 0) // 2


def insert_events(connection: Connection, rows: pd.DataFrame, *, source_id: int, batch_id: int) -> int:
    """Insert the rows as events; return how many were new (the others were duplicates)."""
    if rows.empty:
        return 0
    connection.execute(text(f"CREATE TEMP TABLE ols_staging ({STAGING_COLUMNS}) ON COMMIT DROP"))
    copy_frame(connection, "ols_staging", STAGED, rows)
    rebuild = _should_rebuild(connection, len(rows))
    if rebuild:
        for name in SECONDARY_INDEXES:
            connection.execute(text(f"DROP INDEX IF EXISTS {name}"))
    inserted = connection.execute(
        text(
            "INSERT INTO event (id, source_id, batch_id, territory_id, category, family, raw_label, occurred_at, "
            "time_precision, geom, location_precision, h3_r8, h3_r9, h3_r10, commune_insee, partner_ref, "
            "confidentiality, line, attributes) "
            "SELECT id, :source_id, :batch_id, territory_id, category, family, raw_label, "
            "to_timestamp(occurred_epoch), time_precision, ST_SetSRID(ST_MakePoint(lon, lat), 4326), "
            "location_precision, h3_r8, h3_r9, h3_r10, commune_insee, nullif(partner_ref, ''), "
            "confidentiality, line, attributes FROM ols_staging ORDER BY id ON CONFLICT (id) DO NOTHING"
        ),
        {"source_id": source_id, "batch_id": batch_id},
    ).rowcount
    if rebuild:
        for statement in SECONDARY_INDEXES.values():
            connection.execute(text(statement))
    connection.execute(text("DROP TABLE ols_staging"))
    return int(inserted)


def insert_rejected(connection: Connection, rows: pd.DataFrame, *, batch_id: int) -> None:
    """Store the rejected rows with their reason, column, message and raw (mapped) cells."""
    if rows.empty:
        return
    frame = rows.assign(batch_id=batch_id).rename(columns={"column": "column_name"})
    copy_frame(connection, "rejected_row", ("batch_id", "line", "reason", "column_name", "message", "raw"), frame)
