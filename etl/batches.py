"""Reading back batches and their rejected rows (to send them back to the partner)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, select

from ols.errors import NotFoundError
from ols.store.models import Batch, RejectedRow, Source


def list_batches(connection: Connection) -> pd.DataFrame:
    """Every batch, newest first, with its source and counts."""
    query = (
        select(
            Batch.id.label("batch_id"),
            Source.code.label("source"),
            Batch.filename,
            Batch.mapping_name,
            Batch.ingested_by,
            Batch.ingested_at,
            Batch.rows_read,
            Batch.accepted,
            Batch.duplicates,
            Batch.rejected,
        )
        .join(Source, Source.id == Batch.source_id)
        .order_by(Batch.id.desc())
    )
    return pd.read_sql_query(query, connection)


def rejected_rows(connection: Connection, batch_id: int) -> pd.DataFrame:
    """The rejected rows of a batch: line, reason, column, message, then the partner's own cells."""
    if connection.execute(select(Batch.id).where(Batch.id == batch_id)).scalar() is None:
        msg = f"aucun lot {batch_id} : voyez les lots avec « ols batches list »"
        raise NotFoundError(msg)
    rows = connection.execute(
        select(RejectedRow.line, RejectedRow.reason, RejectedRow.column_name, RejectedRow.message, RejectedRow.raw)
        .where(RejectedRow.batch_id == batch_id)
        .order_by(RejectedRow.line)
    ).all()
    head = pd.DataFrame(
        [(row.line, row.reason, row.column_name or "", row.message) for row in rows],
        columns=["ligne", "motif", "colonne", "message"],
    )
    raw = pd.DataFrame([row.raw for row in rows])
    return pd.concat([head, raw], axis=1)
