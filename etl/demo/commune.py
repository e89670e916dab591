"""The demo territory's ground: its real outline, the points facts cluster around, synthetic streets and blocks.

Nothing here names a commune: the communes come from the demo's spec (:mod:`etl.demo.spec`).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Point
from shapely.geometry.base import BaseGeometry

from etl.demo.spec import DemoCommune

MARK = "SYNTHETIQUE"
STREETS = (
    "Rue Jean Jaurès",
    "Avenue Robert Schuman",
    "Rue du Général de Gaulle",
    "Rue de la Paix",
    "Place de l'Europe",
    "Rue Victor Hugo",
    "Boulevard du Général Leclerc",
    "Rue Louis Pasteur",
    "Allée des Tilleuls",
    "Rue Émile Zola",
    "Rue Pierre Curie",
    "Avenue de la République",
    "Rue des Écoles",
    "Rue Gambetta",
    "Rue Anatole France",
    "Chemin du Fort",
    "Rue Jules Ferry",
    "Rue du Moulin",
    "Square des Acacias",
    "Rue Saint-Exupéry",
)
BLOCKS = ("Résidence des Sarts", "Résidence du Fort", "Résidence Europe")


class Territory:
    """Random points inside the territory (its communes' outline), near its hot spots or anywhere.

    The hot spots are its places that lie inside the outline (stations, bus stops, schools) and a few
    residential blocks drawn at random.
    """

    def __init__(self, outline: MultiPolygon, hot_places: list[Point], rng: np.random.Generator) -> None:
        self.outline = outline
        self.rng = rng
        self.hot_points = [p for p in hot_places if outline.contains(p)]
        self.blocks = [self.uniform(1)[0] for _ in BLOCKS]

    def uniform(self, count: int, within: BaseGeometry | None = None) -> list[Point]:
        """Points drawn uniformly inside the outline (or inside ``within``, one commune of it)."""
        area = self.outline if within is None else within
        minx, miny, maxx, maxy = area.bounds
        found: list[Point] = []
        while len(found) < count:
            x = self.rng.uniform(minx, maxx, count * 2)
            y = self.rng.uniform(miny, maxy, count * 2)
            keep = shapely.contains_xy(area, x, y)
            found += [Point(a, b) for a, b in zip(x[keep], y[keep], strict=True)]
        return found[:count]

    def around(self, centres: list[Point], count: int, spread_m: float) -> list[Point]:
        """Points scattered around centres (about ``spread_m`` metres), kept inside the outline."""
        found: list[Point] = []
        scale = spread_m / 111_000
        while len(found) < count:
            picks = self.rng.integers(0, len(centres), count)
            dx = self.rng.normal(0, scale * 1.5, count)
            dy = self.rng.normal(0, scale, count)
            x = np.array([centres[i].x for i in picks]) + dx
            y = np.array([centres[i].y for i in picks]) + dy
            keep = shapely.contains_xy(self.outline, x, y)
            found += [Point(a, b) for a, b in zip(x[keep], y[keep], strict=True)]
        return found[:count]

    def points(self, count: int, hot_share: float) -> list[Point]:
        """A mix of hot-spot and background points, shuffled."""
        hot = int(count * hot_share)
        points = self.around(self.hot_points + self.blocks, hot, 120) + self.uniform(count - hot)
        order = self.rng.permutation(len(points))
        return [points[i] for i in order]


def synthetic_ban(
    territory: Territory, commune: DemoCommune, name: str, outline: BaseGeometry, streets: tuple[str, ...],
    rng: np.random.Generator,
) -> pd.DataFrame:  # fmt: skip
    """A BAN-format address file of synthetic streets laid across one commune of the territory."""
    rows = []
    for index, street in enumerate(streets):
        a, b = territory.uniform(2, outline)
        numbers = int(rng.integers(20, 80))
        for number in range(1, numbers + 1):
            t = number / (numbers + 1)
            point = Point(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t)
            if not outline.contains(point):
                continue
            rows.append(_address(commune, name, index, number, street, point))
    return pd.DataFrame(rows)


def _address(commune: DemoCommune, name: str, index: int, number: int, street: str, point: Point) -> dict[str, Any]:
    """One row of a BAN file, its sources marked synthetic."""
    return {
        "id": f"{commune.insee}_{index:04d}_{number:05d}",
        "id_fantoir": f"{commune.insee}_{index:04d}",
        "numero": number,
        "rep": "",
        "nom_voie": street,
        "code_postal": commune.postcode,
        "code_insee": commune.insee,
        "nom_commune": name,
        "code_insee_ancienne_commune": "",
        "nom_ancienne_commune": "",
        "x": "",
        "y": "",
        "lon": round(point.x, 6),
        "lat": round(point.y, 6),
        "type_position": "entrée",
        "alias": "",
        "nom_ld": "",
        "libelle_acheminement": commune.label,
        "nom_afnor": street.upper(),
        "source_position": MARK,
        "source_nom_voie": MARK,
        "certification_commune": 0,
        "cad_parcelles": "",
    }


def nearest_addresses(ban: pd.DataFrame, points: list[Point]) -> pd.DataFrame:
    """The address of ``ban`` nearest to each point."""
    tree = shapely.STRtree(gpd.points_from_xy(ban.lon, ban.lat))
    nearest = tree.nearest(points)
    return pd.DataFrame(ban.iloc[nearest].reset_index(drop=True))
