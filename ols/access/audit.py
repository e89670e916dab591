"""The append-only audit log: every read of a sensitive layer and every export."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Connection, insert, text

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
    query = "SELECT at, user_name, role, action, resource, parameters, client FROM audit_log"
    if user:
        query += " WHERE user_name = :user"
    rows = connection.execute(text(query + " ORDER BY id DESC LIMIT :limit"), {"user": user, "limit": limit}).all()
    return pd.DataFrame(rows, columns=["at", "user", "role", "action", "resource", "parameters", "client"])
