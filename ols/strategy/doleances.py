"""The doléances (citizen requests of a green number, ``source.kind = 'doleances'``) and their suite donnée:
how many were received, how many have a suite (the share closed), how long the suite took (délai de traitement,
from the request to its closing date) and how many still wait for one (on the cellule de veille's agenda).

The suite and the closing date are the attributes the shipped mapping keeps (``etl/mappings/doleances.yaml``).
"""

from __future__ import annotations

from datetime import date, datetime
from statistics import median
from typing import Any

from sqlalchemy import Connection, func, select

from ols.cartography.aggregates import in_period
from ols.periods import Period
from ols.reference.areas import Area
from ols.reference.calendar import calendar_of
from ols.store.models import Event, Source

SUITE = "Suite donnée"
CLOSED_ON = "Date de clôture"
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d/%m/%Y %H:%M")


def closing_date(text: str | None) -> date | None:
    """A closing date as partners write it, or None when it is missing or unreadable."""
    for form in DATE_FORMATS:
        try:
            return datetime.strptime((text or "").strip(), form).date()
        except ValueError:
            continue
    return None


def _requests(connection: Connection, period: Period, area: Area) -> list[Any]:
    timezone = calendar_of(connection).timezone
    return list(connection.execute(
        select(func.timezone(timezone, Event.occurred_at).label("received"), Event.attributes)
        .join(Source, Source.id == Event.source_id)
        .where(Source.kind == "doleances", area.facts(Event.__table__), in_period(Event.occurred_at, period, timezone))
    ).all())  # fmt: skip


def follow_up(connection: Connection, period: Period, area: Area) -> dict[str, Any]:
    """Doléances of the period in ``area``: received, closed (a suite given), their share, the median délai in
    days (of those with a readable closing date), and those without a suite."""
    rows = _requests(connection, period, area)
    closed = [row for row in rows if str(row.attributes.get(SUITE) or "").strip()]
    delays = [(day - row.received.date()).days for row in closed
              if (day := closing_date(row.attributes.get(CLOSED_ON))) is not None]  # fmt: skip
    return {"period": period.name, "received": len(rows), "closed": len(closed),
            "share_closed": len(closed) / len(rows) if rows else None,
            "median_days": median(delays) if delays else None, "without_suite": len(rows) - len(closed)}  # fmt: skip
