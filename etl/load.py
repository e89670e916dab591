"""Storing a file's facts in ``event``, each fact once, and its rejected rows.

pgstac's pattern, in the ingest transaction: the facts are COPied (PostgreSQL's binary format,
chunk after chunk while the next chunk is being validated: psycopg's queued writer sends from a
thread of its own) into a temporary table dropped at commit, then inserted into ``event`` with
``ON CONFLICT DO NOTHING``. The primary key ``(source_id, id)`` stores each fact once, whatever
other ingests run at the same time: the database guarantees it, no lock of the application's.
Rows are inserted in id order, so two ingests sending the same facts meet them in the same order:
the second waits for the first to end, then skips what it stored, and they never deadlock. A
failed or killed ingest takes its temporary table with it.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from pgpq import ArrowToPostgresBinaryEncoder
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Connection, column, select, table
from sqlalchemy.dialects.postgresql import insert

from ols.store.models import Event

logger = logging.getLogger(__name__)

INCOMING = "ols_incoming"
ANALYZE_MIN_ROWS = 50_000
CSV_ROWS = 250_000
EVENT_COLUMNS = list(Event.__table__.columns.keys())

Write = Callable[[pa.RecordBatch], None]


def driver(connection: Connection) -> psycopg.Connection:
    """The psycopg connection under a SQLAlchemy one (same transaction), for COPY and DDL."""
    raw = connection.connection.driver_connection
    assert isinstance(raw, psycopg.Connection)
    return raw


class Defaults:
    """The values a file shares on every row, set as column defaults of the table its COPY fills.

    They are not sent row by row: a column missing from the COPY takes the table's default.
    """

    def __init__(self, constants: dict[str, object]) -> None:
        self.constants = constants

    def set(self, raw: psycopg.Connection, name: str) -> None:
        """Give table ``name`` the file's values as column defaults."""
        if not self.constants:
            return
        clauses = [
            sql.SQL("ALTER COLUMN {} SET DEFAULT {}").format(sql.Identifier(column), sql.Literal(value))
            for column, value in self.constants.items()
        ]
        raw.execute(sql.SQL("ALTER TABLE {} {}").format(sql.Identifier(name), sql.SQL(", ").join(clauses)))


@contextlib.contextmanager
def binary_copy(raw: psycopg.Connection, name: str, schema: pa.Schema) -> Iterator[Write]:
    """A binary COPY of ``schema``'s columns into table ``name``, left open while the caller writes batches."""
    encoder = ArrowToPostgresBinaryEncoder(schema)
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(
        sql.Identifier(name), sql.SQL(", ").join(map(sql.Identifier, schema.names))
    )
    with raw.cursor() as cursor, cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        copy.write(encoder.write_header())
        yield lambda batch: copy.write(encoder.write_batch(batch))
        copy.write(encoder.finish())


@contextlib.contextmanager
def staged_facts(connection: Connection, schema: pa.Schema, defaults: Defaults) -> Iterator[Write]:
    """An open COPY of ``schema``'s columns into a temporary table of the transaction, the others from ``defaults``."""
    raw = driver(connection)
    raw.execute(
        sql.SQL("CREATE TEMP TABLE {} (LIKE event INCLUDING DEFAULTS) ON COMMIT DROP").format(sql.Identifier(INCOMING))
    )
    defaults.set(raw, INCOMING)
    with binary_copy(raw, INCOMING, schema) as write:
        yield write


def store_facts(connection: Connection) -> int:
    """Insert the staged facts into ``event``, in id order, skipping those stored; return how many were new.

    A large insert is followed by ``ANALYZE event`` (in the transaction, which counts its own rows):
    the refresh that usually follows plans with the statistics, and autovacuum would gather them
    only later.
    """
    incoming = table(INCOMING, *(column(name) for name in EVENT_COLUMNS))
    statement = (
        insert(Event)
        .from_select(EVENT_COLUMNS, select(incoming).order_by(incoming.c.id))
        .on_conflict_do_nothing(index_elements=["source_id", "id"])
        .execution_options(preserve_rowcount=True)
    )
    inserted = connection.execute(statement).rowcount
    raw = driver(connection)
    raw.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(INCOMING)))
    if inserted >= ANALYZE_MIN_ROWS:
        raw.execute("ANALYZE event")
    logger.info("%d faits nouveaux insérés dans event", inserted)
    return inserted


def _copy_csv(connection: Connection, statement: sql.Composed, rows: pa.Table) -> None:
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    with driver(connection).cursor() as cursor, cursor.copy(statement) as copy:
        for start in range(0, rows.num_rows, CSV_ROWS):
            buffer = io.BytesIO()
            pacsv.write_csv(rows.slice(start, CSV_ROWS), buffer, write_options=options)
            copy.write(buffer.getbuffer())


def insert_rejected(connection: Connection, rows: pd.DataFrame, *, batch_id: int) -> None:
    """Store the rejected rows with their reason, column, message and raw (mapped) cells."""
    if rows.empty:
        return
    cells = pa.table(
        {
            "batch_id": pa.array(np.full(len(rows), batch_id, dtype=np.int32)),
            "line": pa.array(rows["line"].to_numpy(dtype=np.int64)),
            "reason": pa.array(rows["reason"].astype(str), type=pa.string()),
            "column_name": pa.array(rows["column"], type=pa.string(), from_pandas=True),
            "message": pa.array(rows["message"].astype(str), type=pa.string()),
            "raw": pa.array(rows["raw"].astype(str), type=pa.string()),
        }
    )
    statement = sql.SQL("COPY rejected_row ({}) FROM STDIN (FORMAT csv)").format(
        sql.SQL(", ").join(map(sql.Identifier, cells.column_names))
    )
    _copy_csv(connection, statement, cells)
    logger.info("%d lignes rejetées enregistrées pour le lot %d", len(rows), batch_id)
