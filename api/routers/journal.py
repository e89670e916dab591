"""The audit log for the coordinator: filtered, paged, and exported as CSV for a spreadsheet.

The filters are the log's own (:class:`ols.access.audit.AuditFilter`), as ``ols audit list`` reads
it; days are the territories' local days. The CSV is ``;``-separated with a BOM and formulas
neutralised (:func:`ols.publishing.tables.to_excel_csv`, as every table OLS gives a person).
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import pandas as pd
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy import Connection

from api.deps import CurrentManager, EngineDep
from api.schemas import ERRORS
from ols.access import audit
from ols.publishing.tables import to_excel_csv
from ols.reference.calendar import calendar_of

router = APIRouter(responses=ERRORS)
CSV_ROWS = 100_000
HEADERS = {"at": "date et heure", "user": "utilisateur", "role": "rôle", "action": "action", "resource": "ressource",
           "parameters": "paramètres", "client": "adresse"}  # fmt: skip


class Filters:
    """The query's filters: user, action, first and last day (both included)."""

    def __init__(
        self,
        user: Annotated[str | None, Query(max_length=128)] = None,
        action: Annotated[str | None, Query(max_length=32)] = None,
        since: Annotated[date | None, Query(description="First day, included")] = None,
        until: Annotated[date | None, Query(description="Last day, included")] = None,
    ) -> None:
        self.user, self.action, self.since, self.until = user or None, action or None, since, until

    def of(self, connection: Connection) -> audit.AuditFilter:
        """The filter on the log, days as the territories' local days."""
        zone = ZoneInfo(calendar_of(connection).timezone)

        def start(day: date | None) -> datetime | None:
            return datetime.combine(day, time(), tzinfo=zone) if day else None

        last = self.until + timedelta(days=1) if self.until else None
        return audit.AuditFilter(user=self.user, action=self.action, since=start(self.since), until=start(last))


FiltersDep = Annotated[Filters, Depends()]


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    frame = frame.assign(at=[moment.isoformat() for moment in frame["at"]])
    return [{str(key): value for key, value in row.items()} for row in frame.to_dict(orient="records")]


@router.get("/audit")
def audit_log(
    engine: EngineDep,
    _: CurrentManager,
    filters: FiltersDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """One page of the entries matching the filters, newest first, with their total and the actions known."""
    with engine.connect() as connection:
        where = filters.of(connection)
        frame = audit.entries(connection, where=where, limit=size, offset=(page - 1) * size)
        return {"total": audit.count(connection, where), "page": page, "size": size, "entries": _rows(frame),
                "actions": audit.actions(connection)}  # fmt: skip


@router.get("/audit.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def audit_csv(engine: EngineDep, _: CurrentManager, filters: FiltersDep) -> Response:
    """The entries matching the filters as CSV (``;``, BOM, formulas neutralised), newest first."""
    with engine.connect() as connection:
        frame = audit.entries(connection, where=filters.of(connection), limit=CSV_ROWS)
    shown = [json.dumps(value, ensure_ascii=False) for value in frame["parameters"]]
    frame = frame.assign(at=[moment.isoformat() for moment in frame["at"]], parameters=shown)
    body = to_excel_csv(frame.rename(columns=HEADERS))
    return Response(body.encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="journal-ols.csv"'})  # fmt: skip
