"""Patrol candidates from the demo observatory: window facts, holidays, stations at night, school exits."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import Point
from sqlalchemy import Engine

from ols.access.audience import Audience
from ols.access.roles import Role
from ols.patrols.candidates import from_observatory
from ols.patrols.planning import parse_window
from ols.periods import parse_period
from ols.reference.places import save_places
from tests.routes.conftest import PERIOD

POLICE = Audience("test", Role.POLICE)


def test_friday_evening_candidates(api_engine: Engine) -> None:
    with api_engine.connect() as connection:
        friday = parse_window("ven 18:00-23:00")
        every = from_observatory(connection, parse_period(PERIOD), friday, POLICE)
        holidays = from_observatory(connection, parse_period(PERIOD), friday, POLICE, holidays=True)
        school = from_observatory(connection, parse_period(PERIOD), friday, POLICE, holidays=False)
    reasons = [candidate.reason for candidate in every]
    assert any("faits le vendredi 18:00-23:00" in reason for reason in reasons)
    assert any(reason.startswith("station de métro en soirée") for reason in reasons)
    assert any(reason.startswith("zone de vigilance déclarée") for reason in reasons)
    hot = lambda found: sum(c.weight for c in found if c.key.startswith("h3:"))  # noqa: E731
    assert 0 < hot(holidays) < hot(every) and 0 < hot(school) < hot(every)
    assert all("vacances" in c.reason for c in holidays if c.key.startswith("h3:"))


def test_school_exit_on_a_weekday_afternoon(api_engine: Engine) -> None:
    with api_engine.begin() as connection:
        save_places(connection, gpd.GeoDataFrame({"name": ["École Lamartine"]}, geometry=[Point(3.105, 50.642)],
                                                 crs=4326), kind="school")  # fmt: skip
        afternoon = from_observatory(connection, parse_period(PERIOD), parse_window("mar 16:00-18:00"), POLICE)
        evening = from_observatory(connection, parse_period(PERIOD), parse_window("mar 19:00-22:00"), POLICE)
    assert any(c.reason == "sortie d'école : École Lamartine" for c in afternoon)
    assert not any("sortie d'école" in c.reason for c in evening)
