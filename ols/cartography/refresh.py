"""The semester refresh: aggregates, hot spots, emerging hot spots and computed zones of a period.

Everything a period shows is rebuilt in one transaction, so the map never shows half a refresh.
The summary says what was counted (signalements of facts, facts merged across partners, activity
counted apart), where the significant hot spots and the zones are, what was not computed for want
of facts and why, and how (the method block, with its guards and merge rule, travels with every
output).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import Connection, Engine, delete, func, insert, select

from ols import merging
from ols.access.audience import Scope
from ols.cartography import aggregates
from ols.cartography.filing import file_declared
from ols.cartography.guards import zone_reason
from ols.cartography.hotlayers import ALL_FAMILIES, COARSE_RESOLUTION, hotspots, resolutions
from ols.cartography.hotspots import method
from ols.cartography.trends import emerging
from ols.cartography.whereabouts import Gazetteer, Whereabouts
from ols.cartography.zones import HOT_CLASSES, hot_clusters, save_computed
from ols.periods import Period
from ols.reference.calendar import calendar_of
from ols.settings import CartographySettings, MergeSettings, cartography_settings, merge_settings
from ols.store.models import CellCount, Hotspot, Refresh, Source, Territory, Zone
from ols.strategy.indicators import compute_indicators

logger = logging.getLogger(__name__)


@dataclass
class Context:
    """What a refresh reads once: the observatory's outline (its communes' union), its communes, sectors and
    named places."""

    area: shapely.Geometry
    gazetteer: Gazetteer | None = None

    @classmethod
    def load(cls, connection: Connection) -> Context:
        """The union of the territories, and the gazetteer, from the database."""
        geoms = [to_shape(geom) for geom in connection.execute(select(Territory.geom)).scalars()]
        return cls(area=shapely.union_all(geoms), gazetteer=Gazetteer.load(connection))

    def where(self, geom: shapely.Geometry) -> Whereabouts:
        """The communes and sectors a zone meets, and where it is in words (never "?")."""
        return (self.gazetteer or Gazetteer((), (), ())).of(geom)

    def near(self, geom: shapely.Geometry) -> str:
        """Where a zone is, with the distance to its nearest named place when there is one."""
        place = self.gazetteer.nearest_place(geom) if self.gazetteer else None
        label = self.where(geom).label
        return f"{label} (~{round(place[1], -1):.0f} m)" if place and label.startswith("près de") else label


def zone_sets(settings: CartographySettings) -> list[tuple[Scope, int, str]]:
    """(scope, resolution, code letter) of each set of computed zones."""
    grid = settings.zone_resolution
    sets: list[tuple[Scope, int, str]] = [("full", grid, "Z"), ("open", grid, "O")]
    if grid > COARSE_RESOLUTION:
        sets.append(("open", COARSE_RESOLUTION, "C"))
    return sets


def computed_zones(
    connection: Connection, period: Period, context: Context, settings: CartographySettings
) -> tuple[list[dict[str, Any]], list[str]]:
    """Computed zones from the facts' all-families hot spots of each zone set; the summary of the full ones, and
    why groups of hot cells of the full set were left out.

    The police's zones (every category, zone resolution), the partners' (open categories, zone
    resolution) and the élus' (open categories, their coarse grid: a zone must not show them a
    finer cell than they may see). A group of hot cells holding fewer than ``OLS_ZONE_MIN_FACTS``
    facts is not a zone (:mod:`ols.cartography.guards`).
    """
    connection.execute(delete(Zone).where(Zone.kind == "computed", Zone.period == period.name))
    summary: list[dict[str, Any]] = []
    left_out: list[str] = []
    for scope, resolution, letter in zone_sets(settings):
        rows = connection.execute(
            select(Hotspot.h3, Hotspot.count, func.coalesce(Hotspot.z, 0.0), Hotspot.hotspot_class).where(
                Hotspot.period == period.name, Hotspot.scope == scope, Hotspot.resolution == resolution,
                Hotspot.family == ALL_FAMILIES, Hotspot.measure == "facts",
            )
        ).all()  # fmt: skip
        cells, counts, z, classes = (np.array(column) for column in zip(*rows, strict=True)) if rows else ([],) * 4
        found = hot_clusters(np.asarray(cells, dtype=np.int64), np.asarray(counts), np.asarray(z, dtype=float),
                             np.asarray(classes, dtype=object))  # fmt: skip
        zones = [zone for zone in found if zone.events >= settings.zone_min_facts]
        saved = save_computed(connection, period.name, zones, resolution=resolution, scope=scope, letter=letter,
                              where=context.where)  # fmt: skip
        if scope == "full":
            summary = [{"code": zone["code"], "name": zone["name"], **zone["stats"], "near": context.near(zone["geom"]),
                        "communes": zone["communes"], "sectors": zone["sectors"]} for zone in saved]  # fmt: skip
            left_out = [f"{len(zone.cells)} cellule(s) chaude(s), {context.near(zone.geom)} : "
                        f"{zone_reason(zone.events, settings.zone_min_facts)}"
                        for zone in found if zone.events < settings.zone_min_facts]  # fmt: skip
    return summary, left_out


def method_of(settings: CartographySettings, merge: MergeSettings) -> dict[str, Any]:
    """How the period was computed: Gi*, its guards against sparse data and the cross-partner merge rule."""
    return method(settings.zone_resolution, permutations=settings.permutations) | {
        "resolutions": resolutions(settings), "zone_classes": list(HOT_CLASSES), "measure": "facts",
        "guards": {"min_facts": settings.hotspot_min_facts, "min_neighbourhood": settings.hotspot_min_neighbourhood,
                   "zone_min_facts": settings.zone_min_facts,
                   "emerging_min_semesters": settings.emerging_min_semesters},
        "merge": {"distance_m": merge.merge_distance_m, "minutes": merge.merge_minutes,
                  "imprecise_m": merge.merge_imprecise_m},
    }  # fmt: skip


def _sources(connection: Connection, period: Period) -> list[str]:
    return list(connection.execute(
        select(Source.code).distinct().join_from(CellCount, Source, Source.id == CellCount.source_id)
        .where(CellCount.period == period.name).order_by(Source.code)
    ).scalars())  # fmt: skip


def _record(connection: Connection, summary: dict[str, Any]) -> None:
    connection.execute(delete(Refresh).where(Refresh.period == summary["period"]))
    stored = {k: v for k, v in summary.items() if k != "method"}
    connection.execute(insert(Refresh), {"period": summary["period"], "method": summary["method"], "summary": stored})


def refresh(
    engine: Engine, period: Period, *, settings: CartographySettings | None = None, merge: MergeSettings | None = None
) -> dict[str, Any]:
    """Rebuild everything the period shows, in one transaction; return the summary.

    Facts of batches not yet paired with the other partners' are paired first (:mod:`ols.merging`); the strategy's
    computed indicators are recomputed for the period (:mod:`ols.strategy.indicators`), once its record is stored:
    the zones leaving vigilance are counted on the grid that record names.
    """
    settings, merge = settings or cartography_settings(), merge or merge_settings()
    started = time.perf_counter()
    logger.info("rafraîchissement de %s", period.name)
    with engine.begin() as connection:
        merging.update_links(connection, merge)
        context = Context.load(connection)
        counts = aggregates.rebuild(connection, period, timezone=calendar_of(connection).timezone)
        layers = hotspots(connection, period.name, context.area, settings)
        logger.info("points chauds de %s calculés : %s", period.name, {r: s["classes"] for r, s in layers.items()})
        patterns, trend = emerging(connection, period, context.area, settings)
        logger.info("tendances de %s calculées : %s", period.name, patterns or trend["reason"])
        zones, left_out = computed_zones(connection, period, context, settings)
        logger.info("zones calculées de %s : %d ; zones déclarées situées : %d", period.name, len(zones),
                    file_declared(connection))  # fmt: skip
        summary = {
            "period": period.name, "label": period.label, "events": counts["facts"], "merged": counts["merged"],
            "activity": counts["activity"], "sources": _sources(connection, period),
            "hotspots": {r: s["classes"] for r, s in layers.items()},
            "hotspot_status": {r: {k: s[k] for k in ("status", "facts", "reason")} for r, s in layers.items()},
            "emerging": patterns, "emerging_status": trend, "zones": zones, "zones_left_out": left_out,
            "method": method_of(settings, merge),
        }  # fmt: skip
        _record(connection, summary)
        summary["indicators"] = len(compute_indicators(connection, period))
    summary["seconds"] = round(time.perf_counter() - started, 3)
    logger.info("%s rafraîchie en %.1f s", period.name, summary["seconds"])
    return summary
