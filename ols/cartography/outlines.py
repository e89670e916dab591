"""Hexagon outlines projected for a canvas: each cell's outline as SVG path data in the web map's CRS.

A browser drawing 20,000 hexagons spent about 0,25 s of its first render computing their outlines with h3-js
(cold, the library's code is not yet optimised by the JavaScript engine) and projecting them, vertex by vertex,
into path strings. Projected here once per cached answer, with numpy, they reach the page as path data it hands
to one ``Path2D`` per colour class, with no work per vertex.

The coordinates are spherical Mercator (EPSG:3857, Leaflet's CRS) in whole units of ``unit`` metres from an
origin (the first vertex of the first cell), so that a single-precision canvas keeps their detail and the numbers
stay short. A vertex shared by neighbouring cells rounds alike in each, so no gap opens between them; a vertex is
at most half a unit from its exact place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import h3
import numpy as np

EARTH_RADIUS = 6_378_137.0  # the sphere of EPSG:3857, as Leaflet's SphericalMercator.R
UNIT = 1.0  # metres: half a metre at most off, under a pixel up to zoom 17 at French latitudes


def mercator(latitudes: np.ndarray, longitudes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 degrees → spherical Mercator metres (EPSG:3857), as Leaflet projects them."""
    sine = np.sin(np.radians(latitudes))
    return EARTH_RADIUS * np.radians(longitudes), EARTH_RADIUS * np.log((1 + sine) / (1 - sine)) / 2


def cell_outlines(cells: Sequence[str], unit: float = UNIT) -> dict[str, Any]:
    """The outline of each cell (same order) as path data: ``M x y`` to its first vertex, then ``l dx dy`` to each
    next one (relative: short numbers), closed by ``z``; with the CRS, the unit and the origin they count from."""
    rings = [h3.cell_to_boundary(cell) for cell in cells]
    if not rings:
        return {"crs": "EPSG:3857", "unit": unit, "origin": [0.0, 0.0], "paths": []}
    sizes = np.fromiter((len(ring) for ring in rings), dtype=np.int64, count=len(rings))
    vertices = np.array([vertex for ring in rings for vertex in ring])
    x, y = mercator(vertices[:, 0], vertices[:, 1])
    xs = np.rint((x - x[0]) / unit).astype(np.int64)
    ys = np.rint((y - y[0]) / unit).astype(np.int64)
    steps_x, steps_y = np.diff(xs, prepend=0).tolist(), np.diff(ys, prepend=0).tolist()
    ends = np.cumsum(sizes).tolist()
    starts = [0, *ends[:-1]]
    first_x, first_y = xs.tolist(), ys.tolist()
    paths = [
        f"M{first_x[start]} {first_y[start]}"
        + "".join(f"l{steps_x[i]} {steps_y[i]}" for i in range(start + 1, end))
        + "z"
        for start, end in zip(starts, ends, strict=True)
    ]
    return {"crs": "EPSG:3857", "unit": unit, "origin": [float(x[0]), float(y[0])], "paths": paths}
