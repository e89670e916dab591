"""The period parser and its comparisons."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ols.periods import InvalidPeriod, parse_period, semesters_until, week


@pytest.mark.parametrize(
    ("text", "start", "end", "kind"),
    [
        ("2024-S1", date(2024, 1, 1), date(2024, 7, 1), "semester"),
        ("2024-s2", date(2024, 7, 1), date(2025, 1, 1), "semester"),
        ("2024-11", date(2024, 11, 1), date(2024, 12, 1), "month"),
        ("2024-12", date(2024, 12, 1), date(2025, 1, 1), "month"),
        ("2024-W48", date(2024, 11, 25), date(2024, 12, 2), "week"),
        ("2020-W53", date(2020, 12, 28), date(2021, 1, 4), "week"),
        ("2024", date(2024, 1, 1), date(2025, 1, 1), "year"),
        ("2024-YTD11", date(2024, 1, 1), date(2024, 12, 1), "ytd"),
        ("2024-01-15..2024-02-14", date(2024, 1, 15), date(2024, 2, 15), "range"),
    ],
)
def test_forms(text: str, start: date, end: date, kind: str) -> None:
    period = parse_period(text)
    assert (period.start, period.end, period.kind) == (start, end, kind)


@pytest.mark.parametrize(
    "text",
    [
        "2024-S3",
        "2024-13",
        "2021-W53",
        "24-S1",
        "2024-02-30..2024-03-01",
        "hier",
        "2024-03-01..2024-02-01",
        "2024-YTD13",
    ],
)
def test_bad_periods_say_what_is_accepted(text: str) -> None:
    with pytest.raises(InvalidPeriod, match="formes acceptées"):
        parse_period(text)


def test_comparisons() -> None:
    assert parse_period("2024-S1").previous().name == "2023-S2"
    assert parse_period("2024-S2").previous().name == "2024-S1"
    assert parse_period("2024-01").previous().name == "2023-12"
    assert parse_period("2024-W01").previous().name == "2023-W52"
    assert parse_period("2024-W48").last_year().name == "2023-W48"
    assert parse_period("2020-W53").last_year().name == "2019-W52"
    assert parse_period("2024-YTD11").last_year().name == "2023-YTD11"
    assert parse_period("2024-S2").last_year().name == "2023-S2"
    assert [p.name for p in semesters_until(parse_period("2024-S2"), 4)] == ["2023-S1", "2023-S2", "2024-S1", "2024-S2"]
    assert parse_period("2024-S2").label == "2e semestre 2024"
    assert parse_period("2024-YTD11").label == "11 premiers mois de 2024"


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_weeks_and_months_tile_time(day: date) -> None:
    current = week(day)
    assert current.start <= day < current.end
    assert parse_period(current.name) == current
    assert current.previous().end == current.start
    month = parse_period(f"{day:%Y-%m}")
    assert month.previous().end == month.start
