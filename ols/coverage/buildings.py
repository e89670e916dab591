"""The buildings layer: footprints read from a GeoJSON or GeoPackage (any CRS, reprojected to WGS84), saved in
``building`` in place of the previous ones, after which every camera's coverage is clipped again by them.

Only footprints matter (2-D visibility, :mod:`ols.coverage.visibility`): each feature's polygons are kept, made
valid; points and lines are dropped. A file with no polygon at all is refused, so that a wrong layer never
silently wipes the buildings loaded before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import shapely
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon
from sqlalchemy import Connection, delete, insert

from ols.coverage.cameras import clip_cameras
from ols.errors import InvalidInputError
from ols.reference.geofiles import read_geofile
from ols.store.models import Building

CHUNK = 5_000  # footprints inserted per statement


@dataclass(frozen=True)
class LoadedBuildings:
    """What a load did: footprints saved, features of the file without any polygon, cameras clipped again."""

    buildings: int
    skipped: int
    cameras: int


def read_buildings(path: Path, *, layer: str | None = None) -> tuple[list[MultiPolygon], int]:
    """The footprints of a file in WGS84, one MultiPolygon per feature, and how many features held no polygon."""
    frame = read_geofile(path, layer=layer)
    if frame.crs is None:
        msg = f"{path.name} : le fichier n'a pas de système de coordonnées : définissez-le dans le SIG"
        raise InvalidInputError(msg)
    footprints: list[MultiPolygon] = []
    for geom in shapely.make_valid(frame.to_crs(4326).geometry.to_numpy()):
        parts = [polygon for part in shapely.get_parts(geom) if part.geom_type in ("Polygon", "MultiPolygon")
                 for polygon in shapely.get_parts(part) if not polygon.is_empty]  # fmt: skip
        if parts:
            footprints.append(MultiPolygon(parts))
    if not footprints:
        msg = f"{path.name} : aucune emprise de bâtiment (polygone) dans le fichier : vérifiez la couche choisie"
        raise InvalidInputError(msg)
    return footprints, len(frame) - len(footprints)


def save_buildings(connection: Connection, footprints: list[MultiPolygon], *, source_file: str) -> int:
    """Replace the buildings by ``footprints``, then clip every camera's coverage by them; return how many cameras
    were clipped again."""
    connection.execute(delete(Building))
    rows = [{"geom": from_shape(footprint, srid=4326), "source_file": source_file} for footprint in footprints]
    for start in range(0, len(rows), CHUNK):
        connection.execute(insert(Building), rows[start : start + CHUNK])
    return clip_cameras(connection)


def load_buildings(connection: Connection, path: Path, *, layer: str | None = None) -> LoadedBuildings:
    """Read a buildings file and save its footprints in place of the previous ones (cameras clipped again)."""
    footprints, skipped = read_buildings(path, layer=layer)
    cameras = save_buildings(connection, footprints, source_file=path.name)
    return LoadedBuildings(len(footprints), skipped, cameras)
