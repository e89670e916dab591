"""The semester heatmap: events per H3 hexagon for a period, filtered, scoped and suppressed.

Read from the cell counts a refresh built (never from raw events), restricted to the caller's
territories, without the sensitive categories for roles below the police, and with small counts
suppressed for them (:mod:`ols.privacy`). Class breaks for the legend travel in the metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from shapely.geometry import mapping
from sqlalchemy import Connection, text

from ols.errors import InvalidInputError
from ols.grid import polygon, to_str
from ols.periods import Period
from ols.privacy import allowed_resolution, excluded_categories, suppress_count, suppressed
from ols.users import Principal

CLASSES = 5


@dataclass(frozen=True)
class HeatmapQuery:
    """What a heatmap shows: period, grid and filters."""

    period: Period
    resolution: int = 9
    family: str | None = None
    category: str | None = None
    source: str | None = None


def cell_counts(connection: Connection, query: HeatmapQuery, principal: Principal) -> list[tuple[int, int]]:
    """(h3, events) of the cells with events, as the principal may see them."""
    if not allowed_resolution(principal.role, query.resolution):
        msg = f"role {principal.role} only gets resolution 8 or coarser"
        raise PermissionError(msg)
    if query.resolution not in (8, 9, 10):
        msg = "resolution must be 8, 9 or 10"
        raise InvalidInputError(msg)
    sql = ("SELECT c.h3, sum(c.count)::int FROM cell_count c JOIN territory t ON t.id = c.territory_id "
           "JOIN source s ON s.id = c.source_id WHERE c.period = :period AND c.resolution = :resolution")  # fmt: skip
    params: dict[str, Any] = {"period": query.period.name, "resolution": query.resolution}
    for column, value in (("c.family", query.family), ("c.category", query.category), ("s.code", query.source)):
        if value:
            key = column.split(".")[1]
            sql += f" AND {column} = :{key}"
            params[key] = value
    if excluded := excluded_categories(principal.role):
        sql += " AND NOT (c.category = ANY(:excluded))"
        params["excluded"] = list(excluded)
    if principal.territories:
        sql += " AND t.code = ANY(:territories)"
        params["territories"] = list(principal.territories)
    return [(int(h3), int(n)) for h3, n in connection.execute(text(sql + " GROUP BY c.h3 ORDER BY c.h3"), params)]


def breaks(counts: list[int]) -> list[int]:
    """Upper bounds of quantile classes for the legend (distinct, increasing)."""
    if not counts:
        return []
    quantiles = np.quantile(np.asarray(counts), np.linspace(0, 1, CLASSES + 1)[1:])
    return sorted({int(np.ceil(value)) for value in quantiles})


def _visible(
    connection: Connection, query: HeatmapQuery, principal: Principal, threshold: int
) -> tuple[list[tuple[str, dict[str, Any]]], list[int], bool]:
    cells = cell_counts(connection, query, principal)
    hide = suppressed(principal.role)
    shown = [(name, suppress_count(count, threshold) if hide else
              {"count": count, "count_label": str(count), "suppressed": False})
             for name, (_, count) in zip(to_str(c for c, _ in cells), cells, strict=True)]  # fmt: skip
    visible = [count for _, count in cells if not hide or count >= threshold]
    return shown, visible, hide


def _metadata(
    query: HeatmapQuery, visible: list[int], hide: bool, threshold: int, refreshed_at: str, size: int
) -> dict[str, Any]:
    return {
        "period": query.period.name, "label": query.period.label, "resolution": query.resolution,
        "family": query.family, "category": query.category, "source": query.source,
        "suppression_threshold": threshold if hide else None, "breaks": breaks(visible),
        "refreshed_at": refreshed_at, "cells": size,
    }  # fmt: skip


def heatmap(
    connection: Connection, query: HeatmapQuery, principal: Principal, *, threshold: int, refreshed_at: str
) -> dict[str, Any]:
    """The GeoJSON FeatureCollection of the heatmap, with its metadata."""
    shown, visible, hide = _visible(connection, query, principal, threshold)
    features = [{"type": "Feature", "geometry": mapping(polygon(int(name, 16))), "properties": {"h3": name, **counts}}
                for name, counts in shown]  # fmt: skip
    metadata = _metadata(query, visible, hide, threshold, refreshed_at, len(shown))
    return {"type": "FeatureCollection", "metadata": metadata, "features": features}


def heatmap_cells(
    connection: Connection, query: HeatmapQuery, principal: Principal, *, threshold: int, refreshed_at: str
) -> dict[str, Any]:
    """The same heatmap as H3 ids and counts only (the map draws the hexagons itself: ten times lighter)."""
    shown, visible, hide = _visible(connection, query, principal, threshold)
    return {"metadata": _metadata(query, visible, hide, threshold, refreshed_at, len(shown)),
            "cells": [[name, counts["count"]] for name, counts in shown]}  # fmt: skip
