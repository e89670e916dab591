"""Which partners had data in which periods: a period before a partner sent anything is not a period of zero facts.

A partner "has data" in a period when it sent at least one event dated in it, whatever it
measures or classifies. Trends (emerging hot spots) and evolutions (N-2/N-1/N tables) compare
periods; a partner that joined the observatory in 2025 would otherwise make every cell it reports
"new" in 2025 and every total grow by its whole volume ("+202,7 %" from 2024 to 2025). Readers
compare only periods in which every partner contributing to what they compare had data. A partner
silent for a whole period while it sends data is taken as having no data then: when in doubt, no
evolution is shown rather than a false one. A period a partner's data began in, well after its start
(:func:`began_late`), is partial for it: no evolution is computed from it either.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import Connection, func, select

from ols.cartography.aggregates import in_period
from ols.periods import Period
from ols.store.models import Event


def sources_with_data(connection: Connection, periods: Iterable[Period], timezone: str) -> dict[str, set[int]]:
    """For each period (by name), the ids of the sources with at least one event dated in it."""
    found: dict[str, set[int]] = {}
    for period in periods:
        rows = connection.execute(
            select(Event.source_id).distinct().where(in_period(Event.occurred_at, period, timezone))
        ).scalars()
        found[period.name] = set(rows)
    return found


def first_days(connection: Connection, timezone: str) -> dict[int, date]:
    """The local date of each source's first fact (its data begin there, whatever it sent later)."""
    first = func.min(func.timezone(timezone, Event.occurred_at))
    rows = connection.execute(select(Event.source_id, first).group_by(Event.source_id)).all()
    return {int(source): stamp.date() for source, stamp in rows}


def began_late(first: date, period: Period) -> bool:
    """Whether a source's data began within the period, more than a twelfth of it after its start (a month of a
    year, a fortnight of a semester): the period is then partial for it."""
    return period.start + timedelta(days=max(1, period.days() // 12)) < first < period.end


def covered_run(periods: list[Period], present: dict[str, set[int]], sources: set[int]) -> list[Period]:
    """The longest run of ``periods`` (oldest first) ending with the last one in which every one of ``sources`` had
    data; empty when one of them has none in the last period."""
    run: list[Period] = []
    for period in reversed(periods):
        if not sources <= present.get(period.name, set()):
            break
        run.insert(0, period)
    return run
