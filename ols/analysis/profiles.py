"""Temporal profiles: hour-of-day × day-of-week grids, school holidays vs school periods, evenings.

Only facts timed to the minute enter the hour grid; a fact known to the day is counted in the
"heure inconnue" bucket of its weekday, and a fact known to the month in "date imprécise". Nothing
is spread invisibly over hours it may not have happened in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Connection, Date, Integer, Row, cast, exists, extract, func, select

from ols.access.audience import Audience
from ols.access.disclosure import cell_key
from ols.access.roles import Layer
from ols.cartography.aggregates import in_period, local_time
from ols.cartography.layers import readable_zones
from ols.errors import NotFoundError, UnsupportedHolidayError
from ols.holidays import school_holidays
from ols.merging import counted
from ols.periods import Period
from ols.reference.areas import Area
from ols.reference.calendar import calendar_of
from ols.store.models import Event, Source, Zone

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
EVENING = range(18, 24)
ProfileRows = Sequence[Row[date, int, int, str, int, int]]


class Tally:
    """Counts and cell keys of the profile's cells (a grid of 7 × 24, holidays, unknown hours...)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.counts = np.zeros(shape, dtype=np.int64)
        self.keys = np.zeros(shape, dtype=object)

    def add(self, index: tuple[int, ...] | int, count: int, key: int) -> None:
        """Count ``count`` facts of cell key ``key`` in one cell."""
        self.counts[index] += count
        self.keys[index] += key

    def published(self, connection: Connection, audience: Audience) -> list[Any]:
        """The cells as the audience receives them, in the tally's shape (nested lists)."""
        flat = audience.publish(connection, self.counts.ravel(), [int(k) % (1 << 32) for k in self.keys.ravel()])
        return np.array(flat, dtype=object).reshape(self.counts.shape).tolist()  # type: ignore[no-any-return]


def _in_zone(connection: Connection, zone: str, period: Period, audience: Audience) -> ColumnElement[bool]:
    """The condition of facts inside one of the zones the audience may see (NotFoundError otherwise)."""
    audience.require(Layer.ZONES)
    found = connection.execute(
        select(Zone.id).where(
            Zone.code == zone, readable_zones(connection, period, audience), audience.area(Zone.geom).clause
        )
    ).scalar()
    if found is None:
        msg = f"aucune zone {zone} pour {period.name}"
        raise NotFoundError(msg)
    return exists().where(Zone.id == found, func.ST_Intersects(Zone.geom, Event.geom))


def _what(family: str | None, category: str | None, source: str | None) -> list[ColumnElement[bool]]:
    """The conditions of the map's filters (family, category, source code) on the facts."""
    conditions = [Event.family == family] if family else []
    if category:
        conditions.append(Event.category == category)
    if source:
        conditions.append(Event.source_id == select(Source.id).where(Source.code == source).scalar_subquery())
    return conditions


def _profile_rows(
    connection: Connection, period: Period, audience: Audience, *, what: list[ColumnElement[bool]], zone: str | None,
    timezone: str, area: Area,
) -> ProfileRows:  # fmt: skip
    """(local date, ISO weekday, hour, time precision, count, cell key) of the facts the audience may see."""
    local = local_time(Event.occurred_at, timezone)
    groups = (
        cast(local, Date),
        cast(extract("isodow", local), Integer),
        cast(extract("hour", local), Integer),
        Event.time_precision,
    )
    statement = (
        select(*groups, func.count(), cell_key(Event.__table__))
        .where(
            in_period(Event.occurred_at, audience.period(period), timezone),
            audience.facts(Event.__table__).clause,
            area.facts(Event.__table__),
            counted(Event.__table__),
            *what,
        )
        .group_by(*groups)
    )
    if zone:
        statement = statement.where(_in_zone(connection, zone, period, audience))
    return connection.execute(statement).all()


def _holidays(rows: ProfileRows, zone: str | None) -> tuple[dict[date, bool] | None, str | None]:
    """Whether each day of the rows is a school holiday, or None and the reason when the calendar is unknown.

    A territory whose holidays OLS does not know (Corse, overseas, no zone given) still gets its hour
    grid: only the holiday split is left out, and the profile says why.
    """
    try:
        return school_holidays({row[0] for row in rows}, zone), None
    except UnsupportedHolidayError as error:
        return None, str(error)


def _tally(rows: ProfileRows, holiday: dict[date, bool] | None) -> tuple[Tally, Tally, Tally, Tally]:
    """The hour grid, the grid split by school holidays (left empty without a calendar), facts without an
    hour per weekday, and the totals (facts dated to the month, timed facts, evening facts)."""
    grid, split, unknown_hour, single = Tally((7, 24)), Tally((2, 7, 24)), Tally((7,)), Tally((3,))
    for day, weekday, hour, precision, count, key in rows:
        if precision == "month":
            single.add(0, count, key)
        elif precision == "day":
            unknown_hour.add(weekday - 1, count, key)
        else:
            grid.add((weekday - 1, hour), count, key)
            if holiday is not None:
                split.add((0 if holiday[day] else 1, weekday - 1, hour), count, key)
            single.add(1, count, key)
            if hour >= EVENING.start:
                single.add(2, count, key)
    return grid, split, unknown_hour, single


def time_profile(
    connection: Connection,
    period: Period,
    audience: Audience,
    *,
    family: str | None = None,
    zone: str | None = None,
    area: Area | None = None,
    category: str | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """The hour × weekday grid of a period, for a family (a category, a source: the map's filters) and/or inside
    a vigilance zone, cut for the audience (and to a commune or sector, ``area``).

    Hours, weekdays and school holidays are the territories' (:func:`~ols.reference.calendar.calendar_of`).
    """
    audience.require(Layer.PROFILES)
    calendar = calendar_of(connection)
    rows = _profile_rows(connection, period, audience, what=_what(family, category, source), zone=zone,
                         timezone=calendar.timezone, area=area or Area())  # fmt: skip
    holiday, no_holidays = _holidays(rows, calendar.holiday_zone)
    grid, split, unknown_hour, single = _tally(rows, holiday)
    imprecise, timed, evening = single.published(connection, audience)
    shares = split.published(connection, audience)
    return {
        "period": period.name, "family": family, "category": category, "source": source, "zone": zone,
        "weekdays": list(WEEKDAYS),
        "grid": grid.published(connection, audience), "heure_inconnue": unknown_hour.published(connection, audience),
        "date_imprecise": imprecise, "timed": timed,
        "evening_share": round(evening / timed, 3) if timed and evening is not None else None,
        "school_holidays": None if holiday is None else {"vacances": shares[0], "periode_scolaire": shares[1]},
        "school_holidays_note": no_holidays,
        "holiday_zone": calendar.holiday_zone,
        "suppression_threshold": audience.threshold if audience.suppressed else None,
    }  # fmt: skip
