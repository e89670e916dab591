"""The territory's calendar: its timezone and school-holiday zone come from its INSEE code (or the options of
``ols territory load``), and every reader of local dates takes the observatory's, never a hard-coded one."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from alembic import command
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Engine, text

from etl.ingest import ingest_file
from etl.mapping import load_mapping
from ols.access.audience import Audience
from ols.access.events import raw_events
from ols.analysis.indicators import local_evolution
from ols.analysis.profiles import time_profile
from ols.errors import ConfigurationError, InvalidInputError, UnsupportedHolidayError
from ols.holidays import school_holidays
from ols.patrols.candidates import from_observatory
from ols.patrols.planning import parse_window
from ols.periods import parse_period
from ols.publishing.reports import write_report
from ols.reference.calendar import (
    ACADEMY_DEPARTMENTS,
    OVERSEAS,
    Calendar,
    calendar_for,
    calendar_of,
    stated_calendar,
)
from ols.reference.territories import Boundary, save_territory
from ols.store import db
from tests.helpers import write_csv

OPERATOR = Audience.operator()
PARIS = (2.25, 48.81, 2.42, 48.90)
LILLE = (3.00, 50.60, 3.12, 50.66)
SAINT_DENIS = (55.40, -20.95, 55.50, -20.87)
MAPPING = {  # no timezone: the partner's local times are the territory's
    "name": "test_calendar",
    "format": "csv",
    "csv": {"delimiter": ";"},
    "ref": "ref",
    "label": "nature",
    "date": {"column": "date", "formats": ["%d/%m/%Y"], "time_column": "heure"},
    "location": {"type": "lonlat", "lon": "lon", "lat": "lat"},
    "categories": {"Tags": "graffiti"},
}


@pytest.mark.parametrize(
    ("insee", "timezone", "zone"),
    [
        ("59350", "Europe/Paris", "B"),  # Lille
        ("53130", "Europe/Paris", "B"),  # Laval
        ("75056", "Europe/Paris", "C"),  # Paris
        ("13055", "Europe/Paris", "B"),  # Marseille
        ("69123", "Europe/Paris", "A"),  # Lyon
        ("31555", "Europe/Paris", "C"),  # Toulouse
        ("2A004", "Europe/Paris", "Corse"),  # Ajaccio
        ("97411", "Indian/Reunion", "Réunion"),  # Saint-Denis
        ("97105", "America/Guadeloupe", "Guadeloupe"),  # Basse-Terre
        ("97209", "America/Martinique", "Martinique"),  # Fort-de-France
        ("97302", "America/Cayenne", "Guyane"),  # Cayenne
        ("97611", "Indian/Mayotte", "Mayotte"),  # Mamoudzou
    ],
)
def test_the_calendar_follows_the_insee_code(insee: str, timezone: str, zone: str) -> None:
    assert calendar_for(insee) == Calendar(timezone, zone)


def test_every_metropolitan_department_has_one_academie() -> None:
    departments = [d for found in ACADEMY_DEPARTMENTS.values() for d in found]
    expected = {f"{n:02d}" for n in range(1, 96) if n != 20} | {"2A", "2B"}
    assert sorted(departments) == sorted(expected)  # each once


@pytest.mark.parametrize("insee", ["99123", "20004", "ABCDE", "5935", "97999"])
def test_an_unknown_department_is_refused(insee: str) -> None:
    with pytest.raises(InvalidInputError, match=f"code INSEE {insee}"):
        calendar_for(insee)


def test_a_calendar_checks_its_values() -> None:
    with pytest.raises(InvalidInputError, match="fuseau horaire inconnu : Europe/Lile"):
        Calendar("Europe/Lile", "B")
    with pytest.raises(InvalidInputError, match="zone de vacances scolaires inconnue : D"):
        Calendar("Europe/Paris", "D")
    assert stated_calendar(None) is None
    assert stated_calendar(None, holiday_zone="C") == Calendar("Europe/Paris", "C")
    assert stated_calendar("97411", holiday_zone="B") == Calendar("Indian/Reunion", "B")
    typed = stated_calendar(None, timezone="Indian/Reunion", holiday_zone=" reunion")
    assert typed == Calendar("Indian/Reunion", "Réunion")
    assert stated_calendar("75056", holiday_zone="b") == Calendar("Europe/Paris", "B")


def _territory(engine: Engine, code: str, bounds: tuple[float, ...], insee: str | None, **calendar: str) -> None:
    with engine.begin() as connection:
        save_territory(connection, code=code, name=code, boundary=Boundary(MultiPolygon([box(*bounds)]), insee=insee),
                       source="test", calendar=stated_calendar(insee, **calendar))  # fmt: skip


def _ingest(engine: Engine, tmp_path: Path, bounds: tuple[float, ...], *moments: str) -> None:
    """One graffiti fact at each local 'dd/mm/yyyy hh:mm', at the centre of ``bounds``."""
    lon, lat = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    rows = [{"ref": f"R{i}", "nature": "Tags", "date": moment[:10], "heure": moment[11:], "lon": str(lon),
             "lat": str(lat)} for i, moment in enumerate(moments)]  # fmt: skip
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(yaml.safe_dump(MAPPING, allow_unicode=True), encoding="utf-8")
    path = write_csv(tmp_path / "faits.csv", rows, sep=";")
    report = ingest_file(engine, path, source_code="police-municipale", mapping=load_mapping(mapping))
    assert report.accepted == len(moments), report.rejected_by_reason


def _holiday_split(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        profile = time_profile(connection, parse_period("2026-03"), OPERATOR)
    split = profile["school_holidays"]
    return sum(map(sum, split["vacances"])), sum(map(sum, split["periode_scolaire"]))


def test_paris_takes_its_holidays_from_zone_c(engine: Engine, tmp_path: Path) -> None:
    _territory(engine, "75056", PARIS, "75056")
    _ingest(engine, tmp_path, PARIS, "04/03/2026 20:15")  # zone C's winter holidays; zone B is back at school
    with engine.connect() as connection:
        assert calendar_of(connection) == Calendar("Europe/Paris", "C")
        assert time_profile(connection, parse_period("2026-03"), OPERATOR)["holiday_zone"] == "C"
    assert _holiday_split(engine) == (1, 0)


def test_lille_takes_its_holidays_from_zone_b(engine: Engine, tmp_path: Path) -> None:
    _territory(engine, "59350", LILLE, "59350")
    _ingest(engine, tmp_path, LILLE, "04/03/2026 20:15")
    assert _holiday_split(engine) == (0, 1)


def test_reunion_reads_its_own_local_time(engine: Engine, tmp_path: Path) -> None:
    _territory(engine, "97411", SAINT_DENIS, "97411")
    _ingest(engine, tmp_path, SAINT_DENIS, "01/01/2026 01:30")  # 31 December 2025 in Paris
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT occurred_at FROM event")).scalar_one()
        assert stored == datetime(2025, 12, 31, 21, 30, tzinfo=UTC)
        events = raw_events(connection, OPERATOR, period=parse_period("2026-01"))
        assert len(events["features"]) == 1
        evolution = local_evolution(connection, parse_period("2026"), OPERATOR)
        assert evolution.set_index("key").loc["total", "2026"] == 1
        html = write_report(connection, "weekly", "2026-W01", OPERATOR, tmp_path / "rapport")[0]
        assert "heure locale (Indian/Reunion)" in html.read_text(encoding="utf-8")
        profile = time_profile(connection, parse_period("2026-01"), OPERATOR)
        assert profile["timed"] == 1 and profile["grid"][3][1] == 1  # Thursday 1 January, 01:00 in Saint-Denis
        assert profile["school_holidays"] is None
        assert "vacances scolaires inconnues pour la zone Réunion" in profile["school_holidays_note"]
        with pytest.raises(UnsupportedHolidayError, match="zone Réunion"):
            from_observatory(connection, parse_period("2026-01"), parse_window("jeu 01:00-02:00"),
                             Audience.of("p", "police"), holidays=True)  # fmt: skip


def test_territories_share_one_calendar(engine: Engine) -> None:
    with engine.connect() as connection, pytest.raises(ConfigurationError, match="aucun territoire"):
        calendar_of(connection)
    _territory(engine, "quartier", LILLE, None)
    with engine.connect() as connection:
        assert calendar_of(connection) == Calendar("Europe/Paris", None)  # alone, with nothing stated
    _territory(engine, "59350", LILLE, "59350")
    with engine.connect() as connection:
        assert calendar_of(connection) == Calendar("Europe/Paris", "B")  # the outline follows the commune
    _territory(engine, "75056", PARIS, "75056")
    with engine.connect() as connection, pytest.raises(ConfigurationError, match="B, C"):
        calendar_of(connection)
    _territory(engine, "75056", PARIS, "75056", holiday_zone="B")
    with engine.connect() as connection:
        assert calendar_of(connection) == Calendar("Europe/Paris", "B")


def test_holidays_without_a_zone_are_a_clear_error(engine: Engine, tmp_path: Path) -> None:
    _territory(engine, "quartier", LILLE, None)
    _ingest(engine, tmp_path, LILLE, "04/03/2026 20:15")
    with engine.connect() as connection:
        profile = time_profile(connection, parse_period("2026-03"), OPERATOR)
    assert profile["timed"] == 1 and profile["school_holidays"] is None
    assert "--holiday-zone" in profile["school_holidays_note"]
    with engine.connect() as connection, pytest.raises(UnsupportedHolidayError, match="--holiday-zone"):
        from_observatory(connection, parse_period("2026-03"), parse_window("mer 20:00-21:00"),
                         Audience.of("p", "police"), holidays=False)  # fmt: skip


def _ols(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, OLS_DATABASE_URL=database_url)
    return subprocess.run([sys.executable, "-m", "cli", *args], env=env, capture_output=True, text=True, check=False)


def _stored(engine: Engine, code: str) -> tuple[str | None, str | None]:
    with engine.connect() as connection:
        row = connection.execute(text("SELECT timezone, holiday_zone FROM territory WHERE code = :c"), {"c": code})
        return tuple(row.one())  # type: ignore[return-value]


def test_territory_load_fills_the_calendar(engine: Engine, database_url: str, shared: Path, tmp_path: Path) -> None:
    communes = shared / "boundaries" / "communes-59-nord.geojson"
    done = _ols(database_url, "territory", "load", "--boundary", str(communes), "--commune", "59350")
    assert done.returncode == 0, done.stderr
    assert "Europe/Paris" in done.stdout and "zone B" in done.stdout
    assert _stored(engine, "59350") == ("Europe/Paris", "B")
    outline = tmp_path / "outline.geojson"
    outline.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": '
                       '{"type": "Polygon", "coordinates": [[[55.4, -20.9], [55.5, -20.9], [55.5, -20.8], '
                       '[55.4, -20.9]]]}}]}', encoding="utf-8")  # fmt: skip
    done = _ols(database_url, "territory", "load", "--boundary", str(outline), "--code", "cispd", "--name", "CISPD",
                "--timezone", "Indian/Reunion", "--holiday-zone", "Réunion")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _stored(engine, "cispd") == ("Indian/Reunion", "Réunion")
    done = _ols(database_url, "territory", "load", "--boundary", str(outline), "--code", "x", "--name", "X",
                "--timezone", "Europe/Lile")  # fmt: skip
    assert done.returncode == 1 and "fuseau horaire inconnu : Europe/Lile" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_migration_fills_existing_territories(engine: Engine, database_url: str) -> None:
    config = db.alembic_config(database_url)
    command.downgrade(config, "0008")
    with engine.begin() as connection:
        for code, insee in (("paris", "75056"), ("reunion", "97411"), ("outline", None), ("odd", "99999")):
            connection.execute(text("INSERT INTO territory (code, name, insee, geom) VALUES (:c, :n, :i, "
                                    "ST_Multi(ST_MakeEnvelope(0, 0, 1, 1, 4326)))"),
                               {"c": code, "n": code, "i": insee})  # fmt: skip
    command.upgrade(config, "head")
    assert _stored(engine, "paris") == ("Europe/Paris", "C")
    assert _stored(engine, "reunion") == ("Indian/Reunion", "Réunion")
    assert _stored(engine, "outline") == (None, None)
    assert _stored(engine, "odd") == (None, None)


def test_postgresql_knows_every_timezone(engine: Engine) -> None:
    with engine.connect() as connection:
        known = set(connection.execute(text("SELECT name FROM pg_timezone_names")).scalars())
    assert {"Europe/Paris", *(timezone for timezone, _ in OVERSEAS.values())} <= known


def test_the_holiday_split_is_a_known_date() -> None:
    assert school_holidays([date(2026, 3, 4)], "C") == {date(2026, 3, 4): True}
    assert school_holidays([date(2026, 3, 4)], "B") == {date(2026, 3, 4): False}
