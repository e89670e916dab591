"""The demo commune, Mons-en-Barœul: its real outline and metro stations, synthetic streets and blocks."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Point

MARK = "SYNTHETIQUE"
INSEE = "59410"
POSTCODE = "59370"
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
    """Random points inside the commune, near its hot spots or anywhere."""

    def __init__(self, outline: MultiPolygon, stations: pd.DataFrame, rng: np.random.Generator) -> None:
        self.outline = outline
        self.rng = rng
        self.stations = stations
        inside = [Point(x, y) for x, y in zip(stations.lon, stations.lat, strict=True)]
        self.station_points = [p for p in inside if outline.contains(p)]
        self.blocks = [self.uniform(1)[0] for _ in BLOCKS]

    def uniform(self, count: int) -> list[Point]:
        """Points drawn uniformly inside the outline."""
        minx, miny, maxx, maxy = self.outline.bounds
        found: list[Point] = []
        while len(found) < count:
            x = self.rng.uniform(minx, maxx, count * 2)
            y = self.rng.uniform(miny, maxy, count * 2)
            keep = shapely.contains_xy(self.outline, x, y)
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
        points = self.around(self.station_points + self.blocks, hot, 120) + self.uniform(count - hot)
        order = self.rng.permutation(len(points))
        return [points[i] for i in order]


def synthetic_ban(territory: Territory, rng: np.random.Generator) -> pd.DataFrame:
    """A BAN-format address file of synthetic streets laid across the commune."""
    rows = []
    for index, street in enumerate(STREETS):
        a, b = territory.uniform(2)
        numbers = int(rng.integers(20, 80))
        for number in range(1, numbers + 1):
            t = number / (numbers + 1)
            point = Point(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t)
            if not territory.outline.contains(point):
                continue
            rows.append(
                {
                    "id": f"{INSEE}_{index:04d}_{number:05d}",
                    "id_fantoir": f"{INSEE}_{index:04d}",
                    "numero": number,
                    "rep": "",
                    "nom_voie": street,
                    "code_postal": POSTCODE,
                    "code_insee": INSEE,
                    "nom_commune": "Mons-en-Barœul",
                    "code_insee_ancienne_commune": "",
                    "nom_ancienne_commune": "",
                    "x": "",
                    "y": "",
                    "lon": round(point.x, 6),
                    "lat": round(point.y, 6),
                    "type_position": "entrée",
                    "alias": "",
                    "nom_ld": "",
                    "libelle_acheminement": "MONS EN BAROEUL",
                    "nom_afnor": street.upper(),
                    "source_position": MARK,
                    "source_nom_voie": MARK,
                    "certification_commune": 0,
                    "cad_parcelles": "",
                }
            )
    return pd.DataFrame(rows)


def nearest_addresses(ban: pd.DataFrame, points: list[Point]) -> pd.DataFrame:
    """The address of ``ban`` nearest to each point."""
    tree = shapely.STRtree(gpd.points_from_xy(ban.lon, ban.lat))
    nearest = tree.nearest(points)
    return pd.DataFrame(ban.iloc[nearest].reset_index(drop=True))
