"""Issue 18: an intercommunal observatory and the sectors of its communes, loaded, given to facts and used as scope.

The CISPD of Loos, Haubourdin and Emmerin is built from the shared communes file with the ``ols``
commands, each commune cut into two synthetic sectors (:mod:`tests.territorygen`: no IRIS exist
for them), and a seeded police file spread over the three communes. Truths are read independently:
which commune and sector holds each fact by shapely point-in-polygon on the files' outlines, what a
scoped user must receive by plain SQL over the facts lying in its outline.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import h3
import mapbox_vector_tile
import pytest
import shapely
import shapely.affinity
from fastapi.testclient import TestClient
from shapely.geometry import Polygon, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from api.main import create_app
from ols import settings as ols_settings
from ols.access.audience import Audience
from ols.access.dealpoints import create as create_deal_point
from ols.access.users import create_user
from ols.cartography.grid import to_int
from ols.cartography.refresh import refresh
from ols.errors import InvalidInputError
from ols.periods import parse_period
from ols.reference.areas import Area
from ols.settings import ApiSettings, CartographySettings
from ols.store.models import Event
from tests.helpers import run_cli
from tests.routes.truth import counts, tile_of
from tests.territorygen import (
    CISPD,
    EMMERIN,
    HAUBOURDIN,
    LOOS,
    outlines,
    police_file,
    sectors_file,
    write_geojson,
)

PERIOD = "2026-S1"
OPERATOR = Audience.operator()
HAUBOURDIN_DEAL_POINT = "Parking de la mairie — point de deal de Haubourdin"


def _communes_file(shared: Path) -> Path:
    return shared / "boundaries" / "communes-59-nord.geojson"


@pytest.fixture
def cli_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Run ``ols`` commands in this process on a given database."""

    def run(url: str, *args: str) -> str:
        monkeypatch.setenv("OLS_DATABASE_URL", url)
        ols_settings.database_settings.cache_clear()
        status, out, err = run_cli(*args)
        assert status == 0, (args, out, err)
        return out

    yield run
    ols_settings.database_settings.cache_clear()


def _build(run: Any, url: str, shared: Path, folder: Path, *, count: int, seed: int) -> dict[str, BaseGeometry]:
    """The CISPD loaded with the commands, each commune's two sectors, the police file ingested; the sectors."""
    communes = _communes_file(shared)
    run(url, "territory", "load", "--code", "CISPD-LHE", "--name", "CISPD Loos–Haubourdin–Emmerin",
        "--communes", ",".join(CISPD), "--boundary", str(communes))  # fmt: skip
    sectors: dict[str, BaseGeometry] = {}
    for index, (insee, outline) in enumerate(outlines(communes).items()):
        path = folder / f"secteurs-{insee}.geojson"
        sectors |= sectors_file(path, insee, outline, seed + index)
        run(url, "territory", "load-sectors", str(path), "--commune", insee, "--name-field", "nom", "--code-field",
            "code", "--level", "secteur de police")  # fmt: skip
    police = police_file(folder / "police.csv", outlines(communes), count=count, seed=seed)
    run(url, "ingest", "--source", "police-nationale", "--mapping", "police_nationale", str(police))
    return sectors


def _facts(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(
            "SELECT ST_X(e.geom) AS lon, ST_Y(e.geom) AS lat, e.commune_insee, t.code AS territory, s.code AS sector "
            "FROM event e JOIN territory t ON t.id = e.territory_id LEFT JOIN sector s ON s.id = e.sector_id"
        )).all())  # fmt: skip


def _holder(areas: dict[str, BaseGeometry], lon: float, lat: float) -> str | None:
    found = [code for code, area in areas.items() if shapely.intersects_xy(area, lon, lat)]
    assert len(found) <= 1, (lon, lat, found)
    return found[0] if found else None


def _check_facts(engine: Engine, shared: Path, sectors: dict[str, BaseGeometry]) -> int:
    """Every fact's commune and sector against point-in-polygon on the files' outlines; how many facts."""
    communes = outlines(_communes_file(shared))
    facts = _facts(engine)
    for fact in facts:
        commune = _holder(communes, fact.lon, fact.lat)
        assert (fact.commune_insee, fact.territory) == (commune, commune), fact
        assert fact.sector == _holder(sectors, fact.lon, fact.lat), fact
    return len(facts)


def test_cispd_loads_as_one_observatory_whose_facts_carry_commune_and_sector(
    engine: Engine, database_url: str, shared: Path, tmp_path: Path, cli_on: Any
) -> None:
    sectors = _build(cli_on, database_url, shared, tmp_path, count=400, seed=18)
    with engine.connect() as connection:
        observatory = connection.execute(text("SELECT code, name, kind FROM observatory")).all()
        territories = connection.execute(
            text("SELECT code, name, insee, timezone, holiday_zone FROM territory ORDER BY code")
        ).all()
    assert [tuple(row) for row in observatory] == [("CISPD-LHE", "CISPD Loos–Haubourdin–Emmerin", "cispd")]
    assert [tuple(row) for row in territories] == [
        (EMMERIN, "Emmerin", EMMERIN, "Europe/Paris", "B"),
        (HAUBOURDIN, "Haubourdin", HAUBOURDIN, "Europe/Paris", "B"),
        (LOOS, "Loos", LOOS, "Europe/Paris", "B"),
    ]
    assert _check_facts(engine, shared, sectors) == 400
    listing = cli_on(database_url, "territory", "list")
    assert "observatoire CISPD-LHE" in listing and "CISPD" in listing
    assert listing.count("secteur de police (2) : ") == 3
    reloaded = sectors_file(tmp_path / "loos.geojson", LOOS, outlines(_communes_file(shared))[LOOS], seed=99)
    out = cli_on(database_url, "territory", "load-sectors", str(tmp_path / "loos.geojson"), "--commune", LOOS,
                 "--name-field", "nom", "--code-field", "code", "--level", "secteur de police")  # fmt: skip
    assert "aucun retiré" in out  # same codes: the sectors are kept, their outlines replaced
    assert _check_facts(engine, shared, sectors | reloaded) == 400
    west = {code: geom for code, geom in sectors.items() if code == f"{EMMERIN}-ouest"}
    write_geojson(tmp_path / "emmerin.geojson", west)
    out = cli_on(database_url, "territory", "load-sectors", str(tmp_path / "emmerin.geojson"), "--commune", EMMERIN,
                 "--name-field", "nom", "--code-field", "code", "--level", "secteur de police")  # fmt: skip
    assert "1 retiré\n" in out  # Emmerin's east sector is gone: its facts have no sector any more
    remaining = {code: geom for code, geom in (sectors | reloaded).items() if code != f"{EMMERIN}-est"}
    assert _check_facts(engine, shared, remaining) == 400
    with engine.connect() as connection:
        both = Area(communes=(LOOS,), sectors=(f"{HAUBOURDIN}-ouest",))
        stored = connection.execute(select(func.count()).where(both.facts(Event.__table__))).scalar_one()
    in_both = [f for f in _facts(engine) if f.territory == LOOS or f.sector == f"{HAUBOURDIN}-ouest"]
    assert stored == len(in_both) > 0  # an area is its communes plus its sectors


def test_one_commune_makes_a_clspd_and_a_cispd_is_not_replaced_by_a_commune_load(
    engine: Engine, database_url: str, shared: Path, cli_on: Any
) -> None:
    communes = str(_communes_file(shared))
    cli_on(database_url, "territory", "load", "--commune", LOOS, "--boundary", communes)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT code, name, kind FROM observatory")).one() == (
            LOOS, "CLSPD de Loos", "clspd")  # fmt: skip
    cli_on(database_url, "territory", "load", "--code", "CISPD-LHE", "--name", "CISPD", "--communes",
           f"{LOOS},{HAUBOURDIN}", "--boundary", communes)  # fmt: skip
    cli_on(database_url, "territory", "load", "--commune", EMMERIN, "--boundary", communes)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT code, kind FROM observatory")).all() == [("CISPD-LHE", "cispd")]
        assert connection.execute(text("SELECT count(*) FROM territory")).scalar_one() == 3


# A Loos-scoped user sees nothing of Haubourdin ---------------------------------------------------


@pytest.fixture(scope="module")
def cispd(
    template_url: str, server_url: str, shared: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, dict[str, BaseGeometry], TestClient, dict[str, str]]]:
    """The CISPD with 1 500 facts, refreshed for the period; an API client and scoped users' tokens."""
    name = f"ols_cispd_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE ols_test_template"))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    with pytest.MonkeyPatch.context() as patch:

        def run(target: str, *args: str) -> str:
            patch.setenv("OLS_DATABASE_URL", target)
            ols_settings.database_settings.cache_clear()
            status, out, err = run_cli(*args)
            assert status == 0, (args, out, err)
            return out

        sectors = _build(run, url, shared, tmp_path_factory.mktemp("cispd"), count=1500, seed=59)
    ols_settings.database_settings.cache_clear()
    communes = outlines(_communes_file(shared))
    with engine.begin() as connection:
        connection.execute(text("UPDATE territory SET population = 21000 WHERE code = :c"), {"c": LOOS})
        spot = communes[HAUBOURDIN].representative_point()
        create_deal_point(connection, OPERATOR, label=HAUBOURDIN_DEAL_POINT, lon=spot.x, lat=spot.y,
                          reported_on=parse_period(PERIOD).start)  # fmt: skip
        tokens = {
            "loos": create_user(connection, "police-loos", role="police", territories=[LOOS]),
            "loos-ouest": create_user(connection, "police-loos-ouest", role="police", sectors=[f"{LOOS}-ouest"]),
        }
    refresh(engine, parse_period(PERIOD), settings=CartographySettings(permutations=99))
    with TestClient(create_app(engine=engine, settings=ApiSettings(session_attempts_per_minute=1000))) as client:
        yield engine, sectors, client, tokens
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def _get(client: TestClient, token: str, path: str, **params: Any) -> Any:
    response = client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, (path, params, response.text[:300])
    return response.json() if "json" in response.headers.get("content-type", "") else response.content


def _inside(area: BaseGeometry) -> tuple[str, dict[str, Any]]:
    """An SQL condition keeping the facts that lie in ``area`` (the truth, independent of territory_id)."""
    return "ST_Intersects(ST_GeomFromText(:area, 4326), e.geom)", {"area": area.wkt}


def _scoped(cispd: Any, shared: Path, user: str) -> tuple[BaseGeometry, BaseGeometry]:
    """The outline a scoped user sees, and the rest of the observatory."""
    communes = outlines(_communes_file(shared))
    mine = communes[LOOS] if user == "loos" else cispd[1][f"{LOOS}-ouest"]
    return mine, shapely.union_all(list(communes.values())).difference(mine)


def _heat(cispd: Any, shared: Path, user: str, resolution: int, **extra: Any) -> dict[int, int]:
    """A scoped user's true cell counts: the facts lying in Loos, per cell; for a sector's user, in the cells whose
    centre lies in the sector only (cell counts carry no sector: a cell is its centre's)."""
    where, params = _inside(outlines(_communes_file(shared))[LOOS])
    if extra:
        where, params = f"{where} AND e.h3_r{resolution} = ANY(:cells)", params | extra
    found = counts(cispd[0], PERIOD, group=f"e.h3_r{resolution}", where=where, params=params)
    if user == "loos":
        return found
    sector = cispd[1][f"{LOOS}-ouest"]
    return {cell: count for cell, count in found.items() if sector.contains(_centre(cell))}


@pytest.mark.parametrize("user", ["loos", "loos-ouest"])
def test_a_scoped_police_user_receives_the_facts_of_its_area_only(cispd: Any, shared: Path, user: str) -> None:
    engine, _, client, tokens = cispd
    token = tokens[user]
    mine, _ = _scoped(cispd, shared, user)
    where, params = _inside(mine)
    heat = _heat(cispd, shared, user, 9)
    assert heat and sum(heat.values()) < sum(counts(engine, PERIOD, group="e.h3_r9").values())
    cells = _get(client, token, "/api/v1/heatmap/cells", period=PERIOD, resolution=9)["cells"]
    assert {int(to_int([cell])[0]): count for cell, count in cells} == heat
    events = _get(client, token, "/api/v1/events", period=PERIOD)["features"]
    assert len(events) == counts(engine, PERIOD, group="1", where=where, params=params)[1]
    assert all(shapely.intersects_xy(mine, *f["geometry"]["coordinates"]) for f in events)
    assert {f["properties"]["commune"] for f in events} == {LOOS}
    total = counts(engine, "2025", group="1", where=where, params=params)[1]
    rows = _get(client, token, "/api/v1/indicators", period="2025", by="family")["rows"]
    total_row = next(row for row in rows if row["key"] == "total")
    assert total_row["2025"] == total
    # Loos's population gives the commune's user a rate; a sector has none of its own, so no rate.
    assert total_row.get("rate_per_thousand") == (pytest.approx(total / 21, abs=0.05) if user == "loos" else None)
    timed = counts(engine, PERIOD, group="1", where=f"{where} AND e.time_precision = 'minute'", params=params)
    assert _get(client, token, "/api/v1/profiles/time", period=PERIOD)["timed"] == timed[1]
    points = _get(client, token, "/api/v1/deal-points")["features"]
    assert HAUBOURDIN_DEAL_POINT not in {f["properties"]["label"] for f in points}
    sectors = _get(client, token, "/api/v1/sectors")["features"]
    expected = {f"{LOOS}-ouest", f"{LOOS}-est"} if user == "loos" else {f"{LOOS}-ouest"}
    assert {f["properties"]["code"] for f in sectors} == expected
    assert {f["properties"]["commune"] for f in sectors} == {LOOS}


@pytest.mark.parametrize("user", ["loos", "loos-ouest"])
def test_a_scoped_police_user_gets_no_hot_cell_zone_or_tile_of_the_rest(cispd: Any, shared: Path, user: str) -> None:
    engine, _, client, tokens = cispd
    token = tokens[user]
    mine, rest = _scoped(cispd, shared, user)
    heat = {f"{cell:x}": count for cell, count in _heat(cispd, shared, user, 9).items()}
    hot = _get(client, token, "/api/v1/hotspots", period=PERIOD, resolution=9)["features"]
    assert hot
    for feature in hot:
        assert mine.contains(shape(feature["geometry"]).centroid), feature["properties"]["h3"]
        assert feature["properties"]["count"] == heat.get(feature["properties"]["h3"], 0)
    zones = _get(client, token, "/api/v1/zones", period=PERIOD)["features"]
    assert zones or user != "loos"  # the cluster on the Loos–Haubourdin border is a zone of both
    for zone in zones:
        outline, stats = shape(zone["geometry"]), zone["properties"]["stats"]
        assert outline.intersection(mine).area > 0, zone["properties"]["code"]
        assert outline.difference(mine).area < 1e-3 * outline.area  # drawn within the area (to GeoJSON's precision)
        if zone["properties"]["kind"] == "computed":
            members, resolution = _zone_cells(engine, zone["properties"]["code"])
            inside = _heat(cispd, shared, user, resolution, cells=members)
            assert stats["events"] == sum(inside.values())
            assert stats["cells"] == sum(mine.contains(_centre(cell)) for cell in members)
            assert stats["area_km2"] == pytest.approx(_km2(outline), rel=0.01)
            explained = _get(client, token, "/api/v1/explain", period=PERIOD, zone=zone["properties"]["code"])
            assert (explained["cells"], explained["count"], explained["max_z"]) == (
                stats["cells"],
                stats["events"],
                stats["max_z"],
            )
    x, y = tile_of(*mine.representative_point().coords[0], 13)
    for zone in mapbox_vector_tile.decode(_get(client, token, f"/api/v1/tiles/zones/13/{x}/{y}.mvt", period=PERIOD)
                                          ).get("zones", {}).get("features", []):  # fmt: skip
        drawn = shapely.affinity.affine_transform(shape(zone["geometry"]), _tile_to_lonlat(13, x, y))
        assert drawn.difference(mine).area < 0.02 * drawn.area, zone["properties"]["code"]
    tile = mapbox_vector_tile.decode(_get(client, token, f"/api/v1/tiles/heatmap/13/{x}/{y}.mvt", period=PERIOD,
                                          resolution=9))  # fmt: skip
    shown = {f["properties"]["h3"]: f["properties"].get("count") for f in tile.get("heatmap", {}).get("features", [])}
    assert shown and all(heat[cell] == count for cell, count in shown.items())
    assert not any(rest.contains(shape(zone["geometry"])) for zone in zones)


def _tile_to_lonlat(zoom: int, x: int, y: int) -> list[float]:
    """The affine map from a tile's MVT coordinates (0..4096, y up) to Web Mercator, then to lon/lat (near enough:
    the tile is small, so the map is taken linear over it)."""
    west, north = _lonlat(zoom, x, y)
    east, south = _lonlat(zoom, x + 1, y + 1)
    return [(east - west) / 4096, 0, 0, (north - south) / 4096, west, south]


def _lonlat(zoom: int, x: float, y: float) -> tuple[float, float]:
    n = 2**zoom
    return x / n * 360 - 180, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))


def _centre(cell: int) -> BaseGeometry:
    return Polygon([(lon, lat) for lat, lon in h3.cell_to_boundary(h3.int_to_str(cell))]).centroid


def _km2(outline: BaseGeometry) -> float:
    return float(gpd.GeoSeries([outline], crs=4326).to_crs(2154).area.iloc[0] / 1e6)


def _zone_cells(engine: Engine, code: str) -> tuple[list[int], int]:
    with engine.connect() as connection:
        row = connection.execute(text("SELECT cells, resolution FROM zone WHERE code = :c"), {"c": code}).one()
    return list(row.cells), int(row.resolution)


def test_a_sector_user_reports_deal_points_in_its_sector_only(cispd: Any) -> None:
    _, sectors, client, tokens = cispd
    headers = {"Authorization": f"Bearer {tokens['loos-ouest']}"}
    for code, status in ((f"{LOOS}-ouest", 201), (f"{LOOS}-est", 403)):
        spot = sectors[code].representative_point()
        response = client.post("/api/v1/deal-points", headers=headers, json={
            "label": f"Point de test {code}", "lon": spot.x, "lat": spot.y, "reported_on": "2026-03-01"})  # fmt: skip
        assert response.status_code == status, response.text[:300]
    labels = {f["properties"]["label"] for f in _get(client, tokens["loos-ouest"], "/api/v1/deal-points")["features"]}
    assert labels == {f"Point de test {LOOS}-ouest"}
    assert f"Point de test {LOOS}-ouest" in {
        f["properties"]["label"] for f in _get(client, tokens["loos"], "/api/v1/deal-points")["features"]
    }


@pytest.mark.parametrize("user", ["loos", "loos-ouest"])
def test_explaining_a_cell_of_the_rest_tells_a_scoped_user_nothing(cispd: Any, shared: Path, user: str) -> None:
    engine, _, client, tokens = cispd
    _, rest = _scoped(cispd, shared, user)
    with engine.connect() as connection:
        busiest = connection.execute(text(
            "SELECT to_hex(h3_r9) FROM event e WHERE ST_Intersects(ST_GeomFromText(:rest, 4326), e.geom) "
            "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"), {"rest": rest.wkt}).scalar_one()  # fmt: skip
    response = client.get("/api/v1/explain", params={"period": PERIOD, "cell": busiest},
                          headers={"Authorization": f"Bearer {tokens[user]}"})  # fmt: skip
    assert response.status_code == 404, response.text[:300]
    assert "hors du territoire" in response.json()["detail"]


# Lille: quartiers and IRIS ------------------------------------------------------------------------

LILLE = "59350"


def test_lille_quartiers_and_iris_as_two_levels(
    engine: Engine, database_url: str, shared: Path, tmp_path: Path, cli_on: Any
) -> None:
    folder = shared / "boundaries" / "sectors"
    communes = _communes_file(shared)
    cli_on(database_url, "territory", "load", "--commune", LILLE, "--boundary", str(communes))
    cli_on(database_url, "territory", "load-sectors", str(folder / "lille_quartiers.geojson"), "--commune", LILLE,
           "--name-field", "quartier", "--level", "quartier", "--associated-field", "commune")  # fmt: skip
    cli_on(
        database_url,
        "territory",
        "load-sectors",
        str(folder / "iris_59350.geojson"),
        "--commune",
        LILLE,
        "--name-field",
        "nom_iris",
        "--code-field",
        "code_iris",
        "--level",
        "IRIS",
        "--within",
        "quartier",
    )
    with engine.connect() as connection:
        levels = dict(connection.execute(text("SELECT level, count(*) FROM sector GROUP BY level")).all())
        associated = set(connection.execute(text("SELECT name FROM sector WHERE level = 'commune associée'")).scalars())
        orphans = connection.execute(text("SELECT count(*) FROM sector WHERE level = 'IRIS' AND parent_id IS NULL"))
        assert orphans.scalar_one() == 0
    assert levels == {"quartier": 10, "commune associée": 2, "IRIS": 110}
    assert associated == {"Lomme", "Hellemmes"}
    listing = cli_on(database_url, "territory", "list")
    assert "observatoire 59350\tCLSPD de Lille\tCLSPD" in listing
    assert "\tcommune associée (2) : 59350-hellemmes, 59350-lomme\n" in listing
    assert "\tIRIS (110) : 593500101, " in listing and ", …\n" in listing
    outline = outlines_of(communes, LILLE)
    from tests.helpers import police_nationale_csv

    police = police_nationale_csv(tmp_path / "lille.csv", outline, count=1200, seed=59350)
    cli_on(database_url, "ingest", "--source", "police-nationale", "--mapping", "police_nationale", str(police))
    quartiers = gpd.read_file(folder / "lille_quartiers.geojson")
    iris = gpd.read_file(folder / "iris_59350.geojson")
    by_quartier = dict(zip(quartiers["quartier"], quartiers.geometry, strict=True))
    by_iris = dict(zip(iris["code_iris"], iris.geometry, strict=True))
    with engine.connect() as connection:
        facts = connection.execute(text(
            "SELECT ST_X(e.geom), ST_Y(e.geom), s.code, s.name, s.level, p.name FROM event e LEFT JOIN sector s "
            "ON s.id = e.sector_id LEFT JOIN sector p ON p.id = s.parent_id")).all()  # fmt: skip
    # The IRIS's quartier, independently: the quartier it overlaps most (the product uses its representative point).
    home = {code: max(by_quartier, key=lambda name: by_quartier[name].intersection(geom).area)
            for code, geom in by_iris.items()}  # fmt: skip
    with engine.connect() as connection:
        parents = dict(
            connection.execute(
                text("SELECT s.code, p.name FROM sector s JOIN sector p ON p.id = s.parent_id WHERE s.level = 'IRIS'")
            ).all()
        )
    assert parents == home
    disagree = 0
    for lon, lat, code, name, level, parent in facts:
        in_iris, in_quartier = _holder(by_iris, lon, lat), _holder(by_quartier, lon, lat)
        if in_iris is None:
            top = "commune associée" if in_quartier in ("Lomme", "Hellemmes") else "quartier"
            expected = (in_quartier, top, None) if in_quartier else (None, None, None)
            assert (name, level, parent) == expected, (lon, lat)
            continue
        assert (code, level, parent) == (in_iris, "IRIS", home[in_iris])
        # The two files are digitised apart: a fact in an IRIS's sliver beyond its quartier keeps its IRIS's.
        disagree += parent != in_quartier
    assert len(facts) == 1200
    assert disagree < 0.02 * len(facts)


def outlines_of(communes: Path, insee: str) -> BaseGeometry:
    """One commune's outline."""
    from ols.reference.territories import read_boundary

    return read_boundary(communes, commune=insee).geom


def test_area_parses_labels_and_refuses_in_french(engine: Engine, database_url: str, shared: Path,
                                                 cli_on: Any) -> None:  # fmt: skip
    folder = shared / "boundaries" / "sectors"
    cli_on(database_url, "territory", "load", "--commune", LILLE, "--boundary", str(_communes_file(shared)))
    cli_on(database_url, "territory", "load-sectors", str(folder / "lille_quartiers.geojson"), "--commune", LILLE,
           "--name-field", "quartier", "--level", "quartier", "--associated-field", "commune")  # fmt: skip
    with engine.connect() as connection:
        assert Area.parse(connection, LILLE).label(connection) == "Lille"
        wazemmes = Area.parse(connection, "59350", "59350-wazemmes")
        assert wazemmes == Area(sectors=("59350-wazemmes",))
        assert wazemmes.label(connection) == "quartier Wazemmes (Lille)"
        assert Area().label(connection) == "CLSPD de Lille"
        assert Area.parse(connection, None, "59350-lomme").label(connection) == "commune associée Lomme (Lille)"
        geometry = wazemmes.geometry(connection)
        assert geometry is not None and 0.5e-4 < geometry.area < 5e-4
        for commune, sector in (("59999", None), (None, "nulle-part"), (LOOS, None)):
            with pytest.raises(InvalidInputError, match="inconnu"):
                Area.parse(connection, commune, sector)
        assert Area(communes=(LILLE,)).covers(wazemmes, connection)
        assert not wazemmes.covers(Area(communes=(LILLE,)), connection)


def test_users_are_tied_to_sectors_that_exist(engine: Engine, database_url: str, shared: Path, cli_on: Any) -> None:
    folder = shared / "boundaries" / "sectors"
    cli_on(database_url, "territory", "load", "--commune", LILLE, "--boundary", str(_communes_file(shared)))
    cli_on(database_url, "territory", "load-sectors", str(folder / "lille_quartiers.geojson"), "--commune", LILLE,
           "--name-field", "quartier", "--level", "quartier", "--associated-field", "commune")  # fmt: skip
    token = cli_on(database_url, "users", "add", "police-wazemmes", "--role", "police", "--sector", "59350-wazemmes")
    assert token.startswith("ols_")
    with engine.begin() as connection:
        assert connection.execute(text("SELECT sectors FROM app_user WHERE name = 'police-wazemmes'")).scalar_one() == [
            "59350-wazemmes"
        ]
        with pytest.raises(InvalidInputError, match="secteur inconnu"):
            create_user(connection, "x", role="police", sectors=["59350-nulle-part"])
        with pytest.raises(InvalidInputError, match="déjà compris"):
            create_user(connection, "y", role="police", territories=[LILLE], sectors=["59350-wazemmes"])
