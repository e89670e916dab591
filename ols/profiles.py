"""Temporal profiles: hour-of-day × day-of-week grids, school holidays vs school periods, evenings.

Only facts timed to the minute enter the hour grid; a fact known to the day is counted in the
"heure inconnue" bucket of its weekday, and a fact known to the month in "date imprécise". Nothing
is spread invisibly over hours it may not have happened in.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from ols.aggregates import IN_PERIOD, period_params
from ols.holidays import HOLIDAY_ZONE, school_holidays
from ols.periods import Period

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
EVENING = range(18, 24)


def time_profile(
    connection: Connection,
    period: Period,
    *,
    family: str | None = None,
    zone: str | None = None,
    timezone: str = "Europe/Paris",
    holiday_zone: str = HOLIDAY_ZONE,
) -> dict[str, Any]:
    """The hour × weekday grid of a period, for a family and/or inside a vigilance zone."""
    filters, params = [IN_PERIOD], dict(period_params(period, timezone))
    if family:
        filters.append("e.family = :family")
        params["family"] = family
    if zone:
        filters.append("EXISTS (SELECT 1 FROM zone z WHERE z.code = :zone AND ST_Intersects(z.geom, e.geom))")
        params["zone"] = zone
    rows = connection.execute(
        text("SELECT (e.occurred_at AT TIME ZONE :tz)::date, "
             "extract(isodow FROM e.occurred_at AT TIME ZONE :tz)::int, "
             "extract(hour FROM e.occurred_at AT TIME ZONE :tz)::int, e.time_precision, count(*) "
             f"FROM event e WHERE {' AND '.join(filters).replace('occurred_at', 'e.occurred_at')} GROUP BY 1, 2, 3, 4"),
        params,
    ).all()  # fmt: skip
    holiday = school_holidays({row[0] for row in rows}, holiday_zone)
    grid = np.zeros((7, 24), dtype=int)
    unknown_hour = np.zeros(7, dtype=int)
    split = {"vacances": np.zeros((7, 24), dtype=int), "periode_scolaire": np.zeros((7, 24), dtype=int)}
    imprecise = 0
    for day, weekday, hour, precision, count in rows:
        if precision == "month":
            imprecise += count
        elif precision == "day":
            unknown_hour[weekday - 1] += count
        else:
            grid[weekday - 1, hour] += count
            split["vacances" if holiday[day] else "periode_scolaire"][weekday - 1, hour] += count
    timed = int(grid.sum())
    return {
        "period": period.name, "family": family, "zone": zone, "weekdays": list(WEEKDAYS),
        "grid": grid.tolist(), "heure_inconnue": unknown_hour.tolist(), "date_imprecise": imprecise,
        "timed": timed, "evening_share": round(float(grid[:, EVENING.start:].sum()) / timed, 3) if timed else None,
        "school_holidays": {name: values.tolist() for name, values in split.items()},
        "holiday_zone": holiday_zone,
    }  # fmt: skip
