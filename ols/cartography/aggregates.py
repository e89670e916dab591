"""Counts of events per H3 cell, period, category and source, kept in ``cell_count``.

A refresh rebuilds a period's rows in the caller's transaction; maps, hot spots and tables read
them instead of the raw events. Each row keeps the cell key of the facts it counts (the sum of
their record keys, :mod:`ols.access.disclosure`), so that any table built from these rows can be
published through disclosure control. Period bounds are local dates, in the territories' timezone
(:func:`ols.reference.calendar.calendar_of`).
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
from ols.access.disclosure import MODULUS, cell_key
from ols.periods import Period
from ols.store.models import CellCount, Event, Zone

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


def rebuild(connection: Connection, period: Period, *, timezone: str) -> int:
    """Replace the period's cell counts (one pass over the events, three grouping sets); return the count."""
    connection.execute(delete(CellCount).where(CellCount.period == period.name))
    cells = (Event.h3_r8, Event.h3_r9, Event.h3_r10)
    keys = (Event.category, Event.source_id, Event.territory_id, Event.family)
    resolution = case((func.grouping(cells[0]) == 0, 8), (func.grouping(cells[1]) == 0, 9), else_=10)
    counted = (
        select(literal(period.name), resolution, func.coalesce(*cells), *keys, func.count(),
               cell_key(Event.__table__) % literal(MODULUS, BigInteger))
        .where(in_period(Event.occurred_at, period, timezone))
        .group_by(func.grouping_sets(*(tuple_(cell, *keys) for cell in cells)))
    )  # fmt: skip
    columns = ["period", "resolution", "h3", "category", "source_id", "territory_id", "family", "count", "cell_key"]
    connection.execute(insert(CellCount).from_select(columns, counted))
    counted_events = connection.execute(
        select(func.coalesce(func.sum(CellCount.count), 0)).where(CellCount.period == period.name,
                                                                 CellCount.resolution == 8)
    ).scalar_one()  # fmt: skip
    logger.info("comptages par cellule de %s reconstruits : %d faits", period.name, counted_events)
    return int(counted_events)


def cell_totals(
    connection: Connection, period: str, resolution: int, family: str | None = None, *, excluded: tuple[str, ...] = ()
) -> pd.Series:
    """Events per cell (index: H3 int) for a period, all families or one, without the ``excluded`` categories."""
    query = (
        select(CellCount.h3, func.sum(CellCount.count))
        .where(CellCount.period == period, CellCount.resolution == resolution, CellCount.category.not_in(excluded))
        .group_by(CellCount.h3)
    )
    if family:
        query = query.where(CellCount.family == family)
    rows = connection.execute(query).all()
    return pd.Series([n for _, n in rows], index=np.array([h for h, _ in rows], dtype=np.int64), dtype=np.int64)


def cell_table(connection: Connection, period: str, resolution: int, *, sensitive: tuple[str, ...]) -> pd.DataFrame:
    """Events per cell and family, apart for the ``sensitive`` categories: every total a refresh needs, in one read."""
    counts = (
        select(CellCount.h3, CellCount.family, CellCount.category.in_(sensitive).label("sensitive"), CellCount.count)
        .where(CellCount.period == period, CellCount.resolution == resolution)
        .subquery()
    )
    rows = connection.execute(
        select(counts.c.h3, counts.c.family, counts.c.sensitive, func.sum(counts.c.count))
        .group_by(counts.c.h3, counts.c.family, counts.c.sensitive)
    ).all()  # fmt: skip
    frame = pd.DataFrame([tuple(row) for row in rows], columns=["h3", "family", "sensitive", "count"])
    return frame.astype({"h3": np.int64, "count": np.int64, "sensitive": bool})


def live_scope_totals(
    connection: Connection, period: Period, resolution: int, *, timezone: str, excluded: tuple[str, ...]
) -> pd.DataFrame:
    """Events per cell straight from ``event``, all of them (``full``) and without ``excluded`` categories
    (``open``), in one pass (for the past semesters of emerging hot spots)."""
    cell = {8: Event.h3_r8, 9: Event.h3_r9, 10: Event.h3_r10}[resolution]
    rows = connection.execute(
        select(cell, func.count(), func.count().filter(Event.category.not_in(excluded)))
        .where(in_period(Event.occurred_at, period, timezone))
        .group_by(cell)
    ).all()
    index = np.array([row[0] for row in rows], dtype=np.int64)
    return pd.DataFrame({"full": [row[1] for row in rows], "open": [row[2] for row in rows]}, index=index)


def zone_counts(connection: Connection, period: Period, audience: Audience, *, timezone: str) -> pd.DataFrame:
    """Events per zone the audience may see (its computed zones of the period, the declared ones) and family."""
    its_zones = or_(Zone.kind == "declared", and_(Zone.period == period.name, Zone.scope == audience.scope))
    groups = (Zone.kind, Zone.code, Zone.name, Event.family)
    rows = connection.execute(
        select(*groups, func.count(), cell_key(Event.__table__))
        .join_from(Zone, Event, func.ST_Intersects(Zone.geom, Event.geom))
        .where(its_zones, in_period(Event.occurred_at, period, timezone), audience.facts(Event.__table__).clause,
               audience.area(Zone.geom).clause)
        .group_by(*groups)
        .order_by(Zone.kind, Zone.code, Event.family)
    ).all()  # fmt: skip
    frame = pd.DataFrame([row[:4] for row in rows], columns=["kind", "code", "name", "family"])
    frame["count"] = audience.publish(connection, [row[4] for row in rows], [row[5] for row in rows])
    return frame[frame["count"].notna()].reset_index(drop=True)  # like the heatmap: an absent row means "< 5"
