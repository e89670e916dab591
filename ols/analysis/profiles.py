"""Temporal profiles: hour-of-day × day-of-week grids, school holidays vs school periods, evenings.

Only facts timed to the minute enter the hour grid; a fact known to the day is counted in the
"heure inconnue" bucket of its weekday, and a fact known to the month in "date imprécise". Nothing
is spread invisibly over hours it may not have happened in.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from ols.access.audience import Audience
from ols.access.disclosure import cell_key
from ols.access.roles import Layer
from ols.cartography.aggregates import IN_PERIOD, period_params
from ols.cartography.layers import ZONE_SET, zone_set
from ols.errors import NotFoundError
from ols.holidays import school_holidays
from ols.periods import Period
from ols.reference.calendar import calendar_of

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
EVENING = range(18, 24)


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


def _zone_filter(connection: Connection, zone: str, period: Period, audience: Audience) -> tuple[str, dict[str, Any]]:
    """The condition of facts inside one of the zones the audience may see (NotFoundError otherwise)."""
    audience.require(Layer.ZONES)
    area = audience.area("z.geom")
    sql = f"SELECT z.id FROM zone z WHERE z.code = :zone AND (z.kind = 'declared' OR ({ZONE_SET})){area.sql}"
    found = connection.execute(text(sql), {"zone": zone} | zone_set(connection, period, audience)
                               | area.params).scalar()  # fmt: skip
    if found is None:
        msg = f"no zone {zone} for {period.name}"
        raise NotFoundError(msg)
    return "EXISTS (SELECT 1 FROM zone z WHERE z.id = :zone_id AND ST_Intersects(z.geom, e.geom))", {"zone_id": found}


def time_profile(
    connection: Connection,
    period: Period,
    audience: Audience,
    *,
    family: str | None = None,
    zone: str | None = None,
) -> dict[str, Any]:
    """The hour × weekday grid of a period, for a family and/or inside a vigilance zone, cut for the audience.

    Hours, weekdays and school holidays are the territories' (:func:`~ols.reference.calendar.calendar_of`).
    """
    audience.require(Layer.PROFILES)
    calendar = calendar_of(connection)
    filters = [IN_PERIOD.replace("occurred_at", "e.occurred_at")]
    params = dict(period_params(audience.period(period), calendar.timezone))
    if family:
        filters.append("e.family = :family")
        params["family"] = family
    if zone:
        condition, values = _zone_filter(connection, zone, period, audience)
        filters.append(condition)
        params |= values
    facts = audience.facts("e")
    rows = connection.execute(
        text("SELECT (e.occurred_at AT TIME ZONE :tz)::date, "
             "extract(isodow FROM e.occurred_at AT TIME ZONE :tz)::int, "
             f"extract(hour FROM e.occurred_at AT TIME ZONE :tz)::int, e.time_precision, count(*), {cell_key('e')} "
             f"FROM event e WHERE {' AND '.join(filters)}{facts.sql} GROUP BY 1, 2, 3, 4"),
        params | facts.params,
    ).all()  # fmt: skip
    holiday = school_holidays({row[0] for row in rows}, calendar.holiday_zone)
    grid, split, unknown_hour, single = Tally((7, 24)), Tally((2, 7, 24)), Tally((7,)), Tally((3,))
    for day, weekday, hour, precision, count, key in rows:
        if precision == "month":
            single.add(0, count, key)
        elif precision == "day":
            unknown_hour.add(weekday - 1, count, key)
        else:
            grid.add((weekday - 1, hour), count, key)
            split.add((0 if holiday[day] else 1, weekday - 1, hour), count, key)
            single.add(1, count, key)
            if hour >= EVENING.start:
                single.add(2, count, key)
    imprecise, timed, evening = single.published(connection, audience)
    shares = split.published(connection, audience)
    return {
        "period": period.name, "family": family, "zone": zone, "weekdays": list(WEEKDAYS),
        "grid": grid.published(connection, audience), "heure_inconnue": unknown_hour.published(connection, audience),
        "date_imprecise": imprecise, "timed": timed,
        "evening_share": round(evening / timed, 3) if timed and evening is not None else None,
        "school_holidays": {"vacances": shares[0], "periode_scolaire": shares[1]},
        "holiday_zone": calendar.holiday_zone,
        "suppression_threshold": audience.threshold if audience.suppressed else None,
    }  # fmt: skip
