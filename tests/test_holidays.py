"""School holidays: zone B and C dates, unknown years and zones refused, the calendar loaded once per process."""

from __future__ import annotations

from datetime import date

import pytest

from ols.errors import UnsupportedHolidayError
from ols.holidays import _calendar, school_holidays


def test_zone_b_holidays_and_school_days() -> None:
    days = {date(2025, 7, 14), date(2025, 3, 11), date(2026, 2, 23), date(2026, 2, 10)}
    assert school_holidays(days, "B") == {
        date(2025, 7, 14): True,  # summer
        date(2025, 3, 11): False,
        date(2026, 2, 23): True,  # winter holidays, zone B: 14 February - 1 March 2026
        date(2026, 2, 10): False,
    }


def test_zone_c_is_not_zone_b() -> None:
    days = {date(2026, 3, 4), date(2026, 2, 16)}  # zone C: 21 February - 8 March 2026
    assert school_holidays(days, "C") == {date(2026, 3, 4): True, date(2026, 2, 16): False}
    assert school_holidays(days, "B") == {date(2026, 3, 4): False, date(2026, 2, 16): True}


def test_a_year_the_calendar_lacks_is_a_clear_error() -> None:
    with pytest.raises(UnsupportedHolidayError, match="vacances scolaires inconnues pour 1950"):
        school_holidays([date(1950, 5, 2)], "B")


@pytest.mark.parametrize("zone", ["Réunion", "Corse", "Guyane"])
def test_a_zone_the_calendar_lacks_is_a_clear_error(zone: str) -> None:
    with pytest.raises(UnsupportedHolidayError, match=f"vacances scolaires inconnues pour la zone {zone}"):
        school_holidays([date(2026, 3, 4)], zone)


def test_no_zone_says_how_to_give_one() -> None:
    with pytest.raises(UnsupportedHolidayError, match="ols territory load --holiday-zone"):
        school_holidays([date(2026, 3, 4)], None)


def test_the_calendar_is_parsed_once() -> None:
    assert _calendar() is _calendar()
