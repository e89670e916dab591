"""What a camera sees once buildings stand in the way: 2-D visibility in a local metric plane around it.

Every edge of a building facing the camera casts a shadow: the part of the plane behind the edge, as seen from
the camera, out to beyond the view's radius (a pentagon: the edge, the two rays from the camera through its ends,
and a far side bent at the edge's bisector so that it stays outside the radius even for an edge that spans a wide
angle). The view is the disc or cone minus the buildings and the union of their shadows, computed at once for all
edges with shapely's vectorised functions. Heights are unknown: a wall hides as much as a tower (said in the
caveat of :mod:`ols.coverage.cameras`). A building the camera stands in or on (within :data:`MOUNT_M`) is
the one it hangs on, and hides nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

MOUNT_M = 0.5  # a building closer than this to the camera is its mount
SLIVER_M2 = 0.01  # pieces of a clipped view smaller than this (rounding of the difference) are dropped
LATITUDE_M = 110_574.0
EQUATOR_M = 111_320.0


def _scale(lat: float) -> np.ndarray:
    """Metres per degree of longitude and of latitude at ``lat`` (the local plane of :func:`offset`)."""
    return np.array([EQUATOR_M * math.cos(math.radians(lat)), LATITUDE_M])


def shadows(footprints: np.ndarray, reach: float) -> np.ndarray:
    """The shadows cast by the edges of ``footprints`` (polygons in metres, the camera at the origin) that face
    the camera, each reaching past ``reach`` metres from it."""
    rings = shapely.get_exterior_ring(shapely.orient_polygons(footprints))  # counter-clockwise: inside on the left
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[:-1] == ring[1:]
    a, b = coords[:-1][same], coords[1:][same]
    facing = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0] < 0  # the camera lies on the outer (right) side of the edge
    a, b = a[facing], b[facing]
    if not len(a):
        return np.array([], dtype=object)
    length_a, length_b = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    far = 2 * np.maximum(reach, np.maximum(length_a, length_b))[:, None]
    unit_a, unit_b = a / length_a[:, None], b / length_b[:, None]
    middle = unit_a + unit_b
    middle /= np.maximum(np.linalg.norm(middle, axis=1), 1e-12)[:, None]
    rings_out = np.stack([a, b, unit_b * far, middle * far, unit_a * far, a], axis=1)
    cast: np.ndarray = shapely.make_valid(shapely.polygons(rings_out))
    return cast


def visible(view: Polygon, lon: float, lat: float, radius: float, footprints: Sequence[BaseGeometry]
            ) -> MultiPolygon:  # fmt: skip
    """The part of ``view`` (a camera's disc or cone, WGS84) that the camera at (lon, lat) sees past the
    ``footprints`` (WGS84 polygons); the whole view when none stands in the way."""
    scale, origin = _scale(lat), np.array([lon, lat])
    parts = shapely.get_parts(np.asarray(footprints, dtype=object))
    parts = parts[shapely.get_type_id(parts) == 3]  # polygons only
    local = shapely.transform(parts, lambda xy: (xy - origin) * scale)
    local = local[shapely.distance(local, Point(0, 0)) > MOUNT_M] if len(local) else local
    if not len(local):
        return MultiPolygon([view])
    hidden = shapely.union_all(np.concatenate([local, shadows(local, radius)]))
    seen = shapely.transform(view, lambda xy: (xy - origin) * scale).difference(hidden)
    pieces = [p for p in shapely.get_parts(seen) if p.geom_type == "Polygon" and p.area >= SLIVER_M2]
    back = shapely.transform(np.asarray(pieces, dtype=object), lambda xy: xy / scale + origin)
    return MultiPolygon(list(back))
