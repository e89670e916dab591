"""The semester heatmap: events per H3 hexagon for a period, filtered, and cut for its audience.

Read from the cell counts a refresh built (never from raw events), through the audience
(:mod:`ols.access`): its categories, its territories, its resolutions, and for roles below the
police small counts hidden and the others rounded by their cell key. Every output that draws
hexagons (the API, vector tiles, OGC, GeoPackage, map exports) reads :func:`visible_cells`.
Class breaks for the legend travel in the metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from shapely.geometry import mapping
from sqlalchemy import BigInteger, Connection, cast, func, select

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.cartography.grid import polygon, to_str
from ols.periods import Period
from ols.store.models import CellCount, Source

CLASSES = 5


@dataclass(frozen=True)
class HeatmapQuery:
    """What a heatmap shows: period, grid (None: the audience's usual one) and filters."""

    period: Period
    resolution: int | None = None
    family: str | None = None
    category: str | None = None
    source: str | None = None


def visible_cells(connection: Connection, query: HeatmapQuery, audience: Audience) -> list[tuple[int, int]]:
    """(h3, count) of the cells with events, as the audience receives them.

    A cell whose count the audience may not see is left out, like a cell with no fact: for it, an
    absent cell means "fewer than the threshold".
    """
    audience.require(Layer.HEATMAP)
    audience.period(query.period)
    audience.category(query.category)
    total, keys = func.sum(CellCount.count), func.sum(CellCount.cell_key)
    statement = (
        select(CellCount.h3, cast(total, BigInteger), cast(keys, BigInteger))
        .where(
            CellCount.period == query.period.name,
            CellCount.resolution == audience.resolution(query.resolution),
            audience.facts(CellCount.__table__).clause,
        )
        .group_by(CellCount.h3)
        .order_by(CellCount.h3)
    )
    if query.family:
        statement = statement.where(CellCount.family == query.family)
    if query.category:
        statement = statement.where(CellCount.category == query.category)
    if query.source:
        source = select(Source.id).where(Source.code == query.source).scalar_subquery()
        statement = statement.where(CellCount.source_id == source)
    rows = connection.execute(statement).all()
    published = audience.publish(connection, [row[1] for row in rows], [row[2] for row in rows])
    return [(int(row[0]), int(count)) for row, count in zip(rows, published, strict=True) if count is not None]


def breaks(counts: list[int]) -> list[int]:
    """Upper bounds of quantile classes for the legend (distinct, increasing)."""
    if not counts:
        return []
    quantiles = np.quantile(np.asarray(counts), np.linspace(0, 1, CLASSES + 1)[1:])
    return sorted({int(np.ceil(value)) for value in quantiles})


def _metadata(query: HeatmapQuery, audience: Audience, cells: list[tuple[int, int]],
              refreshed_at: str) -> dict[str, Any]:  # fmt: skip
    return {
        "period": query.period.name, "label": query.period.label, "resolution": audience.resolution(query.resolution),
        "family": query.family, "category": query.category, "source": query.source,
        "suppression_threshold": audience.threshold if audience.suppressed else None,
        "rounded_to": audience.threshold if audience.suppressed else None,
        "breaks": breaks([count for _, count in cells]),
        "refreshed_at": refreshed_at, "cells": len(cells),
    }  # fmt: skip


def heatmap(connection: Connection, query: HeatmapQuery, audience: Audience, *, refreshed_at: str) -> dict[str, Any]:
    """The GeoJSON FeatureCollection of the heatmap, with its metadata."""
    cells = visible_cells(connection, query, audience)
    features = [{"type": "Feature", "geometry": mapping(polygon(cell)), "properties": {
        "h3": name, "count": count, "count_label": audience.count_label(count)}}
        for (cell, count), name in zip(cells, to_str(c for c, _ in cells), strict=True)]  # fmt: skip
    return {"type": "FeatureCollection", "metadata": _metadata(query, audience, cells, refreshed_at),
            "features": features}  # fmt: skip


def heatmap_cells(
    connection: Connection, query: HeatmapQuery, audience: Audience, *, refreshed_at: str
) -> dict[str, Any]:
    """The same heatmap as H3 ids and counts only (the map draws the hexagons itself: ten times lighter)."""
    cells = visible_cells(connection, query, audience)
    names = to_str(c for c, _ in cells)
    return {"metadata": _metadata(query, audience, cells, refreshed_at),
            "cells": [[name, count] for name, (_, count) in zip(names, cells, strict=True)]}  # fmt: skip
