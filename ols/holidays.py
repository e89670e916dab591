"""French school holidays by zone (Mons-en-Barœul is in zone B), from vacances-scolaires-france.

Loading the package's calendar parses its data file (about 90 ms): it is loaded once per process,
not on every time profile or patrol plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache

from vacances_scolaires_france import SchoolHolidayDates

from ols.errors import UnsupportedHolidayError

HOLIDAY_ZONE = "B"


@cache
def _calendar() -> SchoolHolidayDates:
    return SchoolHolidayDates()


def school_holidays(days: Iterable[date], zone: str = HOLIDAY_ZONE) -> dict[date, bool]:
    """Whether each day falls in the zone's school holidays; years the calendar lacks are an error."""
    calendar = _calendar()
    known = {}
    for day in days:
        try:
            known[day] = bool(calendar.is_holiday_for_zone(day, zone))
        except Exception as error:  # the package raises for years it does not know
            msg = f"school holidays unknown for {day.year} (vacances-scolaires-france): {error}"
            raise UnsupportedHolidayError(msg) from error
    return known
