"""Counts of events per H3 cell, period, category, source and measure, kept in ``cell_count``.

A refresh rebuilds a period's rows in the caller's transaction; maps, hot spots and tables read
them instead of the raw events. Each row counts apart the facts that are signalements of their own
and those merged into another partner's signalement (:mod:`ols.merging`), and keeps the cell key of
each (the sum of their record keys, :mod:`ols.access.disclosure`), so that any table built from
these rows can be published through disclosure control. Facts and a service's activity are
counted in rows of their own (``measure``, :mod:`ols.nomenclature`). Period bounds are local dates,
in the territories' timezone (:func:`ols.reference.calendar.calendar_of`).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    TIMESTAMP,
    BigInteger,
    ColumnElement,
    Connection,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import QueryableAttribute

from ols.access.audience import Audience
from ols.access.disclosure import MODULUS, cell_key, record_key
from ols.merging import counted
from ols.periods import Period
from ols.reference.areas import Area
from ols.store.models import CellCount, Event, EventLink, Zone

RESOLUTIONS = (8, 9, 10)
logger = logging.getLogger(__name__)
Instants = ColumnElement[datetime] | QueryableAttribute[datetime]


def local_midnight(day: date | ColumnElement[Any], timezone: str | ColumnElement[Any]) -> ColumnElement[datetime]:
    """The instant a local date begins in ``timezone`` (``CAST(day AS timestamp) AT TIME ZONE timezone``)."""
    return func.timezone(timezone, cast(day, TIMESTAMP))


def local_time(instants: Instants, timezone: str) -> ColumnElement[datetime]:
    """Instants as local date-times of ``timezone`` (``instants AT TIME ZONE timezone``)."""
    return func.timezone(timezone, instants)


def _between(instants: Instants, start: Any, end: Any, timezone: Any) -> ColumnElement[bool]:
    return and_(instants >= local_midnight(start, timezone), instants < local_midnight(end, timezone))


def in_period(occurred_at: Instants, period: Period, timezone: str) -> ColumnElement[bool]:
    """Instants within the period's local dates ``[start, end)`` in ``timezone``."""
    return _between(occurred_at, period.start, period.end, timezone)


def _summed(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """The cell key (modulo 2**32) of the events meeting ``condition``: 0 when there are none."""
    keys = func.sum(record_key(Event.__table__)).filter(condition)
    return func.coalesce(keys, 0) % literal(MODULUS, BigInteger)


def rebuild(connection: Connection, period: Period, *, timezone: str) -> dict[str, int]:
    """Replace the period's cell counts (one pass over the events, three grouping sets).

    Return the signalements of facts, the facts merged into another partner's signalement, and the
    service activity of the period.
    """
    connection.execute(delete(CellCount).where(CellCount.period == period.name))
    cells = (Event.h3_r8, Event.h3_r9, Event.h3_r10)
    keys = (Event.category, Event.source_id, Event.territory_id, Event.measure, Event.family)
    resolution = case((func.grouping(cells[0]) == 0, 8), (func.grouping(cells[1]) == 0, 9), else_=10)
    member = EventLink.source_id.is_not(None)
    linked = Event.__table__.outerjoin(
        EventLink, and_(EventLink.source_id == Event.source_id, EventLink.id == Event.id)
    )
    counted = (
        select(literal(period.name), resolution, func.coalesce(*cells), *keys,
               func.count().filter(~member), _summed(~member), func.count().filter(member), _summed(member))
        .select_from(linked)
        .where(in_period(Event.occurred_at, period, timezone))
        .group_by(func.grouping_sets(*(tuple_(cell, *keys) for cell in cells)))
    )  # fmt: skip
    columns = ["period", "resolution", "h3", "category", "source_id", "territory_id", "measure", "family", "count",
               "cell_key", "merged", "merged_key"]  # fmt: skip
    connection.execute(insert(CellCount).from_select(columns, counted))
    totals = connection.execute(
        select(CellCount.measure, func.sum(CellCount.count), func.sum(CellCount.merged))
        .where(CellCount.period == period.name, CellCount.resolution == 8)
        .group_by(CellCount.measure)
    ).all()  # fmt: skip
    found = {measure: (int(count), int(merged)) for measure, count, merged in totals}
    counted_events = {"facts": found.get("facts", (0, 0))[0], "merged": found.get("facts", (0, 0))[1],
                      "activity": found.get("activity", (0, 0))[0]}  # fmt: skip
    logger.info("comptages par cellule de %s reconstruits : %d actes d'activité, %d faits fusionnés entre "
                "partenaires, %d signalements de faits", period.name, counted_events["activity"],
                counted_events["merged"], counted_events["facts"])  # fmt: skip
    return counted_events


def cell_totals(
    connection: Connection,
    period: str,
    resolution: int,
    family: str | None = None,
    *,
    excluded: tuple[str, ...] = (),
    measure: str = "facts",
) -> pd.Series:
    """Signalements per cell (index: H3 int) for a period, all families or one, without the ``excluded`` categories."""
    query = (
        select(CellCount.h3, func.sum(CellCount.count))
        .where(CellCount.period == period, CellCount.resolution == resolution, CellCount.category.not_in(excluded),
               CellCount.measure == measure)
        .group_by(CellCount.h3)
    )  # fmt: skip
    if family:
        query = query.where(CellCount.family == family)
    rows = connection.execute(query).all()
    return pd.Series([n for _, n in rows], index=np.array([h for h, _ in rows], dtype=np.int64), dtype=np.int64)


def cell_table(connection: Connection, period: str, resolution: int, *, sensitive: tuple[str, ...]) -> pd.DataFrame:
    """Signalements per cell, measure and family, apart for the ``sensitive`` categories: every total a refresh
    needs, in one read."""
    counts = (
        select(CellCount.h3, CellCount.measure, CellCount.family, CellCount.category.in_(sensitive).label("sensitive"),
               CellCount.count)
        .where(CellCount.period == period, CellCount.resolution == resolution)
        .subquery()
    )  # fmt: skip
    keys = (counts.c.h3, counts.c.measure, counts.c.family, counts.c.sensitive)
    rows = connection.execute(select(*keys, func.sum(counts.c.count)).group_by(*keys)).all()
    frame = pd.DataFrame([tuple(row) for row in rows], columns=["h3", "measure", "family", "sensitive", "count"])
    return frame.astype({"h3": np.int64, "count": np.int64, "sensitive": bool})


def live_scope_totals(
    connection: Connection,
    period: Period,
    resolution: int,
    *,
    timezone: str,
    excluded: tuple[str, ...],
    sources: list[int] | None = None,
) -> pd.DataFrame:
    """Signalements of facts per cell straight from ``event``, all of them (``full``) and without ``excluded``
    categories (``open``), in one pass (for the past semesters of emerging hot spots); only those of
    ``sources`` when given."""
    cell = {8: Event.h3_r8, 9: Event.h3_r9, 10: Event.h3_r10}[resolution]
    statement = (
        select(cell, func.count(), func.count().filter(Event.category.not_in(excluded)))
        .where(in_period(Event.occurred_at, period, timezone), counted(Event.__table__))
        .group_by(cell)
    )
    if sources is not None:
        statement = statement.where(Event.source_id.in_(sources))
    rows = connection.execute(statement).all()
    index = np.array([row[0] for row in rows], dtype=np.int64)
    return pd.DataFrame({"full": [row[1] for row in rows], "open": [row[2] for row in rows]}, index=index)


def zone_counts(
    connection: Connection, period: Period, audience: Audience, *, timezone: str, area: Area | None = None
) -> pd.DataFrame:
    """Signalements of facts per zone the audience may see (its computed zones of the period, the declared ones)
    and family; with ``area``, the zones meeting that commune or sector, their facts wherever in the zone."""
    its_zones = or_(Zone.kind == "declared", and_(Zone.period == period.name, Zone.scope == audience.scope))
    groups = (Zone.kind, Zone.code, Zone.name, Event.family)
    rows = connection.execute(
        select(*groups, func.count(), cell_key(Event.__table__))
        .join_from(Zone, Event, func.ST_Intersects(Zone.geom, Event.geom))
        .where(its_zones, in_period(Event.occurred_at, period, timezone), audience.facts(Event.__table__).clause,
               counted(Event.__table__), audience.area(Zone.geom).clause, (area or Area()).meets(Zone.geom))
        .group_by(*groups)
        .order_by(Zone.kind, Zone.code, Event.family)
    ).all()  # fmt: skip
    frame = pd.DataFrame([row[:4] for row in rows], columns=["kind", "code", "name", "family"])
    frame["count"] = audience.publish(connection, [row[4] for row in rows], [row[5] for row in rows])
    return frame[frame["count"].notna()].reset_index(drop=True)  # like the heatmap: an absent row means "< 5"
