"""The append-only audit log: every read of a sensitive layer and every export."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Connection, insert, select

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


def entries(connection: Connection, *, limit: int = 100, user: str | None = None) -> pd.DataFrame:
    """The latest entries, newest first."""
    query = select(
        AuditEntry.at,
        AuditEntry.user_name,
        AuditEntry.role,
        AuditEntry.action,
        AuditEntry.resource,
        AuditEntry.parameters,
        AuditEntry.client,
    )
    if user:
        query = query.where(AuditEntry.user_name == user)
    rows = connection.execute(query.order_by(AuditEntry.id.desc()).limit(limit)).all()
    return pd.DataFrame(rows, columns=["at", "user", "role", "action", "resource", "parameters", "client"])
