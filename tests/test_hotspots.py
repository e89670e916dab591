"""Gi* against esda on the real police.uk points, FDR, the refresh and its outputs."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import h3
import numpy as np
import pytest
from esda import G_Local
from libpysal.weights import W
from shapely.geometry import box
from sqlalchemy import Engine, create_engine, text

from etl.ingest import ingest_file
from etl.mapping import load_mapping
from ols.cartography.comparison import compare
from ols.cartography.editions import edition, publish
from ols.cartography.refresh import refresh
from ols.errors import InvalidInputError
from ols.periods import parse_period
from ols.settings import CartographySettings
from tests.helpers import add_territory

CITY = (-0.115, 51.505, -0.07, 51.525)
SETTINGS = CartographySettings(hotspot_resolutions=(9, 10), zone_resolution=10, permutations=499)


@pytest.fixture(scope="module")
def london(template_url: str, server_url: str, shared: Path) -> Iterator[tuple[Engine, str, dict[str, object]]]:
    """The City of London's 2017 crimes ingested and refreshed once, in a database of their own."""
    import uuid

    from sqlalchemy.engine import make_url

    name = f"ols_hot_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE ols_test_template"))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    add_territory(engine, CITY, code="city")
    for path in sorted((shared / "incidents" / "police_uk_city_of_london").glob("*.csv")):
        ingest_file(engine, path, source_code="police-uk", mapping=load_mapping("police_uk"))
    summary = refresh(engine, parse_period("2017"), settings=SETTINGS)
    yield engine, url, summary
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def _stored(engine: Engine, resolution: int, family: str = "*") -> list[tuple[int, int, float, float, float, str]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(
            "SELECT h3, count, z, p, p_fdr, class FROM hotspot WHERE period = '2017' AND scope = 'full' "
            "AND resolution = :r AND measure = 'facts' "
            "AND family = :f ORDER BY h3"), {"r": resolution, "f": family})]  # fmt: skip


@pytest.mark.parametrize("resolution", [9, 10])
def test_z_scores_equal_esda_on_real_data(london: tuple[Engine, str, dict[str, object]], resolution: int) -> None:
    engine, _, _ = london
    rows = _stored(engine, resolution)
    cells = [h3.int_to_str(row[0]) for row in rows]
    counts = np.array([row[1] for row in rows], dtype=float)
    position = {cell: index for index, cell in enumerate(cells)}
    neighbours = {
        index: [position[other] for other in h3.grid_disk(cell, 1) if other != cell and other in position]
        for index, cell in enumerate(cells)
    }
    reference = G_Local(counts, W(neighbours, silence_warnings=True), transform="B", star=True, permutations=0)
    assert counts.sum() > 5000 and (counts == 0).any()  # real data, zero-count cells of the study area included
    np.testing.assert_allclose([row[2] for row in rows], reference.Zs, rtol=0, atol=1e-9)


def test_fdr_is_benjamini_hochberg(london: tuple[Engine, str, dict[str, object]]) -> None:
    engine, _, _ = london
    rows = _stored(engine, 10)
    p = np.array([row[3] for row in rows])
    order = np.argsort(p)
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    expected = np.empty_like(p)
    expected[order] = np.minimum(adjusted, 1)
    np.testing.assert_allclose([row[4] for row in rows], expected, rtol=1e-12)
    classes = {row[5] for row in rows}
    assert any(name.startswith("hot_") for name in classes)
    for _, _, z, _, p_fdr, name in rows:
        if name.startswith("hot_"):
            assert z > 0 and p_fdr <= int(name[-2:]) and p_fdr <= 1 - int(name[-2:]) / 100 + 1e-12


def test_refresh_summary_and_zones(london: tuple[Engine, str, dict[str, object]]) -> None:
    _, _, summary = london
    assert summary["period"] == "2017" and summary["sources"] == ["police-uk"]
    assert summary["method"]["statistic"].startswith("Getis-Ord Gi*")  # type: ignore[index]
    assert summary["method"]["fdr"] == "Benjamini-Hochberg"  # type: ignore[index]
    zones = summary["zones"]
    assert zones and all(zone["cells"] >= 1 and zone["events"] > 0 for zone in zones)  # type: ignore[union-attr]


def test_hotspots_command_outputs_every_cell(london: tuple[Engine, str, dict[str, object]]) -> None:
    engine, url, _ = london
    env = dict(os.environ, OLS_DATABASE_URL=url)
    ols = [sys.executable, "-m", "cli", "hotspots", "--period", "2017"]
    table = subprocess.run([*ols, "--format", "csv"], env=env, capture_output=True, text=True, check=True).stdout
    rows = list(csv.DictReader(io.StringIO(table)))
    assert len(rows) == len(_stored(engine, 9))
    assert {"h3", "count", "z", "p", "p_fdr", "class", "period", "method"} <= set(rows[0])
    assert any(row["count"] == "0" for row in rows)
    geojson = json.loads(subprocess.run([*ols, "--family", "property", "--resolution", "10"], env=env,
                                        capture_output=True, text=True, check=True).stdout)  # fmt: skip
    assert geojson["metadata"]["family"] == "property" and geojson["metadata"]["resolution"] == 10
    assert len(geojson["features"]) == len(_stored(engine, 10, "property"))
    assert geojson["features"][0]["geometry"]["type"] == "Polygon"
    unknown = subprocess.run([*ols, "--family", "nope"], env=env, capture_output=True, text=True, check=False)
    assert unknown.returncode == 1 and "famille inconnue" in unknown.stderr


def test_editions_are_frozen(london: tuple[Engine, str, dict[str, object]]) -> None:
    engine, _, _ = london
    period = parse_period("2017")
    with engine.begin() as connection:
        publish(connection, period, by="test")
    with engine.begin() as connection, pytest.raises(InvalidInputError, match="ne change plus"):
        publish(connection, period, by="test")
    refresh(engine, period, settings=CartographySettings(hotspot_resolutions=(9,), zone_resolution=9, permutations=99))
    with engine.connect() as connection:
        frozen = edition(connection, period)
    assert frozen["summary"]["method"]["permutations"] == 499
    assert frozen["hotspots"]["metadata"]["resolution"] == 10


def test_zone_comparison() -> None:
    def zone(code: str, *bounds: float) -> dict[str, object]:
        return {"code": code, "name": code, "geom": box(*bounds)}

    current = [zone("now-1", 0, 0, 1, 1), zone("now-2", 5, 5, 6, 6)]
    previous = [zone("before-1", 0.5, 0.5, 2, 2), zone("before-2", 9, 9, 10, 10)]
    declared = [zone("declared-1", 0, 0, 0.2, 0.2), zone("declared-2", 20, 20, 21, 21)]
    result = compare(current, previous, declared)
    assert [z["code"] for z in result["declared_not_hot"]] == ["declared-2"]
    assert [z["code"] for z in result["hot_outside_declared"]] == ["now-2"]
    assert [z["code"] for z in result["entering"]] == ["now-2"]
    assert [z["code"] for z in result["leaving"]] == ["before-2"]
