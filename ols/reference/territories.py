"""Territories: the observatory and the communes it covers, loaded from any polygon file in any CRS.

An observatory is a CLSPD (one commune), a CISPD or an EPCI (several); each commune is a
``territory`` row, coded by its INSEE code by default. A database serves one observatory.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import shapely
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, delete, literal, select
from sqlalchemy.dialects.postgresql import insert

from ols.errors import InvalidInputError
from ols.reference.calendar import Calendar, stated_calendar
from ols.reference.geofiles import read_geofile
from ols.store.models import Observatory, Territory
from ols.store.models.reference import OBSERVATORY_KINDS

logger = logging.getLogger(__name__)

COMMUNE_CODE_COLUMNS = ("code", "insee", "code_insee", "INSEE_COM", "insee_com", "codgeo", "CODGEO")
COMMUNE_NAME_COLUMNS = ("nom", "name", "NOM", "NOM_COM", "nom_com", "libgeo")


@dataclass(frozen=True)
class Boundary:
    """A territory outline in WGS84, with the commune it is when picked from a communes file."""

    geom: MultiPolygon
    name: str | None = None
    insee: str | None = None


def as_multipolygon(geom: BaseGeometry, source: str) -> MultiPolygon:
    """The polygons of a geometry as one valid MultiPolygon (lines and points dropped); refused when none."""
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
    geom = as_multipolygon(shapely.union_all(frame.geometry.to_numpy()), path.name)
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


def read_communes(path: Path, communes: list[str]) -> list[Boundary]:
    """Several communes of a communes file, by INSEE code, each with its name (an unknown code is refused)."""
    return [read_boundary(path, commune=insee) for insee in communes]


def save_observatory(connection: Connection, *, code: str, name: str, kind: str) -> int:
    """Create or replace the observatory (a database serves one: another one is replaced); return its id."""
    if kind not in OBSERVATORY_KINDS:
        msg = f"type d'observatoire inconnu « {kind} » : choisissez parmi {', '.join(OBSERVATORY_KINDS)}"
        raise InvalidInputError(msg)
    connection.execute(delete(Observatory).where(Observatory.code != code))
    statement = insert(Observatory).values(code=code, name=name, kind=kind)
    upsert = statement.on_conflict_do_update(index_elements=["code"], set_={"name": name, "kind": kind})
    observatory_id = int(connection.execute(upsert.returning(Observatory.id)).scalar_one())
    logger.info("observatoire %s (%s) enregistré", code, kind)
    return observatory_id


def observatory_of_commune(connection: Connection, *, code: str, name: str) -> bool:
    """After a single commune's load: make it a CLSPD named after it, unless another observatory exists.

    Returns whether the observatory was made or updated.
    """
    current = connection.execute(select(Observatory.code, Observatory.kind)).one_or_none()
    if current is not None and (current.code != code or current.kind != "clspd"):
        return False
    save_observatory(connection, code=code, name=f"CLSPD de {name}", kind="clspd")
    return True


def commune_of(connection: Connection, commune: str) -> tuple[int, str, str]:
    """The id, code and name of a loaded commune, given by territory code or INSEE code (refused when unknown)."""
    row = connection.execute(
        select(Territory.id, Territory.code, Territory.name)
        .where((Territory.code == commune) | (Territory.insee == commune))
        .order_by(Territory.code != literal(commune))
        .limit(1)
    ).one_or_none()
    if row is None:
        msg = f"commune inconnue « {commune} » : voyez les communes avec « ols territory list »"
        raise InvalidInputError(msg)
    return int(row.id), str(row.code), str(row.name)
