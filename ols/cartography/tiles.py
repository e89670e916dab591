"""Mapbox vector tiles of the heatmap and zones layers, built by PostGIS (``ST_AsMVT``).

Both layers are cut for the caller's audience: the heatmap tile reuses the heatmap's own counts,
the zones tile the zones the audience may see. The heatmap's cells are joined to the stored
hexagons of ``h3_cell``, which every refresh fills for its study areas (this PostGIS has no H3
functions).
"""

from __future__ import annotations

from collections.abc import Iterable

from shapely import to_wkb
from sqlalchemy import Connection, text

from ols.access.audience import Audience
from ols.cartography.grid import polygon
from ols.cartography.heatmap import HeatmapQuery, visible_cells
from ols.cartography.layers import visible_zones
from ols.periods import Period

ENVELOPE = "ST_TileEnvelope(:z, :x, :y)"


def store_cells(connection: Connection, cells: Iterable[int], resolution: int) -> int:
    """Add the hexagons of cells not stored yet; return how many were added."""
    wanted = sorted({int(cell) for cell in cells})
    known = set(connection.execute(text("SELECT h3 FROM h3_cell WHERE h3 = ANY(:cells)"), {"cells": wanted}).scalars())
    new = [cell for cell in wanted if cell not in known]
    if new:
        connection.execute(
            text("INSERT INTO h3_cell (h3, resolution, geom) VALUES (:h3, :resolution, ST_GeomFromWKB(:wkb, 4326)) "
                 "ON CONFLICT (h3) DO NOTHING"),
            [{"h3": cell, "resolution": resolution, "wkb": to_wkb(polygon(cell))} for cell in new],
        )  # fmt: skip
    return len(new)


def heatmap_tile(connection: Connection, z: int, x: int, y: int, query: HeatmapQuery, audience: Audience) -> bytes:
    """The ``heatmap`` layer of one tile: the audience's heatmap cells (:func:`~.heatmap.visible_cells`)."""
    visible = visible_cells(connection, query, audience)
    cells = [cell for cell, _ in visible]
    counts = [count for _, count in visible]
    labels = [audience.count_label(count) for count in counts]
    row = connection.execute(
        text(
            "WITH counts AS (SELECT * FROM unnest(CAST(:cells AS bigint[]), CAST(:counts AS int[]), "
            "CAST(:labels AS text[])) AS c(h3, count, count_label)), "
            f"tile AS (SELECT ST_AsMVTGeom(ST_Transform(g.geom, 3857), {ENVELOPE}) AS geom, "
            "to_hex(c.h3) AS h3, c.count, c.count_label FROM counts c JOIN h3_cell g USING (h3) "
            f"WHERE g.geom && ST_Transform({ENVELOPE}, 4326)) "
            "SELECT ST_AsMVT(tile, 'heatmap') FROM tile"
        ),
        {"z": z, "x": x, "y": y, "cells": cells, "counts": counts, "labels": labels},
    ).scalar_one()
    return bytes(row or b"")


def zones_tile(connection: Connection, z: int, x: int, y: int, period: Period, audience: Audience) -> bytes:
    """The ``zones`` layer of one tile: the zones the audience may see (:func:`~.layers.visible_zones`)."""
    ids = [row.id for row in visible_zones(connection, period, audience)]
    row = connection.execute(
        text(
            f"WITH tile AS (SELECT ST_AsMVTGeom(ST_Transform(geom, 3857), {ENVELOPE}) AS geom, code, name, kind "
            f"FROM zone WHERE id = ANY(:ids) AND geom && ST_Transform({ENVELOPE}, 4326)) "
            "SELECT ST_AsMVT(tile, 'zones') FROM tile"
        ),
        {"z": z, "x": x, "y": y, "ids": ids},
    ).scalar_one()
    return bytes(row or b"")
