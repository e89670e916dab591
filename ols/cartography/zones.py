"""Vigilance zones: computed from hot spots each semester, declared by partners, and compared.

*Computed* zones are the contiguous significant hot cells (95 % and 99 %, FDR-adjusted) of a
period, dissolved and smoothed into polygons. *Declared* zones are drawn by partners or the
coordinator and kept as one GeoJSON file each in the declared-zones folder (``OLS_ZONES_DIR``, by
default ``$OLS_HOME/zones``; reviewable in git when it is a repository's folder), with their name,
rationale, owner, review date and validity. A sync loads the files and deletes a zone that has no
file only when asked to (``--prune``), so that a wrong or empty folder never wipes the declared
zones out. Each zone is filed under the communes and sectors it meets (:mod:`ols.cartography.filing`,
:mod:`ols.cartography.whereabouts`); the comparison of zones lives in :mod:`ols.cartography.comparison`.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
import shapely.errors
import shapely.geometry
from geoalchemy2.shape import from_shape, to_shape
from pyproj import Transformer
from scipy.sparse.csgraph import connected_components
from shapely.geometry import MultiPolygon, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement, Connection, delete, insert, select

from ols.cartography.filing import file_declared
from ols.cartography.grid import outline, weights
from ols.errors import ConfigurationError, InvalidInputError, NotFoundError
from ols.store.models import Zone

if TYPE_CHECKING:
    from collections.abc import Callable

    from ols.cartography.whereabouts import Whereabouts

logger = logging.getLogger(__name__)

HOT_CLASSES = ("hot_95", "hot_99")
SMOOTHING_M = 25.0
TO_L93 = Transformer.from_crs(4326, 2154, always_xy=True)
TO_WGS84 = Transformer.from_crs(2154, 4326, always_xy=True)
DECLARED_FIELDS = ("code", "name", "rationale", "owner", "review_date", "valid_from", "valid_to")


def reproject(geom: BaseGeometry, transformer: Transformer) -> BaseGeometry:
    """The geometry in another CRS."""
    return shapely.transform(geom, transformer.transform, interleaved=False)


def _multi(geom: BaseGeometry) -> MultiPolygon:
    parts = [part for part in getattr(geom, "geoms", [geom]) if part.geom_type == "Polygon" and not part.is_empty]
    return MultiPolygon(parts)


def smooth(area: BaseGeometry, metres: float = SMOOTHING_M) -> MultiPolygon:
    """Round the hexagons' teeth: a closing (buffer out, then in) in Lambert-93 metres."""
    projected = reproject(area, TO_L93)
    closed = projected.buffer(metres, quad_segs=4).buffer(-metres, quad_segs=4).simplify(2.0)
    return _multi(reproject(closed, TO_WGS84))


@dataclass(frozen=True)
class ComputedZone:
    """A computed zone before storage: its cells, outline and figures."""

    cells: np.ndarray
    geom: MultiPolygon
    events: int
    max_z: float


def hot_clusters(cells: np.ndarray, counts: np.ndarray, z: np.ndarray, classes: np.ndarray) -> list[ComputedZone]:
    """Contiguous groups of significant hot cells holding at least one fact, largest (by events) first.

    Gi* can flag an empty cell surrounded by busy ones; a group made only of such cells is not a
    place where anything was reported, so it is not a zone.
    """
    hot = np.isin(classes, HOT_CLASSES)
    if not hot.any():
        return []
    hot_cells = cells[hot]
    _, labels = connected_components(weights(hot_cells).sparse, directed=False)
    zones = []
    for label in np.unique(labels):
        members = labels == label
        zones.append(ComputedZone(
            cells=hot_cells[members],
            geom=smooth(outline(hot_cells[members])),
            events=int(counts[hot][members].sum()),
            max_z=float(z[hot][members].max()),
        ))  # fmt: skip
    return sorted((zone for zone in zones if zone.events > 0), key=lambda zone: (-zone.events, -zone.max_z))


def save_computed(
    connection: Connection,
    period: str,
    zones: list[ComputedZone],
    *,
    resolution: int,
    scope: str = "full",
    letter: str = "Z",
    where: Callable[[BaseGeometry], Whereabouts] | None = None,
) -> list[dict[str, Any]]:
    """Replace the computed zones of a period, scope and resolution, with their cells; return what was stored.

    Each set of zones is numbered on its own, its codes marked by ``letter`` (``-Z1``, ``-O1``…),
    so that no code names two different areas. ``where`` says where a zone lies: its name then
    says it ("Zone de vigilance n°1 (près de Mairie, Loos)") and it is filed under the communes
    and sectors it meets.
    """
    connection.execute(delete(Zone).where(Zone.kind == "computed", Zone.period == period, Zone.scope == scope,
                                          Zone.resolution == resolution))  # fmt: skip
    saved = []
    for number, zone in enumerate(zones, start=1):
        area_km2 = reproject(zone.geom, TO_L93).area / 1e6
        found = where(zone.geom) if where else None
        row = {
            "kind": "computed",
            "scope": scope,
            "resolution": resolution,
            "code": f"{period}-{letter}{number}",
            "period": period,
            "name": f"Zone de vigilance n°{number}" + (f" ({found.label})" if found else ""),
            "communes": list(found.communes) if found else [],
            "sectors": list(found.sectors) if found else [],
            "rationale": "Cellules H3 contiguës significativement chaudes (Gi*, 95 % après FDR)",
            "owner": "calcul OLS",
            "stats": {"cells": len(zone.cells), "events": zone.events, "max_z": round(zone.max_z, 3),
                      "area_km2": round(area_km2, 4), "resolution": resolution},
            "cells": [int(cell) for cell in zone.cells],
        }  # fmt: skip
        connection.execute(insert(Zone), {**row, "geom": from_shape(zone.geom, srid=4326)})
        saved.append({**row, "geom": zone.geom})
    logger.info("zones calculées %s (%s, maille %d) : %d", period, scope, resolution, len(saved))
    return saved


def _feature(path: Path) -> dict[str, Any]:
    """The one feature of a declared-zone file (a Feature or a one-feature FeatureCollection)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    feature = data["features"][0] if data.get("type") == "FeatureCollection" else data
    if not isinstance(feature, dict):
        msg = "ce n'est pas un Feature GeoJSON"
        raise TypeError(msg)
    return feature


def _unreadable(error: Exception) -> str:
    """Why a zone file could not be read, in French (the libraries' own messages are English)."""
    if isinstance(error, json.JSONDecodeError):
        return f"JSON invalide ligne {error.lineno}, colonne {error.colno}"
    if isinstance(error, OSError):
        return f"fichier illisible : {type(error).__name__}"
    if isinstance(error, KeyError):
        return f"clé {error.args[0]} absente"
    return str(error) if isinstance(error, TypeError) and "GeoJSON" in str(error) else "géométrie illisible"


def read_declared(path: Path) -> dict[str, Any]:
    """One declared zone from its GeoJSON file, or InvalidInputError naming the file and what is wrong."""
    try:
        feature = _feature(path)
        properties = feature.get("properties") or {}
        geom = _multi(shapely.make_valid(shape(feature["geometry"])))
    except (OSError, ValueError, LookupError, TypeError, AttributeError, shapely.errors.ShapelyError) as error:
        msg = f"{path.name} : zone déclarée illisible ({_unreadable(error)}) ; attendu un Feature GeoJSON en WGS84"
        raise InvalidInputError(msg) from error
    missing = [name for name in ("code", "name", "rationale", "owner") if not properties.get(name)]
    if missing:
        msg = f"{path.name} : la zone déclarée n'a pas de {', '.join(missing)}"
        raise InvalidInputError(msg)
    if geom.is_empty:
        msg = f"{path.name} : la zone n'a aucun polygone"
        raise InvalidInputError(msg)
    values: dict[str, Any] = {name: properties.get(name) for name in DECLARED_FIELDS}
    for name in ("review_date", "valid_from", "valid_to"):
        try:
            values[name] = date.fromisoformat(values[name]) if values[name] else None
        except (TypeError, ValueError) as error:
            msg = f"{path.name} : date illisible dans {name} (« {values[name]} ») ; écrivez-la AAAA-MM-JJ"
            raise InvalidInputError(msg) from error
    values["geom"] = geom
    return values


def declared_files(folder: Path) -> list[Path]:
    """The zone files of the declared-zones folder; a missing folder is an error, never "no zones"."""
    if not folder.is_dir():
        msg = (
            f"le dossier des zones déclarées {folder} n'existe pas : rien n'a été chargé ni supprimé. "
            "Vérifiez OLS_ZONES_DIR (ols db status l'affiche) ou --folder, ou créez le dossier"
        )
        raise ConfigurationError(msg)
    return sorted(folder.glob("*.geojson"))


def _read_folder(folder: Path) -> list[dict[str, Any]]:
    """Every declared zone of the folder, read before anything changes; two files of one code are refused."""
    zones: dict[str, dict[str, Any]] = {}
    files: dict[str, Path] = {}
    for path in declared_files(folder):
        values = read_declared(path)
        code = values["code"]
        if code in files:
            msg = f"{files[code].name} et {path.name} déclarent tous deux la zone {code} : gardez-en un seul"
            raise InvalidInputError(msg)
        zones[code], files[code] = values, path
    return list(zones.values())


@dataclass(frozen=True)
class DeclaredSync:
    """What a sync did: the zones loaded from the files, those found only in the database kept or deleted."""

    folder: Path
    loaded: tuple[str, ...]
    kept: tuple[str, ...]
    deleted: tuple[str, ...]


def sync_declared(connection: Connection, folder: Path, *, prune: bool = False) -> DeclaredSync:
    """Load the declared zones of the files in ``folder``, replacing those of the same codes.

    A declared zone in the database but in no file is deleted only when ``prune`` is asked, and
    named otherwise: an empty or wrong folder never wipes the declared zones out. Every file is
    read before the database changes, so that one bad file changes nothing.
    """
    zones = _read_folder(folder)
    codes = tuple(values["code"] for values in zones)
    stored = connection.execute(select(Zone.code).where(Zone.kind == "declared")).scalars().all()
    absent = tuple(sorted(set(stored) - set(codes)))
    doomed = codes + absent if prune else codes
    connection.execute(delete(Zone).where(Zone.kind == "declared", Zone.code.in_(doomed)))
    for values in zones:
        connection.execute(
            insert(Zone),
            {**values, "kind": "declared", "period": "", "geom": from_shape(values["geom"], srid=4326),
             "stats": {}},
        )  # fmt: skip
    file_declared(connection, codes)
    logger.info("zones déclarées chargées depuis %s : %d", folder, len(codes))
    if absent:
        logger.info("zones déclarées absentes du dossier %s : %s", "supprimées" if prune else "gardées", absent)
    return DeclaredSync(folder=folder, loaded=codes, kept=() if prune else absent, deleted=absent if prune else ())


def zones_of(
    connection: Connection,
    period: str,
    kind: str,
    *,
    valid_on: date | None = None,
    scope: str = "full",
    resolution: int | None = None,
    where: ColumnElement[bool] | None = None,
) -> list[dict[str, Any]]:
    """Zones of a kind (computed: of the period, scope and resolution; declared: valid on ``valid_on``) with
    shapely outlines, among those meeting ``where`` when given."""
    query = select(Zone.__table__).where(Zone.kind == kind)
    if where is not None:
        query = query.where(where)
    if kind == "computed":
        query = query.where(Zone.period == period, Zone.scope == scope)
        if resolution is not None:
            query = query.where(Zone.resolution == resolution)
    rows = []
    for row in connection.execute(query.order_by(Zone.code)):
        if valid_on and ((row.valid_from and row.valid_from > valid_on) or (row.valid_to and row.valid_to < valid_on)):
            continue
        item = dict(row._mapping)
        item["geom"] = to_shape(row.geom)
        rows.append(item)
    return rows


MAX_DECLARED_KM2 = 50.0


def _where(geom: BaseGeometry) -> str:
    """Where GEOS found the polygon invalid (`` vers 3.1 50.64``), when it says: its reason itself is English."""
    found = re.search(r"\[(-?[\d.]+) (-?[\d.]+)\]", shapely.is_valid_reason(geom))
    return f" vers {float(found.group(1)):.5f} {float(found.group(2)):.5f}" if found else ""


def validate_declared_geometry(geometry: dict[str, Any]) -> MultiPolygon:
    """A drawn zone as a valid WGS84 multipolygon, or InvalidInputError saying what is wrong."""
    if geometry.get("type") not in ("Polygon", "MultiPolygon"):
        msg = "une zone est un Polygon ou un MultiPolygon"
        raise InvalidInputError(msg)
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, IndexError, AttributeError) as error:
        msg = "géométrie illisible : envoyez un Polygon ou un MultiPolygon GeoJSON (anneaux de points [lon, lat])"
        raise InvalidInputError(msg) from error
    if geom.is_empty:
        msg = "géométrie vide : dessinez la zone"
        raise InvalidInputError(msg)
    west, south, east, north = geom.bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        msg = "coordonnées hors des longitudes et latitudes WGS84 : envoyez-les en EPSG:4326 (pas en Lambert-93)"
        raise InvalidInputError(msg)
    if not geom.is_valid:
        msg = f"polygone invalide{_where(geom)} : ses côtés ne doivent pas se croiser ; redessinez-le"
        raise InvalidInputError(msg)
    area_km2 = reproject(geom, TO_L93).area / 1e6
    if area_km2 > MAX_DECLARED_KM2:
        area = f"{area_km2:,.1f}".replace(",", "\u202f").replace(".", ",")  # French: 1 988,2
        msg = f"zone de {area} km² plus grande que {MAX_DECLARED_KM2:.0f} km² : dessinez seulement le secteur surveillé"
        raise InvalidInputError(msg)
    return _multi(geom)


def _files_of(folder: Path, code: str) -> list[Path]:
    """The files of ``folder`` that hold the declared zone ``code``, whatever their names."""
    found = []
    for path in sorted(folder.glob("*.geojson")):
        try:
            held = (_feature(path).get("properties") or {}).get("code")
        except (OSError, ValueError, LookupError, TypeError, AttributeError):
            continue
        if held == code:
            found.append(path)
    return found


def _unwritable(folder: Path, error: OSError) -> ConfigurationError:
    msg = f"le dossier des zones déclarées {folder} n'est pas modifiable ({error.strerror}) : vérifiez OLS_ZONES_DIR"
    return ConfigurationError(msg)


def write_declared(folder: Path, values: dict[str, Any]) -> Path:
    """Write a declared zone to its reviewable GeoJSON file: the one holding its code, else ``<code>.geojson``."""
    properties: dict[str, Any] = {name: values.get(name) for name in DECLARED_FIELDS}
    for name in ("review_date", "valid_from", "valid_to"):
        day = properties[name]
        properties[name] = day.isoformat() if day else None
    feature = {"type": "Feature", "properties": properties, "geometry": shapely.geometry.mapping(values["geom"])}
    text = json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False, indent=1)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = next(iter(_files_of(folder, values["code"])), folder / f"{values['code']}.geojson")
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise _unwritable(folder, error) from error
    logger.info("zone déclarée %s écrite dans %s", values["code"], path)
    return path


def save_declared(connection: Connection, values: dict[str, Any], *, replace: bool) -> None:
    """Insert a declared zone (or replace the one with the same code)."""
    exists = connection.execute(select(Zone.id).where(Zone.kind == "declared", Zone.code == values["code"])).scalar()
    if exists and not replace:
        msg = f"la zone déclarée {values['code']} existe déjà : modifiez-la, ou choisissez un autre code"
        raise InvalidInputError(msg)
    if not exists and replace:
        msg = f"aucune zone déclarée {values['code']}"
        raise NotFoundError(msg)
    connection.execute(delete(Zone).where(Zone.kind == "declared", Zone.code == values["code"]))
    row = {name: values.get(name) for name in DECLARED_FIELDS}
    connection.execute(insert(Zone), {**row, "kind": "declared", "period": "", "stats": {},
                                      "geom": from_shape(values["geom"], srid=4326)})  # fmt: skip
    file_declared(connection, (values["code"],))
    logger.info("zone déclarée %s enregistrée", values["code"])


def delete_declared(connection: Connection, folder: Path, code: str) -> None:
    """Remove a declared zone from the database and from every file holding it (a sync would bring it back)."""
    result = connection.execute(delete(Zone).where(Zone.kind == "declared", Zone.code == code))
    if not result.rowcount:
        msg = f"aucune zone déclarée {code}"
        raise NotFoundError(msg)
    try:
        for path in _files_of(folder, code):
            path.unlink()
    except OSError as error:
        raise _unwritable(folder, error) from error
    logger.info("zone déclarée %s supprimée", code)
