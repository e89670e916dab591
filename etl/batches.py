"""Reading back batches and their rejected rows (to send them back to the partner), and undoing a batch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, delete, func, select, update

from ols.access import audit
from ols.errors import NotFoundError
from ols.periods import parse_period
from ols.store.models import Batch, Event, Refresh, RejectedRow, Source

BATCH_STATES = {"clean": "sans rejet", "rejects": "avec rejets"}


@dataclass(frozen=True)
class BatchFilter:
    """Which batches to list: a source's, ingested from ``since`` until ``until`` (included), clean or with rejects."""

    source: str | None = None
    since: date | None = None
    until: date | None = None
    state: str | None = None

    def where(self) -> list[Any]:
        """The SQL conditions."""
        clauses: list[Any] = []
        if self.source:
            clauses.append(Source.code == self.source)
        if self.since:
            clauses.append(func.date(Batch.ingested_at) >= self.since)
        if self.until:
            clauses.append(func.date(Batch.ingested_at) <= self.until)
        if self.state == "clean":
            clauses.append(Batch.rejected == 0)
        elif self.state == "rejects":
            clauses.append(Batch.rejected > 0)
        return clauses


def list_batches(connection: Connection, where: BatchFilter | None = None) -> pd.DataFrame:
    """Every batch (or those ``where`` picks), newest first, with its source and counts."""
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
        .where(*(where or BatchFilter()).where())
        .order_by(Batch.id.desc())
    )
    return pd.read_sql_query(query, connection)


def rejected_rows(connection: Connection, batch_id: int) -> pd.DataFrame:
    """The rejected rows of a batch: line, reason, column, message, then the partner's own cells."""
    _batch(connection, batch_id)
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


def _batch(connection: Connection, batch_id: int) -> Any:
    row = connection.execute(
        select(Batch.__table__, Source.code.label("source")).join(Source, Source.id == Batch.source_id)
        .where(Batch.id == batch_id)
    ).one_or_none()  # fmt: skip
    if row is None:
        msg = f"aucun lot {batch_id} : voyez les lots avec « ols batches list »"
        raise NotFoundError(msg)
    return row


def batch_detail(connection: Connection, batch_id: int) -> dict[str, Any]:
    """One batch: its file, source, mapping, who and when, its counts and its rejected rows by reason."""
    row = _batch(connection, batch_id)
    reasons = connection.execute(
        select(RejectedRow.reason, func.count()).where(RejectedRow.batch_id == batch_id)
        .group_by(RejectedRow.reason).order_by(RejectedRow.reason)
    ).all()  # fmt: skip
    return {"batch_id": row.id, "source": row.source, "filename": row.filename, "mapping_name": row.mapping_name,
            "ingested_by": row.ingested_by, "ingested_at": row.ingested_at.isoformat(), "rows_read": row.rows_read,
            "accepted": row.accepted, "duplicates": row.duplicates, "rejected": row.rejected,
            "rejected_by_reason": {str(reason): int(count) for reason, count in reasons},
            "dropped_columns": dict(row.dropped_columns)}  # fmt: skip


def _touched_periods(connection: Connection, batch_id: int) -> list[str]:
    """The refreshed periods holding facts of the batch."""
    first, last = connection.execute(
        select(func.min(Event.occurred_at), func.max(Event.occurred_at)).where(Event.batch_id == batch_id)
    ).one()
    if first is None:
        return []
    names = connection.execute(select(Refresh.period)).scalars()
    return sorted(name for name in names if _meets(name, first.date(), last.date()))


def _meets(name: str, first: date, last: date) -> bool:
    period = parse_period(name)
    return period.start <= last and first < period.end


def undo_batch(connection: Connection, batch_id: int, *, user: str, role: str) -> dict[str, Any]:
    """Remove a batch: its facts, its rejected rows and the batch itself, so the same file may be sent again.

    The refreshed periods that held its facts are marked stale (``refresh.stale``): their aggregates wait
    for the next refresh. The undo is written to the audit log with what the batch was.
    """
    detail = batch_detail(connection, batch_id)
    periods = _touched_periods(connection, batch_id)
    removed = connection.execute(delete(Event).where(Event.batch_id == batch_id)).rowcount
    connection.execute(delete(Batch).where(Batch.id == batch_id))
    if periods:
        connection.execute(update(Refresh).where(Refresh.period.in_(periods)).values(stale=True))
    summary = {**detail, "facts_removed": int(removed), "stale_periods": periods}
    audit.record(connection, user=user, role=role, action="undo", resource="batch",
                 parameters={k: summary[k] for k in ("batch_id", "source", "filename", "accepted", "facts_removed",
                                                     "stale_periods")})  # fmt: skip
    return summary
