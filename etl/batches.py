"""Reading back batches and their rejected rows (to send them back to the partner)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, text

from ols.errors import NotFoundError


def list_batches(connection: Connection) -> pd.DataFrame:
    """Every batch, newest first, with its source and counts."""
    return pd.read_sql_query(
        text(
            "SELECT b.id AS batch_id, s.code AS source, b.filename, b.mapping_name, b.ingested_by, b.ingested_at, "
            "b.rows_read, b.accepted, b.duplicates, b.rejected FROM batch b JOIN source s ON s.id = b.source_id "
            "ORDER BY b.id DESC"
        ),
        connection,
    )


def rejected_rows(connection: Connection, batch_id: int) -> pd.DataFrame:
    """The rejected rows of a batch: line, reason, column, message, then the partner's own cells."""
    exists = connection.execute(text("SELECT 1 FROM batch WHERE id = :id"), {"id": batch_id}).scalar()
    if exists is None:
        msg = f"no batch {batch_id}"
        raise NotFoundError(msg)
    rows = connection.execute(
        text("SELECT line, reason, column_name, message, raw FROM rejected_row WHERE batch_id = :id ORDER BY line"),
        {"id": batch_id},
    ).all()
    head = pd.DataFrame(
        [(row.line, row.reason, row.column_name or "", row.message) for row in rows],
        columns=["ligne", "motif", "colonne", "message"],
    )
    raw = pd.DataFrame([row.raw for row in rows])
    return pd.concat([head, raw], axis=1)
