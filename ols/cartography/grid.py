"""The H3 grid of a territory: its cells at a resolution, their neighbours and their outlines.

Cells are handled as signed 64-bit integers (how PostgreSQL stores them); every valid H3 index
is below 2**63, so the cast is lossless.
"""

from __future__ import annotations

from collections.abc import Iterable

import h3
import numpy as np
from libpysal.weights import W
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry


def to_int(cells: Iterable[str]) -> np.ndarray:
    """H3 strings → int64."""
    return np.array([h3.str_to_int(cell) for cell in cells], dtype=np.uint64).view(np.int64)


def to_str(cells: Iterable[int]) -> list[str]:
    """int64 (or uint64) → H3 strings."""
    return [h3.int_to_str(int(cell) & 0xFFFFFFFFFFFFFFFF) for cell in cells]


def cover(area: BaseGeometry, resolution: int) -> np.ndarray:
    """The cells whose centre lies in ``area`` (WGS84), sorted."""
    polygons = area.geoms if isinstance(area, MultiPolygon) else [area]
    cells: set[str] = set()
    for polygon in polygons:
        cells.update(h3.geo_to_cells(polygon.__geo_interface__, resolution))
    return np.sort(to_int(cells))


def study_area(area: BaseGeometry, resolution: int, event_cells: np.ndarray) -> np.ndarray:
    """The territory's cover plus the cells holding its events (edge cells whose centre is outside)."""
    return np.union1d(cover(area, resolution), np.asarray(event_cells, dtype=np.int64))


def weights(cells: np.ndarray) -> W:
    """Binary contiguity of the cells: each cell's k-ring(1) neighbours within the study area."""
    index = {int(cell): position for position, cell in enumerate(cells)}
    neighbours: dict[int, list[int]] = {}
    for position, cell in enumerate(to_str(cells)):
        ring = (index.get(h3.str_to_int(other)) for other in h3.grid_ring(cell, 1))
        neighbours[position] = [other for other in ring if other is not None]
    return W(neighbours, silence_warnings=True)


def polygon(cell: int) -> Polygon:
    """The hexagon of a cell (lon/lat, to the micro-degree: about 10 cm, and half the JSON)."""
    boundary = h3.cell_to_boundary(to_str([cell])[0])
    return Polygon([(round(lng, 6), round(lat, 6)) for lat, lng in boundary])


def outline(cells: Iterable[int]) -> BaseGeometry:
    """The union of cells as one (multi)polygon."""
    shape_ = h3.cells_to_h3shape(to_str(cells))
    return shape(shape_.__geo_interface__)
