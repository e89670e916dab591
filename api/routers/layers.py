"""Map layers: heatmap (cached), hot spots, emerging hot spots, zones, their comparison, vector tiles."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from sqlalchemy import Connection, Engine, select
from starlette.concurrency import run_in_threadpool

from api.deps import CurrentUser, EngineDep, SettingsDep, require
from api.schemas import ERRORS, PERIOD_PATTERN, Comparison, FeatureCollection, HeatmapCells
from ols.editions import comparison
from ols.grid import polygon, to_str
from ols.heatmap import HeatmapQuery, cell_counts, heatmap, heatmap_cells
from ols.layers import hotspot_frame, layer_metadata, refresh_record, zones_geojson
from ols.models import EmergingHotspot
from ols.periods import Period, parse_period
from ols.privacy import allowed_resolution, sees_zones, suppress_count, suppressed
from ols.settings import ApiSettings
from ols.tiles import heatmap_tile, zones_tile
from ols.users import Principal

router = APIRouter(responses=ERRORS)
PeriodParam = Annotated[str, Query(description="2024-S2, 2024-11, 2024-W48, 2024...", pattern=PERIOD_PATTERN)]
ResolutionParam = Annotated[int, Query(ge=8, le=10)]
CodeParam = Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+$")]
SourceParam = Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
ZonesReader = Annotated[Principal, Depends(require(sees_zones, "see vigilance zones"))]


class LayerParams:
    """The query of a grid layer: period, resolution and filters."""

    def __init__(
        self, period: PeriodParam, resolution: ResolutionParam = 9, family: CodeParam = None,
        category: CodeParam = None, source: SourceParam = None,
    ) -> None:  # fmt: skip
        self.period = parse_period(period)
        self.resolution = resolution
        self.family = family
        self.category = category
        self.source = source

    def heatmap(self) -> HeatmapQuery:
        """As a heatmap query."""
        return HeatmapQuery(self.period, self.resolution, self.family, self.category, self.source)


async def layer_params(
    period: PeriodParam,
    resolution: ResolutionParam = 9,
    family: CodeParam = None,
    category: CodeParam = None,
    source: SourceParam = None,
) -> LayerParams:
    """The layer query (async: no thread is spent on building it)."""
    return LayerParams(period, resolution, family, category, source)


Params = Annotated[LayerParams, Depends(layer_params)]


class TileParams:
    """The address of a vector tile."""

    def __init__(
        self, layer: Annotated[str, Path(pattern="^(heatmap|zones)$")], z: Annotated[int, Path(ge=0, le=22)],
        x: Annotated[int, Path(ge=0)], y: Annotated[int, Path(ge=0)],
    ) -> None:  # fmt: skip
        if x >= 2**z or y >= 2**z:
            raise HTTPException(status_code=422, detail="tile coordinates outside the zoom level")
        self.layer, self.z, self.x, self.y = layer, z, x, y


def _stamp(connection: Connection, period: Period) -> str:
    return str(refresh_record(connection, period)["refreshed_at"])


def _check_resolution(user: Principal, resolution: int) -> None:
    if not allowed_resolution(user.role, resolution):
        raise HTTPException(status_code=403, detail=f"role {user.role} only gets resolution 8 or coarser")


STAMP_SECONDS = 1.0


def _fresh_stamp(request: Request, engine: Engine, period: Period) -> str:
    """The period's refresh stamp, read at most once a second: a refresh shows within a second."""
    stamps: dict[str, tuple[float, str]] = request.app.state.refresh_stamps
    known = stamps.get(period.name)
    if known and known[0] > time.monotonic():
        return known[1]
    with engine.connect() as connection:
        stamp = _stamp(connection, period)
    stamps[period.name] = (time.monotonic() + STAMP_SECONDS, stamp)
    return stamp


def _build(
    engine: Engine,
    build: Callable[..., dict[str, Any]],
    query: HeatmapQuery,
    user: Principal,
    threshold: int,
    stamp: str,
) -> dict[str, Any]:
    with engine.connect() as connection:
        return build(connection, query, user, threshold=threshold, refreshed_at=stamp)


async def _cached(
    request: Request, engine: Engine, settings: ApiSettings, user: Principal, params: LayerParams, kind: str
) -> Response:
    """Serve a heatmap form from memory as gzip-ready bytes with an ETag; a hit costs no thread and no query."""
    _check_resolution(user, params.resolution)
    query = params.heatmap()
    key = (kind, query, user.role, user.territories, settings.suppression_threshold)
    cache = request.app.state.layer_cache
    known = request.app.state.refresh_stamps.get(query.period.name)
    stamp = known[1] if known and known[0] > time.monotonic() else None
    entry = cache.get(key, stamp) if stamp else None
    if entry is None:
        fresh: str = await run_in_threadpool(_fresh_stamp, request, engine, query.period)
        entry = cache.get(key, fresh)
        if entry is None:
            build = heatmap if kind == "heatmap" else heatmap_cells
            payload = await run_in_threadpool(_build, engine, build, query, user, settings.suppression_threshold, fresh)
            entry = cache.put(key, fresh, payload)
    headers = {"ETag": entry.etag, "Cache-Control": "private, max-age=0, must-revalidate", "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == entry.etag:
        return Response(status_code=304, headers=headers)
    media = "application/geo+json" if kind == "heatmap" else "application/json"
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(entry.gzipped, media_type=media, headers=headers)
    return Response(entry.body, media_type=media, headers=headers)


@router.get("/heatmap", response_model=FeatureCollection, responses={304: {"description": "Not modified"}})
async def heatmap_layer(
    request: Request, engine: EngineDep, settings: SettingsDep, user: CurrentUser, params: Params
) -> Response:
    """Events per H3 hexagon for a refreshed period (counts below the threshold hidden for most roles)."""
    return await _cached(request, engine, settings, user, params, "heatmap")


@router.get("/heatmap/cells", response_model=HeatmapCells, responses={304: {"description": "Not modified"}})
async def heatmap_cells_layer(
    request: Request, engine: EngineDep, settings: SettingsDep, user: CurrentUser, params: Params
) -> Response:
    """The heatmap as ``[h3, count]`` pairs (null count: suppressed), for clients that draw hexagons themselves."""
    return await _cached(request, engine, settings, user, params, "cells")


def _suppressed_rows(rows: list[dict[str, Any]], user: Principal, threshold: int) -> list[dict[str, Any]]:
    if not suppressed(user.role):
        return rows
    return [row | suppress_count(int(row["count"]), threshold) for row in rows]


@router.get("/hotspots", response_model=FeatureCollection)
def hotspots_layer(
    engine: EngineDep,
    settings: SettingsDep,
    user: CurrentUser,
    period: PeriodParam,
    resolution: ResolutionParam = 9,
    family: CodeParam = None,
    significant_only: bool = False,
) -> dict[str, Any]:
    """Gi* hot spots: every cell of the study area with count, z, p, p_fdr and class (or only the significant)."""
    _check_resolution(user, resolution)
    spec = parse_period(period)
    if suppressed(user.role) and family in ("drugs",):
        raise HTTPException(status_code=403, detail="this family's hot spots are reserved to police roles")
    with engine.connect() as connection:
        frame = hotspot_frame(connection, spec, resolution=resolution, family=family, significant_only=significant_only)
        metadata = layer_metadata(connection, spec, family=family or "*", resolution=resolution,
                                  method={"resolution": resolution})  # fmt: skip
    records: list[dict[str, Any]] = [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]
    rows = _suppressed_rows(records, user, settings.suppression_threshold)
    features = [{"type": "Feature", "geometry": polygon(int(row["h3"], 16)).__geo_interface__, "properties": row}
                for row in rows]  # fmt: skip
    return {"type": "FeatureCollection", "metadata": metadata, "features": features}


@router.get("/emerging-hotspots", response_model=FeatureCollection)
def emerging_layer(engine: EngineDep, user: CurrentUser, period: PeriodParam) -> dict[str, Any]:
    """Space-time patterns (new, intensifying, persistent... hot or cold) of the semesters ending with ``period``."""
    spec = parse_period(period)
    with engine.connect() as connection:
        record = refresh_record(connection, spec)
        rows = connection.execute(select(EmergingHotspot.__table__).where(EmergingHotspot.period == spec.name)).all()
    resolution = int(record["method"]["resolution"])
    _check_resolution(user, resolution)
    features = [{"type": "Feature", "geometry": polygon(row.h3).__geo_interface__, "properties": {
        "h3": to_str([row.h3])[0], "pattern": row.pattern, "trend_tau": row.trend_tau, "trend_p": row.trend_p,
        "hot_periods": row.hot_periods, "cold_periods": row.cold_periods}} for row in rows]  # fmt: skip
    return {"type": "FeatureCollection", "metadata": {"period": spec.name, "resolution": resolution,
                                                      "method": record["method"]}, "features": features}  # fmt: skip


@router.get("/zones", response_model=FeatureCollection)
def zones_layer(engine: EngineDep, user: ZonesReader, period: PeriodParam) -> dict[str, Any]:
    """Computed zones of the period and the declared zones valid during it."""
    with engine.connect() as connection:
        return zones_geojson(connection, parse_period(period))


@router.get("/zones/compare", response_model=Comparison)
def zones_compare(engine: EngineDep, user: ZonesReader, period: PeriodParam) -> dict[str, Any]:
    """Declared zones no longer hot, hot areas outside declared zones, zones entering and leaving."""
    with engine.connect() as connection:
        return comparison(connection, parse_period(period))


@router.get("/tiles/{layer}/{z}/{x}/{y}.mvt", responses={200: {"content": {"application/vnd.mapbox-vector-tile": {}}}})
def tile(
    engine: EngineDep,
    settings: SettingsDep,
    user: CurrentUser,
    address: Annotated[TileParams, Depends()],
    params: Params,
) -> Response:
    """A Mapbox vector tile of the heatmap or zones layer (built by PostGIS's ST_AsMVT)."""
    spec, (z, x, y) = params.period, (address.z, address.x, address.y)
    with engine.connect() as connection:
        _stamp(connection, spec)
        if address.layer == "zones":
            if not sees_zones(user.role):
                raise HTTPException(status_code=403, detail=f"role {user.role} may not see vigilance zones")
            body = zones_tile(connection, z, x, y, spec)
        else:
            _check_resolution(user, params.resolution)
            cells = cell_counts(connection, params.heatmap(), user)
            hide = suppressed(user.role)
            shown = [suppress_count(n, settings.suppression_threshold) if hide else {"count": n, "count_label": str(n)}
                     for _, n in cells]  # fmt: skip
            counts: list[int | None] = [cast(int | None, s["count"]) for s in shown]
            labels: list[str] = [str(s["count_label"]) for s in shown]
            body = heatmap_tile(connection, z, x, y, [c for c, _ in cells], counts, labels)
    return Response(body, media_type="application/vnd.mapbox-vector-tile")
