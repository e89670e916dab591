"""The demo's streets: the lines its synthetic addresses lie on, with side streets, joined into one network.

Each synthetic BAN street (:func:`etl.demo.commune.synthetic_ban`) lays its numbers along a straight
line; that line, drawn across its commune, becomes a street (a ``secondary`` road for an avenue or
a boulevard, ``tertiary`` otherwise). A grid of side streets (``residential``, every
:data:`GRID_M` metres) fills each commune so that the map reads as a town plan and every stop of a
patrol is near a street. Crossing lines meet at a shared vertex; a part left apart by the outline
(a narrow tongue of a commune) is joined to the rest by a short connector, so that patrols route on
one connected network. No randomness is drawn: the demo's facts stay those of its seed.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

GRID_M = 220.0
METRIC = 2154  # Lambert-93: metres, for the grid and the joins
SIDE_NAMES = (
    "des Lilas", "des Roses", "du Marais", "des Peupliers", "de la Fontaine", "des Jardins", "du Château", "des Prés",
    "de l'Église", "des Vignes", "du Stade", "des Frênes", "de la Gare", "des Saules", "du Calvaire", "des Glycines",
    "du Bois", "des Mésanges", "de la Ferme", "des Chênes", "du Parc", "des Hirondelles", "de la Source", "des Ormes",
)  # fmt: skip


def _across(line: LineString, outline: BaseGeometry, stretch: float = 0.0) -> list[LineString]:
    """The pieces inside the outline of ``line`` lengthened by ``stretch`` times its length at each end."""
    (ax, ay), (bx, by) = line.coords[0], line.coords[-1]
    dx, dy = (bx - ax) * stretch, (by - ay) * stretch
    far = LineString([(ax - dx, ay - dy), (bx + dx, by + dy)])
    return [piece for piece in shapely.get_parts(far.intersection(outline)) if isinstance(piece, LineString)]


Street = tuple[LineString, str | None, str]  # a line, its name, its OSM highway class


def _address_streets(ban: pd.DataFrame, outline: BaseGeometry) -> list[Street]:
    """Each BAN street as the line through its first and last numbers (a little beyond, within the commune)."""
    found: list[Street] = []
    points = gpd.GeoSeries(gpd.points_from_xy(ban.lon, ban.lat), crs=4326).to_crs(METRIC)
    for street, rows in ban.assign(point=points.to_numpy()).groupby("nom_voie", sort=False):
        ordered = rows.sort_values("numero").point.to_numpy()
        if len(ordered) < 2 or ordered[0].distance(ordered[-1]) < 1:
            continue
        kind = "secondary" if str(street).startswith(("Avenue", "Boulevard")) else "tertiary"
        found += [(piece, str(street), kind) for piece in _across(LineString([ordered[0], ordered[-1]]), outline, 0.05)]
    return found


def _side_streets(outline: BaseGeometry, taken: set[str | None]) -> list[Street]:
    """A grid of side streets over the commune, every GRID_M metres (on a grid shared by all communes)."""
    minx, miny, maxx, maxy = outline.bounds
    xs = np.arange(np.ceil(minx / GRID_M), np.floor(maxx / GRID_M) + 1) * GRID_M
    ys = np.arange(np.ceil(miny / GRID_M), np.floor(maxy / GRID_M) + 1) * GRID_M
    lines = [LineString([(x, miny), (x, maxy)]) for x in xs] + [LineString([(minx, y), (maxx, y)]) for y in ys]
    names = [name for kind in ("Rue", "Allée", "Impasse", "Chemin") for name in (f"{kind} {n}" for n in SIDE_NAMES)]
    free = iter([name for name in names if name not in taken] + [None] * len(lines))
    found: list[Street] = []
    for line in lines:
        pieces = _across(line, outline)
        name = next(free) if pieces else None
        found += [(piece, name, "residential") for piece in pieces]
    return found


def _noded(lines: list[LineString]) -> list[LineString]:
    """The lines with a vertex at each point where they cross another (the same coordinates in both)."""
    tree = shapely.STRtree(lines)
    crossings: list[list[Point]] = [[] for _ in lines]
    for i, j in zip(*tree.query(lines, predicate="intersects"), strict=True):
        if i < j:
            points = [p for p in shapely.get_parts(lines[i].intersection(lines[j])) if isinstance(p, Point)]
            crossings[i] += points
            crossings[j] += points
    noded = []
    for line, points in zip(lines, crossings, strict=True):
        vertices = [(line.project(Point(c)), c) for c in line.coords] + [(line.project(p), p.coords[0]) for p in points]
        ordered = [c for _, c in sorted(vertices, key=lambda item: item[0])]
        noded.append(LineString([c for k, c in enumerate(ordered) if k == 0 or c != ordered[k - 1]]))
    return noded


def _connectors(lines: list[LineString]) -> list[LineString]:
    """Short lines joining each part of the network that lies apart to the largest part (vertex to vertex)."""
    graph = nx.Graph()
    for line in lines:
        nx.add_path(graph, [tuple(c) for c in line.coords])
    parts = sorted(nx.connected_components(graph), key=len, reverse=True)
    main = np.array(list(parts[0]))
    tree = cKDTree(main)
    joins = []
    for part in parts[1:]:
        points = np.array(list(part))
        distances, nearest = tree.query(points)
        best = int(np.argmin(distances))
        joins.append(LineString([points[best], main[nearest[best]]]))
    return joins


def demo_streets(outlines: dict[str, tuple[str, BaseGeometry]], bans: list[pd.DataFrame], out: Path) -> Path:
    """Write the demo's street network (a GeoPackage of road segments, WGS84) and return its path."""
    found: list[Street] = []
    for (_, outline), ban in zip(outlines.values(), bans, strict=True):
        metric = gpd.GeoSeries([outline], crs=4326).to_crs(METRIC).iloc[0]
        streets = _address_streets(ban, metric)
        found += streets + _side_streets(metric, {name for _, name, _ in streets})
    lines = _noded([line for line, _, _ in found])
    joins = _connectors(lines)
    frame = gpd.GeoDataFrame(
        {"name": [name for _, name, _ in found] + [None] * len(joins),
         "highway": [kind for _, _, kind in found] + ["service"] * len(joins)},
        geometry=lines + joins, crs=METRIC,
    ).to_crs(4326)  # fmt: skip
    path = out / "SYNTHETIQUE_rues.gpkg"
    path.unlink(missing_ok=True)
    frame.to_file(path, layer="rues", driver="GPKG")
    return path
