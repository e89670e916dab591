"""Territories: the areas an observatory covers, loaded from any polygon file in any CRS."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import shapely
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection
from sqlalchemy.dialects.postgresql import insert

from ols.errors import InvalidInputError
from ols.reference.calendar import Calendar, stated_calendar
from ols.reference.geofiles import read_geofile
from ols.store.models import Territory

logger = logging.getLogger(__name__)

COMMUNE_CODE_COLUMNS = ("code", "insee", "code_insee", "INSEE_COM", "insee_com", "codgeo", "CODGEO")
COMMUNE_NAME_COLUMNS = ("nom", "name", "NOM", "NOM_COM", "nom_com", "libgeo")


@dataclass(frozen=True)
class Boundary:
    """A territory outline in WGS84, with the commune it is when picked from a communes file."""

    geom: MultiPolygon
    name: str | None = None
    insee: str | None = None


def _as_multipolygon(geom: BaseGeometry, source: str) -> MultiPolygon:
    fixed = shapely.make_valid(geom)
    polygons = [part for part in getattr(fixed, "geoms", [fixed]) if part.geom_type in ("Polygon", "MultiPolygon")]
    merged = shapely.union_all(polygons) if polygons else None
    if merged is None or merged.is_empty:
        msg = f"{source} : aucun polygone dans le contour"
        raise InvalidInputError(msg)
    return merged if isinstance(merged, MultiPolygon) else MultiPolygon([merged])


def read_boundary(path: Path, *, commune: str | None = None) -> Boundary:
    """Read a polygon file (GeoJSON, GeoPackage, Shapefile...; any CRS) as one WGS84 outline.

    With ``commune``, keep only the feature whose INSEE code is ``commune`` (communes files).
    """
    frame = read_geofile(path)
    if frame.crs is None:
        msg = f"{path.name} : le fichier n'a pas de système de coordonnées : définissez-le dans le SIG"
        raise InvalidInputError(msg)
    frame = frame.to_crs(4326)
    name = None
    if commune is not None:
        column = next((c for c in COMMUNE_CODE_COLUMNS if c in frame.columns), None)
        if column is None:
            msg = f"{path.name} : aucune colonne de code INSEE (cherchées : {', '.join(COMMUNE_CODE_COLUMNS)})"
            raise InvalidInputError(msg)
        frame = frame[frame[column].astype(str) == commune]
        if frame.empty:
            msg = f"{path.name} : aucune commune de code INSEE {commune}"
            raise InvalidInputError(msg)
        name_column = next((c for c in COMMUNE_NAME_COLUMNS if c in frame.columns), None)
        name = str(frame.iloc[0][name_column]) if name_column else None
    geom = _as_multipolygon(shapely.union_all(frame.geometry.to_numpy()), path.name)
    return Boundary(geom=geom, name=name, insee=commune)


def save_territory(
    connection: Connection,
    *,
    code: str,
    name: str,
    boundary: Boundary,
    source: str,
    population: int | None = None,
    dwellings: int | None = None,
    calendar: Calendar | None = None,
) -> int:
    """Create or replace the territory ``code`` (with its denominators, when known); return its id.

    Its calendar is ``calendar`` when given, else the one of its INSEE code (none without a code).
    """
    calendar = calendar or stated_calendar(boundary.insee)
    values = {
        "code": code,
        "name": name,
        "insee": boundary.insee,
        "geom": from_shape(boundary.geom, srid=4326),
        "boundary_file": source,
        "population": population,
        "dwellings": dwellings,
        "timezone": calendar.timezone if calendar else None,
        "holiday_zone": calendar.holiday_zone if calendar else None,
    }
    statement = insert(Territory).values(**values)
    upsert = statement.on_conflict_do_update(
        index_elements=["code"], set_={key: statement.excluded[key] for key in values if key != "code"}
    ).returning(Territory.id)
    territory_id = int(connection.execute(upsert).scalar_one())
    logger.info("territoire %s enregistré (limites : %s)", code, source)
    return territory_id
