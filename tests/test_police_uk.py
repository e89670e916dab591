"""The real police.uk files through the shipped police.uk mapping: every row accounted for."""

from __future__ import annotations

from pathlib import Path

import h3
import pandas as pd
import pytest
import shapely
from sqlalchemy import Engine, text

from etl.ingest import ingest_file
from etl.mapping import builtin_mappings, load_mapping
from ols.reference.territories import Boundary, save_territory
from tests.helpers import count


@pytest.fixture
def london(engine: Engine, shared: Path) -> list[Path]:
    """The 12 monthly files, and a territory drawn around their points."""
    files = sorted((shared / "incidents" / "police_uk_city_of_london").glob("*.csv"))
    points = pd.concat(pd.read_csv(path) for path in files).dropna(subset=["Longitude"])
    hull = shapely.MultiPoint(points[["Longitude", "Latitude"]].to_numpy()).convex_hull.buffer(0.001)
    with engine.begin() as connection:
        save_territory(
            connection,
            code="city",
            name="City of London",
            boundary=Boundary(shapely.MultiPolygon([hull])),
            source="test",
        )
    return files


def test_mapping_is_shipped_under_a_police_uk_name() -> None:
    names = [name for name in builtin_mappings() if "police" in name and "uk" in name]
    assert names == ["police_uk"]


def test_every_row_is_an_event_a_duplicate_or_rejected(engine: Engine, london: list[Path]) -> None:
    mapping = load_mapping("police_uk")
    reports = [ingest_file(engine, path, source_code="police-uk", mapping=mapping) for path in london]
    raw_rows = sum(len(pd.read_csv(path)) for path in london)
    no_coordinates = sum(pd.read_csv(path)["Longitude"].isna().sum() for path in london)

    assert sum(r.rows_read for r in reports) == raw_rows == 7312
    for report in reports:
        assert report.accepted + report.duplicates + report.rejected == report.rows_read
        assert set(report.rejected_by_reason) <= {"missing_coordinates"}
    assert sum(r.rejected for r in reports) == no_coordinates == 388
    assert sum(r.duplicates for r in reports) == 2  # two Crime IDs are published twice
    assert count(engine, "event") == sum(r.accepted for r in reports)
    assert count(engine, "rejected_row") == 388
    with engine.connect() as connection:
        reasons = connection.execute(text("SELECT DISTINCT reason, column_name FROM rejected_row")).all()
    assert reasons == [("missing_coordinates", "Longitude")]


def test_second_ingest_adds_nothing(engine: Engine, london: list[Path]) -> None:
    mapping = load_mapping("police_uk")
    first = [ingest_file(engine, path, source_code="police-uk", mapping=mapping) for path in london]
    before = (count(engine, "event"), count(engine, "batch"), count(engine, "rejected_row"))
    again = [ingest_file(engine, path, source_code="police-uk", mapping=mapping) for path in london]
    assert (count(engine, "event"), count(engine, "batch"), count(engine, "rejected_row")) == before
    assert all(report.already_ingested and report.accepted == 0 for report in again)
    assert [r.batch_id for r in again] == [r.batch_id for r in first]
    assert sum(r.duplicates for r in again) == sum(r.accepted + r.duplicates for r in first)


def test_events_carry_month_precision_street_location_and_h3_cells(engine: Engine, london: list[Path]) -> None:
    ingest_file(engine, london[0], source_code="police-uk", mapping=load_mapping("police_uk"))
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT ST_X(geom), ST_Y(geom), h3_r8, h3_r9, h3_r10, time_precision, location_precision, "
                "to_char(occurred_at AT TIME ZONE 'Europe/London', 'YYYY-MM-DD HH24:MI'), attributes "
                "FROM event ORDER BY line LIMIT 50"
            )
        ).all()
    for lon, lat, r8, r9, r10, time_precision, location_precision, local, attributes in rows:
        assert h3.str_to_int(h3.latlng_to_cell(lat, lon, 10)) == r10
        assert h3.str_to_int(h3.latlng_to_cell(lat, lon, 9)) == r9
        assert h3.str_to_int(h3.latlng_to_cell(lat, lon, 8)) == r8
        assert (time_precision, location_precision, local) == ("month", "street", "2017-01-01 00:00")
        assert set(attributes) == {"Location", "LSOA code", "LSOA name", "Last outcome category"}
