"""Patrol plans stay in their commune: the CISPD Loos–Haubourdin–Emmerin from the real communes file.

The finding: on a CISPD, one police-municipale foot team starting at Haubourdin's town hall was routed
Haubourdin → Loos → Emmerin (15.8 km), since the candidates came from every commune of the
observatory. A plan is now for the start's commune (or the one named); a brigade intercommunale names
its communes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine

from etl.ingest import ingest_file
from etl.mapping import load_mapping
from ols.access.audience import Audience
from ols.errors import InvalidInputError, NotFoundError
from ols.patrols.planning import Plan
from ols.patrols.service import ShiftRequest, plan_shift
from ols.reference.places import save_places
from ols.reference.territories import read_boundary, save_territory
from ols.settings import database_settings
from tests.helpers import police_nationale_csv, run_cli

LHE = {"59360": "Loos", "59286": "Haubourdin", "59193": "Emmerin"}
POLICE = Audience.operator()


def _bus_stops(outline: BaseGeometry, insee: str) -> list[tuple[str, Point]]:
    """Six stops on a grid across the commune (inside its outline), named after it."""
    west, south, east, north = outline.bounds
    grid = [Point(west + (east - west) * i / 4, south + (north - south) * j / 4) for i in (1, 2, 3) for j in (1, 3)]
    inside = [point for point in grid if outline.contains(point)] or [outline.representative_point()]
    return [(f"Arrêt {LHE[insee]} {index}", point) for index, point in enumerate(inside, start=1)]


@pytest.fixture
def cispd(engine: Engine, shared: Path, tmp_path: Path) -> Iterator[tuple[Engine, dict[str, BaseGeometry]]]:
    """The three communes as territories, a town hall and bus stops in each, 500 police facts per commune."""
    communes = shared / "boundaries" / "communes-59-nord.geojson"
    outlines: dict[str, BaseGeometry] = {}
    names, points, kinds = [], [], []
    for insee, town in LHE.items():
        boundary = read_boundary(communes, commune=insee)
        outlines[insee] = boundary.geom
        with engine.begin() as connection:
            save_territory(connection, code=insee, name=boundary.name or insee, boundary=boundary, source=communes.name)
        for name, point in [(f"Hôtel de ville de {town}", boundary.geom.representative_point()),
                            *_bus_stops(boundary.geom, insee)]:  # fmt: skip
            names.append(name)
            points.append(point)
            kinds.append("town_hall" if name.startswith("Hôtel") else "bus_stop")
        path = police_nationale_csv(tmp_path / f"{insee}.csv", boundary.geom, count=500, seed=int(insee))
        ingest_file(engine, path, source_code="police-nationale", mapping=load_mapping("police_nationale"))
    with engine.begin() as connection:
        save_places(connection, gpd.GeoDataFrame({"name": names, "kind": kinds}, geometry=points, crs=4326),
                    kind_field="kind")  # fmt: skip
    yield engine, outlines


def _communes_of(result: Plan, outlines: dict[str, BaseGeometry]) -> list[str]:
    """The commune of each stop, in route order."""
    stops = [Point(stop.candidate.lon, stop.candidate.lat) for route in result.routes for stop in route.stops]
    return [next(insee for insee, outline in outlines.items() if outline.covers(point)) for point in stops]


def _plan(engine: Engine, communes: list[str] | None, start: str = "Hôtel de ville de Haubourdin") -> Plan:
    request = ShiftRequest(window="ven 18:00-23:00", start=start, period="2026-S1", teams=1, stops=8, seed=3,
                           communes=communes)  # fmt: skip
    with engine.begin() as connection:
        return plan_shift(connection, request, POLICE).plan


def test_a_foot_team_stays_in_the_commune_it_starts_from(cispd: tuple[Engine, dict[str, BaseGeometry]]) -> None:
    engine, outlines = cispd
    everywhere = _plan(engine, list(LHE))  # what a plan over the whole CISPD did: three communes, kilometres
    assert set(_communes_of(everywhere, outlines)) == set(LHE)
    assert everywhere.routes[0].distance_m > 8_000
    communal = _plan(engine, None)
    assert set(_communes_of(communal, outlines)) == {"59286"} and len(communal.routes[0].stops) >= 3
    assert communal.routes[0].distance_m < everywhere.routes[0].distance_m / 2
    assert "plan limité à Haubourdin (59286)" in communal.notes
    assert set(_communes_of(_plan(engine, ["59360"]), outlines)) == {"59360"}  # a commune named, not the start's


def test_a_brigade_intercommunale_patrols_its_communes_only(cispd: tuple[Engine, dict[str, BaseGeometry]]) -> None:
    engine, outlines = cispd
    brigade = _plan(engine, ["59360", "59286"])
    assert set(_communes_of(brigade, outlines)) == {"59360", "59286"}
    assert "plan limité à Loos (59360), Haubourdin (59286)" in brigade.notes


def test_a_commune_the_observatory_lacks_or_a_start_outside_every_commune_is_refused(
    cispd: tuple[Engine, dict[str, BaseGeometry]],
) -> None:
    engine, outlines = cispd
    with pytest.raises(NotFoundError, match=r"commune inconnue de l'observatoire : 59350 ; communes chargées : .*Loos"):
        _plan(engine, ["59350"])
    outside = shapely.union_all(list(outlines.values())).bounds
    with pytest.raises(InvalidInputError, match="--commune INSEE"):
        _plan(engine, None, start=f"{outside[0] - 0.05},{outside[1] - 0.05}")


def test_cli_takes_the_commune_or_the_brigade(
    cispd: tuple[Engine, dict[str, BaseGeometry]], database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLS_DATABASE_URL", database_url)
    database_settings.cache_clear()
    base = ["patrol", "plan", "--window", "ven 18:00-23:00", "--period", "2026-S1", "--teams", "1", "--stops", "5",
            "--start", "Hôtel de ville de Loos", "--seed", "4", "--out", str(tmp_path / "plan.geojson")]  # fmt: skip
    try:
        status, out, err = run_cli(*base, "--communes", "59360,59193")
        assert status == 0, err
        assert "plan limité à Loos (59360), Emmerin (59193)" in out
        status, out, err = run_cli(*base)
        assert status == 0, err
        assert "plan limité à Loos (59360)" in out and "Emmerin" not in out
        status, _, err = run_cli(*base, "--commune", "59360", "--communes", "59360,59193")
        assert status != 0 and "soit --commune" in err
    finally:
        database_settings.cache_clear()
