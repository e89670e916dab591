"""The Gi* layers of a refresh: per resolution, scope, family and measure, guarded against sparse data.

Facts and a service's activity are analysed apart (``measure``, :mod:`ols.nomenclature`): the
default layers, the computed zones and the emerging trends are the facts', the activity layers
are computed beside them (when some activity was counted) and labelled as such. Each layer is
stored cell by cell in ``hotspot`` (the cell's signalements, the facts of its neighbourhood, z,
p, FDR p and class) and described in ``hotspot_layer`` (computed, or why not:
:mod:`ols.cartography.guards`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from sqlalchemy import Connection, delete, func, insert, literal, select

from ols.access.audience import SCOPES, SENSITIVE_CATEGORIES, Scope
from ols.cartography import aggregates
from ols.cartography.grid import study_area, weights
from ols.cartography.guards import INSUFFICIENT, LayerGuard, neighbourhoods
from ols.cartography.hotspots import gi_star
from ols.cartography.tiles import store_cells
from ols.nomenclature import CATEGORY_BY_CODE, MEASURES
from ols.settings import CartographySettings
from ols.store.models import CellCount, Hotspot, HotspotLayer

ALL_FAMILIES = "*"
COARSE_RESOLUTION = 8
SENSITIVE_FAMILIES = frozenset({ALL_FAMILIES, *(CATEGORY_BY_CODE[code].family for code in SENSITIVE_CATEGORIES)})
HOTSPOT_COPY = (
    "COPY hotspot (period, scope, resolution, family, measure, h3, count, neighbourhood, z, p, p_fdr, class) FROM STDIN"
)
LayerKey = tuple[str, Scope, int, str, str]  # period, scope, resolution, family, measure


def resolutions(settings: CartographySettings) -> list[int]:
    """Resolutions of the hot spots: the configured ones, the zones', and the coarse grid every reader may see."""
    return sorted({*settings.hotspot_resolutions, settings.zone_resolution, COARSE_RESOLUTION})


def _families(connection: Connection, period: str) -> dict[tuple[Scope, str], list[str]]:
    """The families with facts (or activity) in the period, per scope and measure."""
    rows = connection.execute(
        select(CellCount.measure, CellCount.family, func.bool_or(CellCount.category.not_in(SENSITIVE_CATEGORIES)))
        .where(CellCount.period == period, CellCount.count > 0)
        .group_by(CellCount.measure, CellCount.family)
        .order_by(CellCount.measure, CellCount.family)
    ).all()  # fmt: skip
    found: dict[tuple[Scope, str], list[str]] = {(scope, m): [] for scope in SCOPES for m in MEASURES}
    for measure, family, has_open in rows:
        found[("full", measure)].append(family)
        if has_open:
            found[("open", measure)].append(family)
    return found


def _none(values: np.ndarray) -> list[float | None]:
    return [None if np.isnan(value) else float(value) for value in np.asarray(values, dtype=float)]


def _store(
    connection: Connection, key: LayerKey, cells: np.ndarray, columns: dict[str, Any], guard: LayerGuard
) -> None:
    """Write one layer's cells with COPY (thousands of rows per layer) and its description."""
    raw = connection.connection.driver_connection
    assert raw is not None
    rows = zip(cells.tolist(), np.asarray(columns["counts"]).tolist(), columns["neighbourhood"].tolist(),
               _none(columns["z"]), _none(columns["p"]), _none(columns["p_fdr"]), columns["classes"].tolist(),
               strict=True)  # fmt: skip
    with raw.cursor() as cursor, cursor.copy(HOTSPOT_COPY) as copy:
        for row in rows:
            copy.write_row((*key, *row))
    period, scope, resolution, family, measure = key
    guarded = int((columns["classes"] == INSUFFICIENT).sum()) if guard.status != INSUFFICIENT else len(cells)
    connection.execute(insert(HotspotLayer).values(
        period=period, scope=scope, resolution=resolution, family=family, measure=measure, status=guard.status,
        facts=guard.facts, min_facts=guard.min_facts, min_neighbourhood=guard.min_neighbourhood,
        guarded_cells=guarded, reason=guard.reason,
    ))  # fmt: skip


def _copy_open(connection: Connection, period: str, resolution: int, family: str, measure: str) -> None:
    """A family without sensitive categories has the same open hot spots as full ones: copy them."""
    for table in (Hotspot, HotspotLayer):
        kept = [column for column in table.__table__.columns if column.name != "scope"]
        same = select(literal("open"), *kept).where(
            table.period == period, table.scope == "full", table.resolution == resolution,
            table.family == family, table.measure == measure,
        )  # fmt: skip
        connection.execute(insert(table).from_select(["scope", *(column.name for column in kept)], same))


Columns = dict[str, Any]


def gi_layer(
    cells: np.ndarray, counts: np.ndarray, w: Any, settings: CartographySettings
) -> tuple[Columns, LayerGuard]:
    """Gi* of one layer's counts, its classes guarded against sparse data, and the layer's guard."""
    guard = LayerGuard(int(counts.sum()), settings.hotspot_min_facts, settings.hotspot_min_neighbourhood)
    around = neighbourhoods(counts, w)
    if guard.status == INSUFFICIENT:
        empty = np.full(len(cells), np.nan)
        classes = np.full(len(cells), INSUFFICIENT, dtype=object)
        return {"counts": counts, "neighbourhood": around, "z": empty, "p": empty, "p_fdr": empty,
                "classes": classes}, guard  # fmt: skip
    result = gi_star(cells, counts, permutations=settings.permutations, w=w)
    return {"counts": counts, "neighbourhood": around, "z": result.z, "p": result.p, "p_fdr": result.p_fdr,
            "classes": guard.classes(result.classes, around)}, guard  # fmt: skip


def _resolution_layers(
    connection: Connection, period: str, resolution: int, area: shapely.Geometry, settings: CartographySettings
) -> dict[str, Any]:
    """Every layer of one resolution; the summary of the facts' all-families full layer."""
    table = aggregates.cell_table(connection, period, resolution, sensitive=SENSITIVE_CATEGORIES)
    cells = study_area(area, resolution, table["h3"].unique())
    store_cells(connection, cells, resolution)
    w = weights(cells)
    families = _families(connection, period)
    summary: dict[str, Any] = {}
    for measure in MEASURES:
        for scope in SCOPES:
            found = families[(scope, measure)]
            for family in [ALL_FAMILIES, *found] if found or measure == "facts" else []:
                if scope == "open" and family not in SENSITIVE_FAMILIES:
                    _copy_open(connection, period, resolution, family, measure)
                    continue
                kept = table[(table["measure"] == measure) & ((family == ALL_FAMILIES) | (table["family"] == family))]
                totals = (kept if scope == "full" else kept[~kept["sensitive"]]).groupby("h3")["count"].sum()
                columns, guard = gi_layer(cells, totals.reindex(cells, fill_value=0).to_numpy(), w, settings)
                _store(connection, (period, scope, resolution, family, measure), cells, columns, guard)
                if (measure, scope, family) == ("facts", "full", ALL_FAMILIES):
                    classes, counted = np.unique(columns["classes"], return_counts=True)
                    summary = {"classes": {str(c): int(n) for c, n in zip(classes, counted, strict=True)},
                               "status": guard.status, "facts": guard.facts, "reason": guard.reason}  # fmt: skip
    return summary


def hotspots(
    connection: Connection, period: str, area: shapely.Geometry, settings: CartographySettings
) -> dict[str, dict[str, Any]]:
    """Gi* layers of the period at every resolution; per resolution, the facts' all-families full layer's summary."""
    connection.execute(delete(Hotspot).where(Hotspot.period == period))
    connection.execute(delete(HotspotLayer).where(HotspotLayer.period == period))
    return {f"r{resolution}": _resolution_layers(connection, period, resolution, area, settings)
            for resolution in resolutions(settings)}  # fmt: skip
