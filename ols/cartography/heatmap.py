"""The semester heatmap: signalements per H3 hexagon for a period, filtered, and cut for its audience.

Read from the cell counts a refresh built (never from raw events), through the audience
(:mod:`ols.access`): its categories, its territories, its resolutions, and for roles below the
police small counts hidden and the others rounded by their cell key. Every output that draws
hexagons (the API, vector tiles, OGC, GeoPackage, map exports) reads :func:`visible_cells`.

By default a map counts facts (``measure="facts"``), each event once however many partners
reported it (:mod:`ols.merging`); ``measure="activity"`` maps a service's activity instead,
labelled as such. Filtered on one partner, a map counts that partner's own facts, those merged
into another partner's signalement included. The metadata says how many facts were merged and
from which partners, with the class breaks for the legend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from shapely.geometry import mapping
from sqlalchemy import BigInteger, Connection, Select, cast, func, select

from ols.access.audience import Audience
from ols.access.disclosure import MODULUS
from ols.access.roles import Layer
from ols.cartography.grid import polygon, to_str
from ols.nomenclature import MEASURE_LABELS, Measure
from ols.periods import Period
from ols.store.models import CellCount, Source

CLASSES = 5
SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True)
class HeatmapQuery:
    """What a heatmap shows: period, grid (None: the audience's usual one) and filters."""

    period: Period
    resolution: int | None = None
    family: str | None = None
    category: str | None = None
    source: str | None = None
    measure: Measure = "facts"


def _filtered(statement: SelectT, query: HeatmapQuery, audience: Audience) -> SelectT:
    """The cell counts of the query's period, grid, measure and filters that the audience may count."""
    statement = statement.where(
        CellCount.period == query.period.name,
        CellCount.resolution == audience.resolution(query.resolution),
        CellCount.measure == query.measure,
        audience.facts(CellCount.__table__).clause,
    )
    if query.family:
        statement = statement.where(CellCount.family == query.family)
    if query.category:
        statement = statement.where(CellCount.category == query.category)
    if query.source:
        source = select(Source.id).where(Source.code == query.source).scalar_subquery()
        statement = statement.where(CellCount.source_id == source)
    return statement


def visible_cells(connection: Connection, query: HeatmapQuery, audience: Audience) -> list[tuple[int, int]]:
    """(h3, count) of the cells with facts (or activity), as the audience receives them.

    A cell whose count the audience may not see is left out, like a cell with nothing counted: for
    it, an absent cell means "fewer than the threshold".
    """
    audience.require(Layer.HEATMAP)
    audience.period(query.period)
    audience.category(query.category)
    own = query.source is not None  # a partner's own facts, merged into another's signalement or not
    counted = CellCount.count + CellCount.merged if own else CellCount.count
    keys = CellCount.cell_key + CellCount.merged_key if own else CellCount.cell_key
    total = func.sum(counted)
    statement = _filtered(select(CellCount.h3, cast(total, BigInteger), cast(func.sum(keys), BigInteger)), query,
                          audience).group_by(CellCount.h3).having(total > 0).order_by(CellCount.h3)  # fmt: skip
    rows = connection.execute(statement).all()
    published = audience.publish(connection, [row[1] for row in rows], [row[2] for row in rows])
    return [(int(row[0]), int(count)) for row, count in zip(rows, published, strict=True) if count is not None]


def merge_summary(connection: Connection, query: HeatmapQuery, audience: Audience) -> dict[str, Any]:
    """What the counts hold, as the audience receives it: facts sent, signalements counted, facts merged into
    another partner's signalement, and those merged per partner."""
    rows: list[tuple[Any, ...]] = [tuple(row) for row in connection.execute(
        _filtered(select(Source.code, func.sum(CellCount.count), func.sum(CellCount.cell_key),
                         func.sum(CellCount.merged), func.sum(CellCount.merged_key)), query, audience)
        .join_from(CellCount, Source, Source.id == CellCount.source_id)
        .group_by(Source.code)
        .order_by(Source.code)
    )]  # fmt: skip
    led, led_keys = sum(int(r[1]) for r in rows), sum(int(r[2]) for r in rows) % MODULUS
    merged, merged_keys = sum(int(r[3]) for r in rows), sum(int(r[4]) for r in rows) % MODULUS
    totals = audience.publish(connection, [led, led + merged, merged],
                              [led_keys, (led_keys + merged_keys) % MODULUS, merged_keys])  # fmt: skip
    partners = audience.publish(connection, [int(r[3]) for r in rows], [int(r[4]) % MODULUS for r in rows])
    return {"signalements": totals[0], "facts": totals[1], "merged": totals[2],
            "merged_by_partner": {str(r[0]): n for r, n in zip(rows, partners, strict=True)}}  # fmt: skip


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
        "measure": query.measure, "measure_label": MEASURE_LABELS[query.measure],
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
    metadata = _metadata(query, audience, cells, refreshed_at) | merge_summary(connection, query, audience)
    return {"type": "FeatureCollection", "metadata": metadata, "features": features}


def heatmap_cells(
    connection: Connection, query: HeatmapQuery, audience: Audience, *, refreshed_at: str
) -> dict[str, Any]:
    """The same heatmap as H3 ids and counts only (the map draws the hexagons itself: ten times lighter)."""
    cells = visible_cells(connection, query, audience)
    names = to_str(c for c, _ in cells)
    return {"metadata": _metadata(query, audience, cells, refreshed_at) | merge_summary(connection, query, audience),
            "cells": [[name, count] for name, (_, count) in zip(names, cells, strict=True)]}  # fmt: skip
