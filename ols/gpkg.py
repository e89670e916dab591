"""GeoPackage export for the city's GIS team (QGIS): the period's layers as plain attribute tables.

Hexagons with their counts (suppressed and coarse for roles below the police), significant hot
spots, vigilance zones, sensitive places and territories, in Lambert-93 (EPSG:2154) or WGS84.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
from shapely.geometry import Point, shape
from sqlalchemy import Connection, text

from ols.grid import polygon, to_str
from ols.heatmap import HeatmapQuery, cell_counts
from ols.layers import hotspot_frame, zones_geojson
from ols.periods import Period
from ols.privacy import COARSE_ROLES, COARSEST_RESOLUTION_FOR_COARSE_ROLES, sees_zones, suppressed
from ols.users import Principal

CRS_CHOICES = (2154, 4326)


def _hexagons(connection: Connection, period: Period, user: Principal, threshold: int) -> gpd.GeoDataFrame:
    resolution = COARSEST_RESOLUTION_FOR_COARSE_ROLES if user.role in COARSE_ROLES else 9
    cells = cell_counts(connection, HeatmapQuery(period, resolution), user)
    hide = suppressed(user.role)
    counts = [None if hide and 0 < n < threshold else n for _, n in cells]
    return gpd.GeoDataFrame({
        "h3": to_str(c for c, _ in cells), "periode": period.name, "resolution": resolution, "faits": counts,
        "masque": [count is None for count in counts],
    }, geometry=[polygon(c) for c, _ in cells], crs=4326)  # fmt: skip


def export_gpkg(connection: Connection, period: Period, user: Principal, out: Path, *, crs: int = 2154,
                threshold: int = 5) -> list[str]:  # fmt: skip
    """Write the layers to ``out``; return their names."""
    layers: dict[str, gpd.GeoDataFrame] = {"hexagones": _hexagons(connection, period, user, threshold)}
    if user.role not in COARSE_ROLES:
        hot = hotspot_frame(connection, period, resolution=9, family=None)
        hot = hot[hot["class"] != "not_significant"].drop(columns=[] if not suppressed(user.role) else ["count"])
        layers["points_chauds"] = gpd.GeoDataFrame(hot, geometry=[polygon(int(h, 16)) for h in hot["h3"]], crs=4326)
    if sees_zones(user.role):
        features = zones_geojson(connection, period)["features"]
        layers["zones"] = gpd.GeoDataFrame(
            [{key: value for key, value in f["properties"].items() if key != "stats"} for f in features],
            geometry=[shape(f["geometry"]) for f in features],
            crs=4326,
        )
    places = connection.execute(text("SELECT kind, name, ST_X(geom), ST_Y(geom) FROM place")).all()
    layers["lieux"] = gpd.GeoDataFrame({"type": [p[0] for p in places], "nom": [p[1] for p in places]},
                                       geometry=[Point(p[2], p[3]) for p in places], crs=4326)  # fmt: skip
    territories = connection.execute(text("SELECT code, name, insee, ST_AsGeoJSON(geom) FROM territory")).all()
    layers["territoires"] = gpd.GeoDataFrame(
        {"code": [t[0] for t in territories], "nom": [t[1] for t in territories], "insee": [t[2] for t in territories]},
        geometry=[shape(json.loads(t[3])) for t in territories],
        crs=4326,
    )
    out.unlink(missing_ok=True)
    for name, frame in layers.items():
        frame.to_crs(crs).to_file(out, layer=name, driver="GPKG")
    return list(layers)
