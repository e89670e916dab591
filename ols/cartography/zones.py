"""Vigilance zones: computed from hot spots each semester, declared by partners, and compared.

*Computed* zones are the contiguous significant hot cells (95 % and 99 %, FDR-adjusted) of a
period, dissolved and smoothed into polygons. *Declared* zones are drawn by partners or the
coordinator and kept as one GeoJSON file each under ``data/zones/`` (reviewable in git), with
their name, rationale, owner, review date and validity. The comparison says which declared zones
are no longer hot, which hot areas lie outside every declared zone, and which computed zones
entered or left since the previous period.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import shapely.geometry
from geoalchemy2.shape import from_shape, to_shape
from pyproj import Transformer
from scipy.sparse.csgraph import connected_components
from shapely.geometry import MultiPolygon, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement, Connection, delete, insert, select

from ols.cartography.grid import outline, weights
from ols.errors import InvalidInputError, NotFoundError
from ols.store.models import Zone

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
) -> list[dict[str, Any]]:
    """Replace the computed zones of a period, scope and resolution, with their cells; return what was stored.

    Each set of zones is numbered on its own, its codes marked by ``letter`` (``-Z1``, ``-O1``…),
    so that no code names two different areas.
    """
    connection.execute(delete(Zone).where(Zone.kind == "computed", Zone.period == period, Zone.scope == scope,
                                          Zone.resolution == resolution))  # fmt: skip
    saved = []
    for number, zone in enumerate(zones, start=1):
        area_km2 = reproject(zone.geom, TO_L93).area / 1e6
        row = {
            "kind": "computed",
            "scope": scope,
            "resolution": resolution,
            "code": f"{period}-{letter}{number}",
            "period": period,
            "name": f"Zone de vigilance n°{number}",
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


def read_declared(path: Path) -> dict[str, Any]:
    """One declared zone from its GeoJSON file (a Feature or a one-feature FeatureCollection)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    feature = data["features"][0] if data.get("type") == "FeatureCollection" else data
    properties = feature.get("properties") or {}
    missing = [name for name in ("code", "name", "rationale", "owner") if not properties.get(name)]
    if missing:
        msg = f"{path.name}: declared zone lacks {', '.join(missing)}"
        raise InvalidInputError(msg)
    geom = _multi(shapely.make_valid(shape(feature["geometry"])))
    if geom.is_empty:
        msg = f"{path.name}: the zone has no polygon"
        raise InvalidInputError(msg)
    values: dict[str, Any] = {name: properties.get(name) for name in DECLARED_FIELDS}
    for name in ("review_date", "valid_from", "valid_to"):
        values[name] = date.fromisoformat(values[name]) if values[name] else None
    values["geom"] = geom
    return values


def sync_declared(connection: Connection, folder: Path) -> int:
    """Make the declared zones in the database those of the files in ``folder``."""
    zones = [read_declared(path) for path in sorted(folder.glob("*.geojson"))]
    connection.execute(delete(Zone).where(Zone.kind == "declared"))
    for values in zones:
        connection.execute(
            insert(Zone),
            {**values, "kind": "declared", "period": "", "geom": from_shape(values["geom"], srid=4326),
             "stats": {}},
        )  # fmt: skip
    logger.info("zones déclarées synchronisées depuis %s : %d", folder, len(zones))
    return len(zones)


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


def _touches(zone: dict[str, Any], others: list[dict[str, Any]]) -> list[str]:
    return [other["code"] for other in others if zone["geom"].intersects(other["geom"])]


def compare(
    current: list[dict[str, Any]], previous: list[dict[str, Any]], declared: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """What changed: declared zones no longer hot, hot areas outside declared zones, entering, leaving."""
    return {
        "declared_not_hot": [{"code": z["code"], "name": z["name"]} for z in declared if not _touches(z, current)],
        "hot_outside_declared": [{"code": z["code"], "name": z["name"]} for z in current if not _touches(z, declared)],
        "entering": [{"code": z["code"], "name": z["name"]} for z in current if not _touches(z, previous)],
        "leaving": [{"code": z["code"], "name": z["name"]} for z in previous if not _touches(z, current)],
        "continuing": [
            {"code": z["code"], "name": z["name"], "previous": _touches(z, previous)}
            for z in current
            if _touches(z, previous)
        ],
    }


MAX_DECLARED_KM2 = 50.0


def validate_declared_geometry(geometry: dict[str, Any]) -> MultiPolygon:
    """A drawn zone as a valid WGS84 multipolygon, or InvalidInputError saying what is wrong."""
    if geometry.get("type") not in ("Polygon", "MultiPolygon"):
        msg = "a zone is a Polygon or a MultiPolygon"
        raise InvalidInputError(msg)
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, IndexError, AttributeError) as error:
        msg = f"unreadable geometry: {error}"
        raise InvalidInputError(msg) from error
    if geom.is_empty:
        msg = "empty geometry"
        raise InvalidInputError(msg)
    west, south, east, north = geom.bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        msg = "coordinates outside WGS84 longitude/latitude: send EPSG:4326 (not Lambert-93 or Web Mercator)"
        raise InvalidInputError(msg)
    if not geom.is_valid:
        msg = f"invalid polygon ({shapely.is_valid_reason(geom)}): self-intersections are not allowed"
        raise InvalidInputError(msg)
    area_km2 = reproject(geom, TO_L93).area / 1e6
    if area_km2 > MAX_DECLARED_KM2:
        msg = f"zone of {area_km2:.1f} km² is larger than {MAX_DECLARED_KM2:.0f} km²: draw the watched area only"
        raise InvalidInputError(msg)
    return _multi(geom)


def write_declared(folder: Path, values: dict[str, Any]) -> Path:
    """Write a declared zone to its reviewable GeoJSON file (``<code>.geojson``)."""
    folder.mkdir(parents=True, exist_ok=True)
    properties: dict[str, Any] = {name: values.get(name) for name in DECLARED_FIELDS}
    for name in ("review_date", "valid_from", "valid_to"):
        day = properties[name]
        properties[name] = day.isoformat() if day else None
    feature = {"type": "Feature", "properties": properties, "geometry": shapely.geometry.mapping(values["geom"])}
    path = folder / f"{values['code']}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False, indent=1),
                    encoding="utf-8")  # fmt: skip
    return path


def save_declared(connection: Connection, values: dict[str, Any], *, replace: bool) -> None:
    """Insert a declared zone (or replace the one with the same code)."""
    exists = connection.execute(select(Zone.id).where(Zone.kind == "declared", Zone.code == values["code"])).scalar()
    if exists and not replace:
        msg = f"declared zone {values['code']} exists already"
        raise InvalidInputError(msg)
    if not exists and replace:
        msg = f"no declared zone {values['code']}"
        raise NotFoundError(msg)
    connection.execute(delete(Zone).where(Zone.kind == "declared", Zone.code == values["code"]))
    row = {name: values.get(name) for name in DECLARED_FIELDS}
    connection.execute(insert(Zone), {**row, "kind": "declared", "period": "", "stats": {},
                                      "geom": from_shape(values["geom"], srid=4326)})  # fmt: skip
    logger.info("zone déclarée %s enregistrée", values["code"])


def delete_declared(connection: Connection, folder: Path, code: str) -> None:
    """Remove a declared zone from the database and its file."""
    result = connection.execute(delete(Zone).where(Zone.kind == "declared", Zone.code == code))
    if not result.rowcount:
        msg = f"no declared zone {code}"
        raise NotFoundError(msg)
    (folder / f"{code}.geojson").unlink(missing_ok=True)
    logger.info("zone déclarée %s supprimée", code)
