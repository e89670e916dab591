"""The semester refresh: aggregates, hot spots, emerging hot spots and computed zones of a period.

Everything a period shows is rebuilt in one transaction, so the map never shows half a refresh.
The summary says what was counted, where the significant hot spots and the zones are, and how
(the method block travels with every output).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import Connection, Engine, delete, func, insert, literal, select

from ols.access.audience import SCOPES, SENSITIVE_CATEGORIES, Scope
from ols.cartography import aggregates
from ols.cartography.emerging import ALPHA as EMERGING_ALPHA
from ols.cartography.emerging import classify_series
from ols.cartography.grid import study_area, weights
from ols.cartography.hotspots import GiStar, gi_star, method
from ols.cartography.tiles import store_cells
from ols.cartography.zones import HOT_CLASSES, TO_L93, hot_clusters, reproject, save_computed
from ols.nomenclature import CATEGORY_BY_CODE
from ols.periods import Period, semesters_until
from ols.reference.calendar import calendar_of
from ols.settings import CartographySettings, cartography_settings
from ols.store.models import CellCount, EmergingHotspot, Hotspot, Place, Refresh, Source, Territory, Zone

ALL_FAMILIES = "*"
COARSE_RESOLUTION = 8
NO_PATTERN = ("no_pattern", float("nan"), float("nan"), 0, 0)
SENSITIVE_FAMILIES = frozenset({ALL_FAMILIES, *(CATEGORY_BY_CODE[code].family for code in SENSITIVE_CATEGORIES)})
HOTSPOT_COPY = "COPY hotspot (period, scope, resolution, family, h3, count, z, p, p_fdr, class) FROM STDIN"
logger = logging.getLogger(__name__)


@dataclass
class Context:
    """What a refresh reads once: the territory outline and the named places."""

    area: shapely.Geometry
    places: list[tuple[str, shapely.Point]]

    @classmethod
    def load(cls, connection: Connection) -> Context:
        """The union of the territories and the places, from the database."""
        geoms = [to_shape(geom) for geom in connection.execute(select(Territory.geom)).scalars()]
        places = [(name, to_shape(geom)) for name, geom in connection.execute(select(Place.name, Place.geom))]
        return cls(area=shapely.union_all(geoms), places=places)

    def nearest_place(self, geom: shapely.Geometry) -> str | None:
        """Name of the named place nearest to a zone, with the distance in metres."""
        if not self.places:
            return None
        centre = reproject(geom.representative_point(), TO_L93)
        metres, name = min((reproject(point, TO_L93).distance(centre), name) for name, point in self.places)
        return f"{name} (~{round(metres, -1):.0f} m)"


def _store_hotspots(
    connection: Connection, period: str, scope: Scope, resolution: int, family: str, result: GiStar
) -> None:
    """Write one Gi* result with COPY (raw psycopg: thousands of rows per family, scope and resolution)."""
    raw = connection.connection.driver_connection
    assert raw is not None
    rows = zip(result.cells.tolist(), np.asarray(result.counts).tolist(), result.z.tolist(), result.p.tolist(),
               result.p_fdr.tolist(), result.classes.tolist(), strict=True)  # fmt: skip
    with raw.cursor() as cursor, cursor.copy(HOTSPOT_COPY) as copy:
        for cell, count, z, p, p_fdr, name in rows:
            copy.write_row((period, scope, resolution, family, cell, count, z, p, p_fdr, name))


def _copy_hotspots(connection: Connection, period: str, resolution: int, family: str) -> None:
    """A family without sensitive categories has the same open hot spots as full ones: copy them."""
    columns = (Hotspot.h3, Hotspot.count, Hotspot.z, Hotspot.p, Hotspot.p_fdr, Hotspot.hotspot_class)
    full = select(Hotspot.period, literal("open"), Hotspot.resolution, Hotspot.family, *columns).where(
        Hotspot.period == period, Hotspot.scope == "full", Hotspot.resolution == resolution, Hotspot.family == family
    )
    keys = (Hotspot.period, Hotspot.scope, Hotspot.resolution, Hotspot.family, *columns)
    connection.execute(insert(Hotspot).from_select(keys, full))


def resolutions(settings: CartographySettings) -> list[int]:
    """Resolutions of the hot spots: the configured ones, the zones', and the coarse grid every reader may see."""
    return sorted({*settings.hotspot_resolutions, settings.zone_resolution, COARSE_RESOLUTION})


def zone_sets(settings: CartographySettings) -> list[tuple[Scope, int, str]]:
    """(scope, resolution, code letter) of each set of computed zones."""
    grid = settings.zone_resolution
    sets: list[tuple[Scope, int, str]] = [("full", grid, "Z"), ("open", grid, "O")]
    if grid > COARSE_RESOLUTION:
        sets.append(("open", COARSE_RESOLUTION, "C"))
    return sets


def _families(connection: Connection, period: str) -> dict[Scope, list[str]]:
    """The families with facts in the period, in each scope."""
    rows = connection.execute(
        select(CellCount.family, func.bool_or(CellCount.category.not_in(SENSITIVE_CATEGORIES)))
        .where(CellCount.period == period)
        .group_by(CellCount.family)
        .order_by(CellCount.family)
    ).all()
    return {"full": [family for family, _ in rows], "open": [family for family, has_open in rows if has_open]}


def hotspots(connection: Connection, period: Period, context: Context, settings: CartographySettings) -> dict[str, Any]:
    """Gi* for all families together and each family, per scope, at every resolution.

    A family without sensitive categories has the same hot spots in both scopes: they are copied.
    """
    connection.execute(delete(Hotspot).where(Hotspot.period == period.name))
    significant: dict[str, Any] = {}
    families = _families(connection, period.name)
    for resolution in resolutions(settings):
        table = aggregates.cell_table(connection, period.name, resolution, sensitive=SENSITIVE_CATEGORIES)
        cells = study_area(context.area, resolution, table["h3"].unique())
        store_cells(connection, cells, resolution)
        w = weights(cells)
        for scope in SCOPES:
            for family in [ALL_FAMILIES, *families[scope]]:
                if scope == "open" and family not in SENSITIVE_FAMILIES:
                    _copy_hotspots(connection, period.name, resolution, family)
                    continue
                kept = table[(family == ALL_FAMILIES) | (table["family"] == family)]
                totals = (kept if scope == "full" else kept[~kept["sensitive"]]).groupby("h3")["count"].sum()
                counts = totals.reindex(cells, fill_value=0).to_numpy()
                result = gi_star(cells, counts, permutations=settings.permutations, w=w)
                _store_hotspots(connection, period.name, scope, resolution, family, result)
                if family == ALL_FAMILIES and scope == "full":
                    classes, counted = np.unique(result.classes, return_counts=True)
                    significant[f"r{resolution}"] = {str(c): int(n) for c, n in zip(classes, counted, strict=True)}
    return significant


def _emerging_rows(
    period: Period, cells: np.ndarray, series: list[pd.Series], settings: CartographySettings, scope: Scope, w: Any
) -> list[dict[str, Any]]:
    resolution = settings.zone_resolution
    results = [gi_star(cells, s.reindex(cells, fill_value=0).to_numpy(), permutations=settings.permutations, w=w)
               for s in series]  # fmt: skip
    z = np.vstack([r.z for r in results])
    p = np.vstack([r.p_fdr for r in results])
    ever = ((p <= EMERGING_ALPHA) & (z != 0)).any(axis=0)  # a cell never significant has no pattern: skip the test
    rows = []
    for index, cell in enumerate(cells):
        pattern, tau, trend_p, hot, cold = classify_series(z[:, index], p[:, index]) if ever[index] else NO_PATTERN
        rows.append({"period": period.name, "scope": scope, "resolution": resolution, "family": ALL_FAMILIES,
                     "h3": int(cell), "pattern": pattern, "trend_tau": None if np.isnan(tau) else tau,
                     "trend_p": None if np.isnan(trend_p) else trend_p, "hot_periods": hot,
                     "cold_periods": cold})  # fmt: skip
    return rows


def emerging(connection: Connection, period: Period, context: Context, settings: CartographySettings) -> dict[str, int]:
    """Emerging hot-spot patterns of all families over the last semesters, per scope (semesters only)."""
    connection.execute(delete(EmergingHotspot).where(EmergingHotspot.period == period.name))
    if period.kind != "semester":
        return {}
    found: dict[str, int] = {}
    timezone = calendar_of(connection).timezone
    series = [aggregates.live_scope_totals(connection, semester, settings.zone_resolution, timezone=timezone,
                                           excluded=SENSITIVE_CATEGORIES)
              for semester in semesters_until(period, settings.emerging_semesters)]  # fmt: skip
    cells = study_area(context.area, settings.zone_resolution, np.concatenate([s.index.to_numpy() for s in series]))
    w = weights(cells)
    for scope in SCOPES:
        rows = _emerging_rows(period, cells, [s[scope] for s in series], settings, scope, w)
        connection.execute(insert(EmergingHotspot), rows)
        if scope == "full":
            counts = pd.Series([row["pattern"] for row in rows]).value_counts().sort_index()
            found = {str(pattern): int(count) for pattern, count in counts.items()}
    return found


def computed_zones(
    connection: Connection, period: Period, context: Context, settings: CartographySettings
) -> list[dict[str, Any]]:
    """Computed zones from the all-families hot spots of each zone set; the summary of the full ones.

    The police's zones (every category, zone resolution), the partners' (open categories, zone
    resolution) and the élus' (open categories, their coarse grid: a zone must not show them a
    finer cell than they may see).
    """
    connection.execute(delete(Zone).where(Zone.kind == "computed", Zone.period == period.name))
    summary: list[dict[str, Any]] = []
    for scope, resolution, letter in zone_sets(settings):
        rows = connection.execute(
            select(Hotspot.h3, Hotspot.count, Hotspot.z, Hotspot.hotspot_class).where(
                Hotspot.period == period.name, Hotspot.scope == scope, Hotspot.resolution == resolution,
                Hotspot.family == ALL_FAMILIES,
            )
        ).all()  # fmt: skip
        cells, counts, z, classes = (np.array(column) for column in zip(*rows, strict=True)) if rows else ([],) * 4
        zones = hot_clusters(np.asarray(cells, dtype=np.int64), np.asarray(counts), np.asarray(z, dtype=float),
                             np.asarray(classes, dtype=object))  # fmt: skip
        saved = save_computed(connection, period.name, zones, resolution=resolution, scope=scope, letter=letter)
        if scope == "full":
            summary = [{"code": zone["code"], "name": zone["name"], **zone["stats"],
                        "near": context.nearest_place(zone["geom"])} for zone in saved]  # fmt: skip
    return summary


def refresh(engine: Engine, period: Period, *, settings: CartographySettings | None = None) -> dict[str, Any]:
    """Rebuild everything the period shows, in one transaction; return the summary."""
    settings = settings or cartography_settings()
    started = time.perf_counter()
    logger.info("rafraîchissement de %s", period.name)
    with engine.begin() as connection:
        context = Context.load(connection)
        events = aggregates.rebuild(connection, period, timezone=calendar_of(connection).timezone)
        significant = hotspots(connection, period, context, settings)
        logger.info("points chauds de %s calculés : %s", period.name, significant)
        patterns = emerging(connection, period, context, settings)
        logger.info("tendances de %s calculées : %s", period.name, patterns)
        zones = computed_zones(connection, period, context, settings)
        logger.info("zones calculées de %s : %d", period.name, len(zones))
        sources = connection.execute(
            select(Source.code).distinct().join_from(CellCount, Source, Source.id == CellCount.source_id)
            .where(CellCount.period == period.name).order_by(Source.code)
        ).scalars().all()  # fmt: skip
        summary = {
            "period": period.name, "label": period.label, "events": events, "sources": list(sources),
            "hotspots": significant, "emerging": patterns, "zones": zones,
            "method": method(settings.zone_resolution, permutations=settings.permutations)
            | {"resolutions": resolutions(settings), "zone_classes": list(HOT_CLASSES)},
        }  # fmt: skip
        connection.execute(delete(Refresh).where(Refresh.period == period.name))
        connection.execute(
            insert(Refresh),
            {
                "period": period.name,
                "method": summary["method"],
                "summary": {k: v for k, v in summary.items() if k != "method"},
            },
        )
    summary["seconds"] = round(time.perf_counter() - started, 3)
    logger.info("%s rafraîchie en %.1f s", period.name, summary["seconds"])
    return summary
