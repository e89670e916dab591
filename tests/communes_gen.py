"""A seeded CISPD with a known truth (issue 18): Loos, Haubourdin and Emmerin from the shared communes file, facts
spread over the three communes and a planted cluster straddling the Loos–Haubourdin border.

The communes are real (``boundaries/communes-59-nord.geojson``, read in place); the facts and the two
places are generated: uniform noise over each commune in proportion to its area, and a cluster
centred on a point of the Loos–Haubourdin border, so that half of it lies in each commune.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point
from sqlalchemy import Engine, insert

from ols.reference.places import save_places
from ols.reference.territories import Boundary, read_boundary, save_territory
from ols.store.models import Observatory
from tests.factsgen import Fact, cluster, mapping_file, send, write_facts

LOOS, HAUBOURDIN, EMMERIN = "59360", "59286", "59193"
MEMBERS = {LOOS: "Loos", HAUBOURDIN: "Haubourdin", EMMERIN: "Emmerin"}
CODE, NAME = "CISPD-LHE", "CISPD Loos–Haubourdin–Emmerin"
START = datetime(2025, 1, 2)


@dataclass(frozen=True)
class Cispd:
    """The communes' outlines (WGS84) and the planted cluster's centre, on the border of Loos and Haubourdin."""

    communes: dict[str, MultiPolygon]
    border_point: tuple[float, float]


def communes(shared: Path) -> dict[str, Boundary]:
    """The three member communes, read from the shared communes file."""
    path = shared / "boundaries" / "communes-59-nord.geojson"
    return {insee: read_boundary(path, commune=insee) for insee in MEMBERS}


def build(engine: Engine, shared: Path) -> Cispd:
    """The observatory (a CISPD) and its three communes as territories (code = INSEE)."""
    found = communes(shared)
    with engine.begin() as connection:
        connection.execute(insert(Observatory), {"code": CODE, "name": NAME, "kind": "cispd"})
        for insee, boundary in found.items():
            save_territory(connection, code=insee, name=str(boundary.name), boundary=boundary,
                           source="communes-59-nord.geojson")  # fmt: skip
    border = found[LOOS].geom.boundary.intersection(found[HAUBOURDIN].geom.boundary)
    point = border.interpolate(0.5, normalized=True)
    return Cispd({insee: b.geom for insee, b in found.items()}, (point.x, point.y))


def spread(rng: np.random.Generator, outline: MultiPolygon, count: int, start: datetime, days: int) -> list[Fact]:
    """``count`` facts uniformly spread inside a commune, over ``days`` days from ``start``."""
    west, south, east, north = outline.bounds
    facts: list[Fact] = []
    while len(facts) < count:
        lon, lat = float(rng.uniform(west, east)), float(rng.uniform(south, north))
        if shapely.contains_xy(outline, lon, lat):
            when = start + timedelta(minutes=int(rng.integers(0, days * 24 * 60)))
            facts.append(Fact("Cambriolage", when, lon, lat))
    return facts


def facts(cispd: Cispd, *, seed: int = 18, noise: int = 240, planted: int = 60) -> list[Fact]:
    """Noise over the three communes (by area) and a cluster of ``planted`` facts on the Loos–Haubourdin border,
    all in the first semester of 2025."""
    rng = np.random.default_rng(seed)
    total = sum(outline.area for outline in cispd.communes.values())
    found = [fact for outline in cispd.communes.values()
             for fact in spread(rng, outline, round(noise * outline.area / total), START, 170)]  # fmt: skip
    return found + cluster(rng, planted, cispd.border_point, START, 170, metres=60)


def load(engine: Engine, tmp_path: Path, cispd: Cispd, **options: int) -> list[Fact]:
    """Send the generated police file, and two places: one by the border cluster, one far from it."""
    generated = facts(cispd, **options)
    send(engine, write_facts(tmp_path / "police-cispd.csv", generated), "police-nationale", mapping_file(tmp_path))
    x, y = cispd.border_point
    near = Point(x + 0.0012, y + 0.0008)  # about 120 m from the cluster's heart
    far = cispd.communes[EMMERIN].representative_point()
    places = gpd.GeoDataFrame({"name": ["École du Canal", "Mairie d'Emmerin"]}, geometry=[near, far], crs=4326)
    with engine.begin() as connection:
        save_places(connection, places, kind="école")
    return generated
