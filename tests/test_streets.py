"""Street networks read from the files territories have (BD TOPO, OSM PBF, OSMnx GraphML), loaded and tiled.

The files are written by the tests (:mod:`tests.streetfiles`), except the shared OSMnx graph.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import mapbox_vector_tile
import pytest
from sqlalchemy import Engine, text

from ols.cartography.tiles import streets_tile
from ols.reference.streetfiles import direction_of, highway_class
from ols.reference.streets import load_streets, read_edges
from tests.routes.truth import tile_of
from tests.streetfiles import write_bdtopo, write_pbf

# The BD TOPO fixture's south-west and north-east corners (Lambert-93 705 000, 7 060 000 + 200 m × 150 m), in WGS84.
CORNER, FAR_CORNER = (3.07056, 50.63694), (3.07338, 50.63829)


@pytest.mark.parametrize("lower", [False, True])
def test_bdtopo_troncons(tmp_path: Path, lower: bool) -> None:
    """TRONCON_DE_ROUTE: SENS gives the directions (Sens inverse runs against the line), NATURE and IMPORTANCE the
    class, NOM_1_GAUCHE the name (NOM_1_DROITE when the left side has none), whatever the columns' case; the
    layer is found among BD TOPO's others."""
    edges = read_edges(write_bdtopo(tmp_path / "bdtopo.gpkg", lower=lower))
    by_name = {(edge.name, edge.oneway, edge.highway) for edge in edges}
    assert by_name == {("Rue de la Gare", False, "residential"), ("Avenue Foch", True, "primary"),
                       ("Rue Basse", True, "tertiary"), ("Sentier des Prés", False, "path")}  # fmt: skip
    assert len(edges) == 6  # two two-way segments both ways, two one-way segments once
    basse = next(edge for edge in edges if edge.name == "Rue Basse")
    assert basse.geom.coords[0][0] < basse.geom.coords[-1][0]  # drawn east to west, driven west to east
    foch = next(edge for edge in edges if edge.name == "Avenue Foch")
    assert foch.geom.coords[0][1] < foch.geom.coords[-1][1] and 140 < foch.length_m < 160
    assert {edge.u for edge in edges} | {edge.v for edge in edges} == {0, 1, 2, 3}  # the four corners meet


@pytest.mark.parametrize(
    ("value", "direction"),
    [("Double sens", "both"), ("Sens direct", "forward"), ("Sens inverse", "backward"), ("Sans objet", "both"),
     ("F", "forward"), ("T", "backward"), ("B", "both"), ("-1", "backward"), ("no", "both"), (None, "both"),
     ('"junction"=>"roundabout","lanes"=>"2"', "forward"), ('"oneway"=>"-1"', "backward")],
)  # fmt: skip
def test_directions_of_each_source(value: str | None, direction: str) -> None:
    """BD TOPO's SENS, Geofabrik's F/T/B, OSM's oneway (GDAL's other_tags for a PBF: a roundabout is one-way)."""
    assert direction_of(value) == direction


def test_classes_of_each_source() -> None:
    assert highway_class("Route à 1 chaussée", "3") == "secondary"
    assert highway_class("Route à 1 chaussée") == "residential"
    assert highway_class("Type autoroutier", "1") == "motorway" and highway_class("Chemin", "5") == "track"
    assert highway_class("['residential', 'tertiary']") == "residential" and highway_class("Locale") == "residential"


def test_osm_pbf_extract(tmp_path: Path) -> None:
    """An .osm.pbf read offline (GDAL's OSM driver): highways only, ways cut where another way crosses them."""
    nodes = {1: (3.100, 50.640), 2: (3.102, 50.640), 3: (3.102, 50.641), 4: (3.100, 50.641), 5: (3.104, 50.640)}
    ways = {
        10: ([1, 2, 3], {"highway": "residential", "name": "Rue A"}),
        11: ([3, 4, 1], {"highway": "primary", "oneway": "yes", "name": "Rue B"}),
        12: ([2, 5], {"highway": "footway"}),
        13: ([4, 5], {"building": "yes"}),
    }
    pbf = write_pbf(tmp_path / "quartier.osm.pbf", nodes, ways)
    edges = read_edges(pbf)
    assert sorted((e.name or "", e.highway or "", e.oneway) for e in edges) == [
        ("", "footway", False), ("", "footway", False), ("Rue A", "residential", False),
        ("Rue A", "residential", False), ("Rue A", "residential", False), ("Rue A", "residential", False),
        ("Rue B", "primary", True),
    ]  # fmt: skip
    rue_a = sorted(round(e.length_m) for e in edges if e.name == "Rue A")
    assert rue_a == [111, 111, 141, 141]  # cut at node 2, where the footway starts
    assert len({e.u for e in edges} | {e.v for e in edges}) == 4


def test_osmnx_graphml_classes_and_names(shared: Path) -> None:
    edges = read_edges(shared / "street_network" / "maisons_laffitte_osmnx.graphml")
    assert not [e for e in edges if (e.name or "").startswith("[") or (e.highway or "").startswith("[")]
    assert {"residential", "secondary"} <= {e.highway for e in edges}


def test_load_streets_and_tiles(engine: Engine, tmp_path: Path) -> None:
    """Loaded once through the CLI; a tile draws each segment once with its name and class, minor roads zoomed in."""
    path = write_bdtopo(tmp_path / "bdtopo.gpkg")
    env = dict(os.environ, OLS_DATABASE_URL=engine.url.render_as_string(hide_password=False))
    done = subprocess.run([sys.executable, "-m", "cli", "territory", "load-streets", str(path)], env=env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert "6 tronçons orientés chargés dans le réseau rues" in done.stdout
    with engine.begin() as connection:
        assert load_streets(connection, path, network="rues") == 6  # replaced, not added
        assert connection.execute(text("SELECT count(*) FROM street_edge")).scalar_one() == 6
        x, y = tile_of(*CORNER, 15)
        assert tile_of(*FAR_CORNER, 15) == (x, y)  # the whole fixture in one tile
        near = mapbox_vector_tile.decode(streets_tile(connection, 15, x, y))["streets"]["features"]
        x, y = tile_of(*CORNER, 11)
        far = mapbox_vector_tile.decode(streets_tile(connection, 11, x, y))["streets"]["features"]
        x, y = tile_of(2.35, 48.85, 16)
        assert streets_tile(connection, 16, x, y) == b""
    assert sorted((f["properties"].get("name", ""), f["properties"]["highway"]) for f in near) == [
        ("Avenue Foch", "primary"), ("Rue Basse", "tertiary"), ("Rue de la Gare", "residential"),
        ("Sentier des Prés", "path"),
    ]  # fmt: skip
    assert [f["properties"]["name"] for f in far] == ["Avenue Foch"]  # at zoom 11, the primary road only
