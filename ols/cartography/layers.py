"""Map layers read back from the database for an audience: hot spots, emerging hot spots, zones.

Every layer carries its period, its method and its sources, so that a map or an export can say
how it was made; every layer is cut for its audience (:mod:`ols.access`): the scope of categories
it was computed on, the cells and zones of the reader's territories, the counts it may receive
(the heatmap's own, so that no difference of two layers reveals anything), and no z-score or
p-value for the roles below the police (a z-score is a linear function of the exact counts).
"""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd
from shapely.geometry import mapping
from sqlalchemy import BigInteger, ColumnElement, Connection, and_, any_, cast, func, or_, select

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.cartography.grid import polygon, to_str
from ols.cartography.guards import INSUFFICIENT, LayerGuard
from ols.cartography.heatmap import HeatmapQuery, visible_cells
from ols.caveats import refresh_method
from ols.errors import NotFoundError
from ols.nomenclature import FAMILY_BY_CODE, MEASURE_LABELS, Measure
from ols.periods import Period
from ols.reference.areas import Area
from ols.store.models import Cell, CellCount, EmergingHotspot, Hotspot, HotspotLayer, Refresh, Zone
from ols.wording import class_label, pattern_label, status_label

ALL_FAMILIES = "*"
EXACT_COLUMNS = ("neighbourhood", "z", "p", "p_fdr")


def refresh_record(connection: Connection, period: Period) -> dict[str, Any]:
    """The method and summary of the period's last refresh (NotFoundError before any)."""
    row = connection.execute(select(Refresh.__table__).where(Refresh.period == period.name)).one_or_none()
    if row is None:
        msg = f"la période {period.name} n'a pas été calculée : lancez « ols refresh --period {period.name} »"
        raise NotFoundError(msg)
    return {"refreshed_at": row.refreshed_at.isoformat(), "method": row.method, **row.summary}


def _hotspot_grid(connection: Connection, period: Period, audience: Audience, resolution: int | None,
                  family: str | None) -> int:  # fmt: skip
    """The resolution of a hot-spot layer the audience may read (NotFoundError for an unknown family or grid)."""
    audience.require(Layer.HOTSPOTS)
    record = refresh_record(connection, audience.period(period))
    grid = audience.resolution(resolution)
    if family and family not in FAMILY_BY_CODE:
        msg = f"famille inconnue « {family} » : choisissez parmi {', '.join(FAMILY_BY_CODE)}"
        raise NotFoundError(msg)
    if grid not in record["method"].get("resolutions", []):
        msg = (f"aucun point chaud à la résolution {grid} (calculées : "
               f"{', '.join(map(str, record['method'].get('resolutions', [])))})")  # fmt: skip
        raise NotFoundError(msg)
    return grid


def hotspot_frame(
    connection: Connection,
    period: Period,
    audience: Audience,
    *,
    resolution: int | None = None,
    family: str | None = None,
    significant_only: bool = False,
    measure: Measure = "facts",
    area: Area | None = None,
) -> pd.DataFrame:
    """One row per cell of the audience's study area (or per significant cell): h3, count, class (, neighbourhood,
    z, p, p_fdr).

    The classes are those of Gi* on the facts (or, with ``measure="activity"``, the activity) of the
    categories the audience may see, over the whole observatory (a hot spot across a border is one
    hot spot); ``insufficient`` where the cell's neighbourhood holds too few facts, or the whole
    layer (:func:`hotspot_status`); the cells are those whose centre lies in the audience's
    territories and, for a breakdown by commune or sector (``area``), those meeting the area: a
    hot spot across a commune border is reported in both communes. The counts are the audience's
    heatmap counts.
    """
    grid = _hotspot_grid(connection, period, audience, resolution, family)
    statement = (
        select(Hotspot.h3, Hotspot.hotspot_class, Hotspot.neighbourhood, Hotspot.z, Hotspot.p, Hotspot.p_fdr)
        .where(
            Hotspot.period == period.name,
            Hotspot.scope == audience.scope,
            Hotspot.resolution == grid,
            Hotspot.family == (family or ALL_FAMILIES),
            Hotspot.measure == measure,
        )
        .order_by(Hotspot.h3)
    )
    if significant_only:
        statement = statement.where(Hotspot.hotspot_class.not_in(("not_significant", INSUFFICIENT)))
    own = audience.area(Cell.geom, centre=True)
    if own.restricts or (area is not None and not area.whole):
        statement = statement.join(Cell, Cell.h3 == Hotspot.h3).where(own.clause, (area or Area()).meets(Cell.geom))
    rows = connection.execute(statement).all()
    counts = dict(visible_cells(connection, HeatmapQuery(period, grid, family, measure=measure), audience))
    # Plain tuples: pandas reads SQLAlchemy rows through its generic path, 8x slower (90 ms for 20,000 cells).
    frame = pd.DataFrame([tuple(row) for row in rows], columns=["h3", "class", *EXACT_COLUMNS])
    exact = frame[list(EXACT_COLUMNS)].astype(object)
    frame[list(EXACT_COLUMNS)] = exact.where(exact.notna(), None)  # no z where none was computed: null, not NaN
    absent = audience.nothing
    frame.insert(1, "count", pd.Series([counts.get(int(cell), absent) for cell in frame["h3"]], dtype=object))
    frame["h3"] = to_str(frame["h3"])
    return frame.drop(columns=list(EXACT_COLUMNS)) if audience.suppressed else frame


def hotspot_status(connection: Connection, period: Period, audience: Audience, *, resolution: int | None = None,
                   family: str | None = None, measure: Measure = "facts") -> dict[str, Any]:  # fmt: skip
    """Whether the layer was computed or had too few facts (``insufficient``), why in French, and its guards.

    A layer of a family or measure with nothing counted in the period was not computed: insufficient.
    A reader below the police gets no exact count: the reason says "fewer than" the minimum.
    """
    grid = _hotspot_grid(connection, period, audience, resolution, family)
    row = connection.execute(select(HotspotLayer.__table__).where(
        HotspotLayer.period == period.name, HotspotLayer.scope == audience.scope, HotspotLayer.resolution == grid,
        HotspotLayer.family == (family or ALL_FAMILIES), HotspotLayer.measure == measure,
    )).one_or_none()  # fmt: skip
    guards = refresh_record(connection, period)["method"].get("guards", {})
    empty = LayerGuard(0, int(guards.get("min_facts", 1)), int(guards.get("min_neighbourhood", 1)))
    found = dict(row._mapping) if row is not None else {
        "status": INSUFFICIENT, "facts": 0, "guarded_cells": 0, "min_facts": empty.min_facts,
        "min_neighbourhood": empty.min_neighbourhood, "reason": empty.reason,
    }  # fmt: skip
    status = {key: found[key] for key in ("status", "min_facts", "min_neighbourhood", "reason")}
    status |= {
        "status_label": status_label(str(status["status"])),
        "measure": measure,
        "measure_label": MEASURE_LABELS[measure],
    }
    if not audience.suppressed:
        return status | {"study_area_facts": found["facts"], "guarded_cells": found["guarded_cells"]}
    if found["status"] == INSUFFICIENT:
        status["reason"] = f"données insuffisantes : moins de {found['min_facts']} faits dans la zone d'étude"
    return status


def layer_metadata(connection: Connection, period: Period, **extra: Any) -> dict[str, Any]:
    """Period, label, method (with its text, quoting the figures the refresh used) and sources of a layer."""
    record = refresh_record(connection, period)
    return {"period": period.name, "label": period.label, "method": record["method"] | extra.pop("method", {}),
            "method_text": list(refresh_method(record["method"])), "sources": record.get("sources", []),
            "refreshed_at": record["refreshed_at"], **extra}  # fmt: skip


def hotspots_geojson(frame: pd.DataFrame, metadata: dict[str, Any], audience: Audience) -> dict[str, Any]:
    """A FeatureCollection of hexagons with the layer's columns, and the layer's metadata."""
    features = [
        {"type": "Feature", "geometry": mapping(polygon(int(h3_int))),
         "properties": row | {"label": class_label(row["class"]), "count_label": audience.count_label(row["count"]),
                              "suppressed": row["count"] is None}}
        for h3_int, row in zip((int(cell, 16) for cell in frame["h3"]), frame.to_dict("records"), strict=True)
    ]  # fmt: skip
    return {"type": "FeatureCollection", "metadata": metadata, "features": features}


def hotspots_csv(frame: pd.DataFrame, metadata: dict[str, Any]) -> str:
    """CSV of the layer's columns, each row stamped with the period, family, resolution and method."""
    out = frame.assign(label=[class_label(code) for code in frame["class"]]).assign(
        period=metadata["period"], family=metadata["family"], resolution=metadata["resolution"],
        method=json.dumps(metadata["method"], ensure_ascii=False), sources=" ".join(metadata["sources"]),
    )  # fmt: skip
    buffer = io.StringIO()
    out.to_csv(buffer, index=False)
    return buffer.getvalue()


def emerging_geojson(connection: Connection, period: Period, audience: Audience) -> dict[str, Any]:
    """Space-time patterns of the semesters ending with ``period``, on the audience's categories and cells."""
    audience.require(Layer.EMERGING)
    record = refresh_record(connection, audience.period(period))
    grid = audience.resolution(int(record["method"]["resolution"]))
    rows = connection.execute(
        select(EmergingHotspot.h3, EmergingHotspot.pattern, EmergingHotspot.trend_tau, EmergingHotspot.trend_p,
               EmergingHotspot.hot_periods, EmergingHotspot.cold_periods)
        .join_from(EmergingHotspot, Cell, Cell.h3 == EmergingHotspot.h3)
        .where(EmergingHotspot.period == period.name, EmergingHotspot.scope == audience.scope,
               audience.area(Cell.geom, centre=True).clause)
        .order_by(EmergingHotspot.h3)
    ).all()  # fmt: skip
    features = []
    for row, name in zip(rows, to_str(row[0] for row in rows), strict=True):
        properties = {"h3": name, "pattern": row.pattern, "label": pattern_label(row.pattern),
                      "hot_periods": row.hot_periods,
                      "cold_periods": row.cold_periods}  # fmt: skip
        if not audience.suppressed:
            properties |= {"trend_tau": row.trend_tau, "trend_p": row.trend_p}
        features.append({"type": "Feature", "geometry": mapping(polygon(row.h3)), "properties": properties})
    status = record.get("emerging_status") or {}
    metadata = {
        "period": period.name,
        "resolution": grid,
        "method": record["method"],
        "measure": "facts",
        "status": status.get("status"),
        "semesters": status.get("semesters"),
        "reason": status.get("reason"),
    }
    return {"type": "FeatureCollection", "metadata": metadata, "features": features}


def _zone_events(connection: Connection, ids: list[int], audience: Audience) -> dict[int, tuple[int | None, ...]]:
    """Signalements of facts in each computed zone's cells, and facts merged into another partner's signalement
    there, counted and published for the audience."""
    in_zone = and_(CellCount.period == Zone.period, CellCount.resolution == Zone.resolution,
                   CellCount.h3 == any_(Zone.cells), CellCount.measure == "facts")  # fmt: skip
    rows = connection.execute(
        select(Zone.id, cast(func.sum(CellCount.count), BigInteger), cast(func.sum(CellCount.cell_key), BigInteger),
               cast(func.sum(CellCount.merged), BigInteger), cast(func.sum(CellCount.merged_key), BigInteger))
        .join_from(Zone, CellCount, in_zone)
        .where(Zone.id.in_(ids), audience.facts(CellCount.__table__).clause)
        .group_by(Zone.id)
    ).all()  # fmt: skip
    events = audience.publish(connection, [row[1] for row in rows], [row[2] for row in rows])
    merged = audience.publish(connection, [row[3] for row in rows], [row[4] for row in rows])
    return {int(row[0]): pair for row, pair in zip(rows, zip(events, merged, strict=True), strict=True)}


def zone_resolution(connection: Connection, period: Period, audience: Audience) -> int:
    """The resolution of the period's computed zones the audience reads."""
    computed = int(refresh_record(connection, audience.period(period))["method"]["resolution"])
    return audience.zone_resolution(computed)


def readable_zones(connection: Connection, period: Period, audience: Audience) -> ColumnElement[bool]:
    """The zones of the period the audience reads: the declared ones, and its scope's computed ones at
    :func:`zone_resolution` (not yet cut to its territories: :meth:`Audience.area`)."""
    computed = and_(Zone.period == period.name, Zone.scope == audience.scope,
                    Zone.resolution == zone_resolution(connection, period, audience))  # fmt: skip
    return or_(Zone.kind == "declared", computed)


ZONE_COLUMNS = (Zone.id, Zone.kind, Zone.code, Zone.period, Zone.name, Zone.rationale, Zone.owner, Zone.review_date,
                Zone.valid_from, Zone.valid_to)  # fmt: skip


def visible_zones(connection: Connection, period: Period, audience: Audience, area: Area | None = None) -> list[Any]:
    """Rows of the zones the audience may see: its scope's computed zones of the period and the declared
    zones valid during it, meeting its area (and ``area``, for a breakdown by commune or sector), each drawn
    within the reader's area (:meth:`Audience.clip`)."""
    audience.require(Layer.ZONES)
    geometry = func.ST_AsGeoJSON(audience.clip(Zone.geom), 6).label("geometry")
    rows = connection.execute(
        select(*ZONE_COLUMNS, Zone.communes, Zone.sectors, Zone.stats, geometry)
        .where(
            readable_zones(connection, period, audience),
            audience.area(Zone.geom).clause,
            (area or Area()).meets(Zone.geom),
        )
        .order_by(Zone.kind, Zone.code)
    ).all()
    return [row for row in rows if row.kind == "computed" or _valid_during(row, period)]


def _valid_during(row: Any, period: Period) -> bool:
    """Whether a declared zone is valid at some time of the period."""
    return not ((row.valid_from and row.valid_from >= period.end) or (row.valid_to and row.valid_to < period.start))


def zones_in_area(connection: Connection, ids: list[int], audience: Audience) -> dict[int, dict[str, Any]]:
    """For a reader cut to an area, what of each computed zone lies in it: the cells whose centre does, their
    largest z and the area of the zone's part in it (a zone across its border is drawn and counted on its side)."""
    if audience.reach.whole:
        return {}
    hot = and_(
        Hotspot.h3 == Cell.h3,
        Hotspot.period == Zone.period,
        Hotspot.scope == Zone.scope,
        Hotspot.resolution == Zone.resolution,
        Hotspot.family == ALL_FAMILIES,
        Hotspot.measure == "facts",
    )
    area = func.ST_Area(func.ST_Transform(audience.clip(Zone.geom), 2154)) / 1e6
    rows = connection.execute(
        select(Zone.id, func.count(Cell.h3), func.max(Hotspot.z), area)
        .join_from(Zone, Cell, Cell.h3 == any_(Zone.cells))
        .outerjoin(Hotspot, hot)
        .where(Zone.id.in_(ids), audience.area(Cell.geom, centre=True).clause)
        .group_by(Zone.id)
    ).all()  # fmt: skip
    found = {int(row[0]): {"cells": int(row[1]), "max_z": None if row[2] is None else round(float(row[2]), 3),
                           "area_km2": round(float(row[3]), 4)} for row in rows}  # fmt: skip
    return {zone: found.get(zone, {"cells": 0, "max_z": None, "area_km2": 0.0}) for zone in ids}


def zones_geojson(
    connection: Connection, period: Period, audience: Audience, area: Area | None = None
) -> dict[str, Any]:
    """The zones the audience may see (:func:`visible_zones`, those meeting ``area`` when given), with figures
    counted for it, and the communes and sectors each lies in."""
    rows = visible_zones(connection, period, audience, area)
    computed = [row.id for row in rows if row.kind == "computed"]
    events, inside = _zone_events(connection, computed, audience), zones_in_area(connection, computed, audience)
    features = []
    for row in rows:
        properties = {key: value for key, value in row._mapping.items() if key not in ("geometry", "id", "stats")}
        for key in ("review_date", "valid_from", "valid_to"):
            properties[key] = properties[key].isoformat() if properties[key] else None
        properties["communes"], properties["sectors"] = audience.filed(connection, row.communes, row.sectors)
        properties["stats"] = {}
        if row.kind == "computed":
            stats = {key: value for key, value in (row.stats | inside.get(row.id, {})).items()
                     if not (audience.suppressed and key == "max_z")}  # fmt: skip
            counted, merged = events.get(row.id, (audience.nothing, audience.nothing))
            properties["stats"] = stats | {"events": counted, "merged": merged}
        features.append({"type": "Feature", "geometry": json.loads(row.geometry), "properties": properties})
    return {"type": "FeatureCollection", "features": features}
