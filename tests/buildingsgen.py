"""Seeded building footprints for the coverage tests (no buildings data ships in the shared data).

Footprints are rectangles of a town's sizes (8 to 30 m a side), turned at random, written in Lambert-93
(EPSG:2154) so that loading them exercises the reprojection to the database's WGS84; a building is never placed
within ``clearance`` metres of the points to keep free (the cameras: a camera inside a building would see nothing).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import Point, Polygon, box

from tests.factsgen import shifted


def footprint(lon: float, lat: float, east_m: tuple[float, float], north_m: tuple[float, float]) -> Polygon:
    """A rectangle from ``east_m[0]`` to ``east_m[1]`` metres east and ``north_m[0]`` to ``north_m[1]`` north of
    (lon, lat), in WGS84."""
    west, south = shifted(lon, lat, east_m[0], north_m[0])
    east, north = shifted(lon, lat, east_m[1], north_m[1])
    return box(west, south, east, north)


def random_footprints(rng: np.random.Generator, count: int, bounds: tuple[float, float, float, float],
                      keep_free: list[tuple[float, float]], clearance: float = 3.0) -> list[Polygon]:  # fmt: skip
    """``count`` turned rectangles in ``bounds`` (WGS84), none within ``clearance`` metres of a point to keep free."""
    west, south, east, north = bounds
    tree = shapely.STRtree(gpd.GeoSeries([Point(p) for p in keep_free], crs=4326).to_crs(2154).to_numpy())
    drawn = 3 * count
    centres = gpd.GeoSeries(gpd.points_from_xy(rng.uniform(west, east, drawn), rng.uniform(south, north, drawn)),
                            crs=4326).to_crs(2154)  # fmt: skip
    sizes, angles = rng.uniform(8, 30, size=(drawn, 2)), rng.uniform(0, 90, size=drawn)
    shapes = [affinity.rotate(box(c.x - w / 2, c.y - d / 2, c.x + w / 2, c.y + d / 2), float(a))
              for c, (w, d), a in zip(centres, sizes, angles, strict=True)]  # fmt: skip
    kept = [shape for shape in shapes if not len(tree.query(shape, predicate="dwithin", distance=clearance))]
    assert len(kept) >= count, "too many points to keep free for the buildings asked"
    return list(gpd.GeoSeries(kept[:count], crs=2154).to_crs(4326))


def write_buildings(path: Path, footprints: list[Polygon]) -> Path:
    """The footprints (WGS84) as a GeoJSON or GeoPackage (by ``path``'s suffix) in Lambert-93."""
    frame = gpd.GeoDataFrame({"usage": ["Résidentiel"] * len(footprints)}, geometry=footprints, crs=4326)
    frame.to_crs(2154).to_file(path, driver="GPKG" if path.suffix == ".gpkg" else "GeoJSON")
    return path
