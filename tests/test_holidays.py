"""School holidays: zone B dates, unknown years refused, the calendar loaded once per process."""

from __future__ import annotations

from datetime import date

import pytest

from ols.errors import UnsupportedHolidayError
from ols.holidays import _calendar, school_holidays


def test_zone_b_holidays_and_school_days() -> None:
    days = {date(2025, 7, 14), date(2025, 3, 11), date(2026, 2, 23), date(2026, 2, 10)}
    assert school_holidays(days) == {
        date(2025, 7, 14): True,  # summer
        date(2025, 3, 11): False,
        date(2026, 2, 23): True,  # winter holidays, zone B: 14 February - 1 March 2026
        date(2026, 2, 10): False,
    }


def test_a_year_the_calendar_lacks_is_a_clear_error() -> None:
    with pytest.raises(UnsupportedHolidayError, match="school holidays unknown for 1950"):
        school_holidays([date(1950, 5, 2)])


def test_the_calendar_is_parsed_once() -> None:
    assert _calendar() is _calendar()
