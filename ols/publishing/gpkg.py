"""GeoPackage export for the city's GIS team (QGIS): the period's layers as plain attribute tables.

Hexagons with their counts, significant hot spots, vigilance zones, sensitive places and
territories, in Lambert-93 (EPSG:2154) or WGS84 — each layer as the export's audience receives it
(:mod:`ols.access`): a layer it may not see is not written.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
from shapely.geometry import Point, shape
from sqlalchemy import Connection, func, select

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.cartography.grid import polygon, to_str
from ols.cartography.heatmap import HeatmapQuery, visible_cells
from ols.cartography.layers import hotspot_frame, zones_geojson
from ols.periods import Period
from ols.store.models import Place, Territory
from ols.wording import class_label

logger = logging.getLogger(__name__)

CRS_CHOICES = (2154, 4326)


def _hexagons(connection: Connection, period: Period, audience: Audience) -> gpd.GeoDataFrame:
    resolution = audience.resolution()
    cells = visible_cells(connection, HeatmapQuery(period, resolution), audience)
    counts = [count for _, count in cells]
    return gpd.GeoDataFrame({
        "h3": to_str(c for c, _ in cells), "periode": period.name, "resolution": resolution,
        "faits": counts,
    }, geometry=[polygon(c) for c, _ in cells], crs=4326)  # fmt: skip


def _territories(connection: Connection, audience: Audience) -> gpd.GeoDataFrame:
    rows = connection.execute(
        select(Territory.code, Territory.name, Territory.insee, func.ST_AsGeoJSON(Territory.geom))
        .where(audience.own_territories().clause)
        .order_by(Territory.code)
    ).all()
    return gpd.GeoDataFrame({"code": [t[0] for t in rows], "nom": [t[1] for t in rows], "insee": [t[2] for t in rows]},
                            geometry=[shape(json.loads(t[3])) for t in rows], crs=4326)  # fmt: skip


def _zone_fields(properties: dict[str, Any]) -> dict[str, Any]:
    """A zone's fields for QGIS: its communes and sectors as one text each (« 59360, 59286 »), no stats."""
    return {key: ", ".join(value) if isinstance(value, list) else value
            for key, value in properties.items() if key != "stats"}  # fmt: skip


def export_gpkg(connection: Connection, period: Period, audience: Audience, out: Path, *, crs: int = 2154) -> list[str]:
    """Write the layers the audience may see to ``out``; return their names."""
    layers: dict[str, gpd.GeoDataFrame] = {"hexagones": _hexagons(connection, period, audience)}
    if audience.may(Layer.HOTSPOTS):
        hot = hotspot_frame(connection, period, audience, significant_only=True).astype({"count": "Int64"})
        hot["libelle"] = [class_label(code) for code in hot["class"]]  # what QGIS shows a French reader
        layers["points_chauds"] = gpd.GeoDataFrame(hot, geometry=[polygon(int(h, 16)) for h in hot["h3"]], crs=4326)
    if audience.may(Layer.ZONES):
        features = zones_geojson(connection, period, audience)["features"]
        layers["zones"] = gpd.GeoDataFrame(
            [_zone_fields(f["properties"]) for f in features],
            geometry=[shape(f["geometry"]) for f in features],
            crs=4326,
        )
    places = connection.execute(
        select(Place.kind, Place.name, func.ST_X(Place.geom), func.ST_Y(Place.geom)).where(
            audience.area(Place.geom).clause
        )
    ).all()
    layers["lieux"] = gpd.GeoDataFrame({"type": [p[0] for p in places], "nom": [p[1] for p in places]},
                                       geometry=[Point(p[2], p[3]) for p in places], crs=4326)  # fmt: skip
    layers["territoires"] = _territories(connection, audience)
    out.unlink(missing_ok=True)
    for name, frame in layers.items():
        frame.to_crs(crs).to_file(out, layer=name, driver="GPKG")
    logger.info("GeoPackage de %s écrit dans %s pour %s (%s) : %s", period.name, out, audience.name, audience.label,
                ", ".join(layers))  # fmt: skip
    return list(layers)
