"""The log of changes to the tables the API's answers are read from, written by the database itself.

A statement-level trigger on each such table adds one row per table and transaction (``kind`` is
the table, ``xid`` the transaction). Rows are never updated or deleted, so the number of rows of a
kind counts the committed transactions that changed it: a number that grows exactly when the data
does, whichever process changed it (an ``ols ingest`` in a shell, the API, a refresh), and that
a transaction still running cannot move. The API's response cache compares it to decide whether
an answer is still the data's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from ols.store.models.base import Base


class DataChange(Base):
    """One transaction that changed one tracked table."""

    __tablename__ = "data_change"
    __table_args__ = (UniqueConstraint("kind", "xid", name="data_change_once"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    xid: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
