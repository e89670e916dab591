"""The append-only audit log: every read of a sensitive layer and every export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Connection, func, insert, select

from ols.store.models import AuditEntry


def record(
    connection: Connection,
    *,
    user: str,
    role: str,
    action: str,
    resource: str,
    parameters: dict[str, Any],
    client: str | None = None,
) -> None:
    """Append one entry (the table refuses updates and deletes)."""
    connection.execute(insert(AuditEntry).values(
        user_name=user, role=role, action=action, resource=resource, parameters=parameters, client=client,
    ))  # fmt: skip


COLUMNS = ["at", "user", "role", "action", "resource", "parameters", "client"]


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to read: by user, action, and time (``since`` included, ``until`` excluded)."""

    user: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        """The filter as Core conditions on the audit log."""
        found: list[ColumnElement[bool]] = []
        if self.user:
            found.append(AuditEntry.user_name == self.user)
        if self.action:
            found.append(AuditEntry.action == self.action)
        if self.since:
            found.append(AuditEntry.at >= self.since)
        if self.until:
            found.append(AuditEntry.at < self.until)
        return found


def entries(
    connection: Connection,
    *,
    limit: int = 100,
    user: str | None = None,
    where: AuditFilter | None = None,
    offset: int = 0,
) -> pd.DataFrame:
    """The latest entries matching ``where`` (or of ``user``), newest first, from ``offset``."""
    where = where or AuditFilter(user=user)
    query = select(
        AuditEntry.at,
        AuditEntry.user_name,
        AuditEntry.role,
        AuditEntry.action,
        AuditEntry.resource,
        AuditEntry.parameters,
        AuditEntry.client,
    ).where(*where.clauses())
    rows = connection.execute(query.order_by(AuditEntry.id.desc()).offset(offset).limit(limit)).all()
    return pd.DataFrame(rows, columns=COLUMNS)


def count(connection: Connection, where: AuditFilter) -> int:
    """How many entries match ``where``."""
    return int(connection.execute(select(func.count()).select_from(AuditEntry).where(*where.clauses())).scalar_one())


def actions(connection: Connection) -> list[str]:
    """The actions the log holds, for a filter's choices."""
    return list(connection.execute(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).scalars())
