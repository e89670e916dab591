"""French school holidays by zone, from vacances-scolaires-france (metropolitan zones A, B and C).

The zone is the territory's (:mod:`ols.reference.calendar`: the communes of the Nord are in zone B,
Paris in zone C). The package has no calendar for Corsica or overseas: asking it for their holidays
is a clear error, never another zone's dates. Loading its calendar parses its data file (about 90 ms):
it is loaded once per process, not on every time profile or patrol plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache

from vacances_scolaires_france import SchoolHolidayDates

from ols.errors import UnsupportedHolidayError


@cache
def _calendar() -> SchoolHolidayDates:
    return SchoolHolidayDates()


def school_holidays(days: Iterable[date], zone: str | None) -> dict[date, bool]:
    """Whether each day falls in the zone's school holidays; a zone or a year the calendar lacks is an error."""
    if zone is None:
        msg = "aucune zone de vacances scolaires pour les territoires : donnez-la (ols territory load --holiday-zone)"
        raise UnsupportedHolidayError(msg)
    calendar = _calendar()
    if zone not in calendar.SUPPORTED_ZONES:
        msg = (f"vacances scolaires inconnues pour la zone {zone} : vacances-scolaires-france ne donne que celles "
               "des zones A, B et C de métropole")  # fmt: skip
        raise UnsupportedHolidayError(msg)
    known = {}
    for day in days:
        try:
            known[day] = bool(calendar.is_holiday_for_zone(day, zone))
        except Exception as error:  # the package raises for years it does not know
            msg = (f"vacances scolaires inconnues pour {day.year} : le paquet vacances-scolaires-france ne les donne "
                   "pas (mettez-le à jour si l'année est récente)")  # fmt: skip
            raise UnsupportedHolidayError(msg) from error
    return known
