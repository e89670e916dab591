"""Mapbox vector tiles of the heatmap and zones layers, built by PostGIS (``ST_AsMVT``).

The heatmap tile reuses the heatmap's own counts (already scoped and suppressed for the caller)
and joins them to the stored hexagons of ``h3_cell``, which every refresh fills for its study
areas (this PostGIS has no H3 functions).
"""

from __future__ import annotations

from collections.abc import Iterable

from shapely import to_wkb
from sqlalchemy import Connection, text

from ols.grid import polygon
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


def heatmap_tile(
    connection: Connection, z: int, x: int, y: int, cells: list[int], counts: list[int | None], labels: list[str]
) -> bytes:
    """The ``heatmap`` layer of one tile from already-prepared cell counts."""
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


def zones_tile(connection: Connection, z: int, x: int, y: int, period: Period) -> bytes:
    """The ``zones`` layer of one tile: computed zones of the period and declared zones."""
    row = connection.execute(
        text(
            f"WITH tile AS (SELECT ST_AsMVTGeom(ST_Transform(geom, 3857), {ENVELOPE}) AS geom, code, name, kind "
            f"FROM zone WHERE (kind = 'declared' OR period = :period) AND geom && ST_Transform({ENVELOPE}, 4326)) "
            "SELECT ST_AsMVT(tile, 'zones') FROM tile"
        ),
        {"z": z, "x": x, "y": y, "period": period.name},
    ).scalar_one()
    return bytes(row or b"")
