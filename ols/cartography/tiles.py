"""Mapbox vector tiles of the heatmap, zones and streets layers, built by PostGIS (``ST_AsMVT``).

The heatmap and zones layers are cut for the caller's audience: the heatmap tile reuses the
heatmap's own counts, the zones tile the zones the audience may see. The streets (reference data,
the offline base map) are the same for every reader: one feature per street segment, minor roads
only when zoomed in (:data:`STREET_ZOOMS`), so that a tile of a whole town stays small. The
heatmap's cells are joined to the stored hexagons of ``h3_cell``, which every refresh fills for its
study areas (this PostGIS has no H3 functions).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from geoalchemy2.shape import from_shape
from sqlalchemy import BigInteger, Connection, any_, literal, select, text
from sqlalchemy.dialects.postgresql import ARRAY, insert

from ols.access.audience import Audience
from ols.cartography.grid import polygon
from ols.cartography.heatmap import HeatmapQuery, visible_cells
from ols.cartography.layers import visible_zones
from ols.periods import Period
from ols.store.models import Cell

logger = logging.getLogger(__name__)

# Tiles stay SQL text: ST_AsMVT aggregates whole rows of a subquery, which Core has no form for.
HEATMAP_TILE = text(
    "WITH counts AS (SELECT * FROM unnest(CAST(:cells AS bigint[]), CAST(:counts AS int[]), "
    "CAST(:labels AS text[])) AS c(h3, count, count_label)), "
    "tile AS (SELECT ST_AsMVTGeom(ST_Transform(g.geom, 3857), ST_TileEnvelope(:z, :x, :y)) AS geom, "
    "to_hex(c.h3) AS h3, c.count, c.count_label FROM counts c JOIN h3_cell g USING (h3) "
    "WHERE g.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326)) "
    "SELECT ST_AsMVT(tile, 'heatmap') FROM tile"
)
# A reader cut to an area (``clip``, WKT) gets each zone drawn within it (Audience.clip's rule, as a bound value).
ZONES_TILE = text(
    "WITH cut AS (SELECT id, code, name, kind, CASE WHEN CAST(:clip AS text) IS NULL THEN geom ELSE "
    "ST_Intersection(geom, ST_GeomFromText(CAST(:clip AS text), 4326)) END AS geom FROM zone WHERE id = ANY(:ids) "
    "AND geom && ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326)), "
    "tile AS (SELECT ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(:z, :x, :y)) AS geom, code, name, kind "
    "FROM cut) SELECT ST_AsMVT(tile, 'zones') FROM tile"
)

# A two-way street is stored as two directed edges (u→v and v→u): the tile draws the one with u <= v.
STREETS_TILE = text(
    "WITH tile AS (SELECT ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(:z, :x, :y)) AS geom, name, "
    "COALESCE(highway, 'road') AS highway FROM street_edge "
    "WHERE geom && ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326) AND (oneway OR u <= v) "
    "AND (CAST(:every AS boolean) OR COALESCE(highway, 'road') = ANY(CAST(:classes AS text[])))) "
    "SELECT ST_AsMVT(tile, 'streets') FROM tile WHERE geom IS NOT NULL"
)
# The zoom from which each OSM highway class is drawn (a class not named here: from EVERY_ROAD_ZOOM).
STREET_ZOOMS = {
    **dict.fromkeys(("motorway", "trunk", "primary", "motorway_link", "trunk_link", "primary_link"), 0),
    **dict.fromkeys(("secondary", "tertiary", "secondary_link", "tertiary_link"), 12),
    **dict.fromkeys(("residential", "unclassified", "living_street", "road"), 13),
    "pedestrian": 14,
}
EVERY_ROAD_ZOOM = 15


def store_cells(connection: Connection, cells: Iterable[int], resolution: int) -> int:
    """Add the hexagons of cells not stored yet; return how many were added."""
    wanted = sorted({int(cell) for cell in cells})
    stored = select(Cell.h3).where(Cell.h3 == any_(literal(wanted, ARRAY(BigInteger))))
    known = set(connection.execute(stored).scalars())
    new = [cell for cell in wanted if cell not in known]
    if new:
        connection.execute(
            insert(Cell).on_conflict_do_nothing(index_elements=[Cell.h3]),
            [{"h3": cell, "resolution": resolution, "geom": from_shape(polygon(cell), srid=4326)} for cell in new],
        )
    logger.debug("hexagones de maille %d ajoutés : %d", resolution, len(new))
    return len(new)


def heatmap_tile(connection: Connection, z: int, x: int, y: int, query: HeatmapQuery, audience: Audience) -> bytes:
    """The ``heatmap`` layer of one tile: the audience's heatmap cells (:func:`~.heatmap.visible_cells`)."""
    visible = visible_cells(connection, query, audience)
    cells = [cell for cell, _ in visible]
    counts = [count for _, count in visible]
    labels = [audience.count_label(count) for count in counts]
    row = connection.execute(
        HEATMAP_TILE, {"z": z, "x": x, "y": y, "cells": cells, "counts": counts, "labels": labels}
    ).scalar_one()
    return bytes(row or b"")


def zones_tile(connection: Connection, z: int, x: int, y: int, period: Period, audience: Audience) -> bytes:
    """The ``zones`` layer of one tile: the zones the audience may see (:func:`~.layers.visible_zones`)."""
    ids = [row.id for row in visible_zones(connection, period, audience)]
    area = None if audience.reach.whole else audience.reach.geometry(connection)
    clip = None if area is None else area.wkt
    row = connection.execute(ZONES_TILE, {"z": z, "x": x, "y": y, "ids": ids, "clip": clip}).scalar_one()
    return bytes(row or b"")


def streets_tile(connection: Connection, z: int, x: int, y: int) -> bytes:
    """The ``streets`` layer of one tile: each street segment once, with its ``name`` and ``highway`` class."""
    classes = [name for name, zoom in STREET_ZOOMS.items() if z >= zoom]
    every = z >= EVERY_ROAD_ZOOM
    row = connection.execute(STREETS_TILE, {"z": z, "x": x, "y": y, "classes": classes, "every": every}).scalar_one()
    return bytes(row or b"")
