"""Map layers: heatmap (cached), hot spots, emerging hot spots, zones, their comparison, vector tiles.

Each route reads its layer for the caller's audience (:mod:`ols.access`); nothing here decides
what a role may see. The heatmap cache is keyed on the audience, so two audiences never share an
entry.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from sqlalchemy import Connection, Engine
from starlette.concurrency import run_in_threadpool

from api.deps import CurrentAudience, EngineDep
from api.schemas import ERRORS, PERIOD_PATTERN, Comparison, FeatureCollection, HeatmapCells
from ols.access.audience import Audience
from ols.cartography.editions import comparison
from ols.cartography.heatmap import HeatmapQuery, heatmap, heatmap_cells, merge_summary
from ols.cartography.layers import (
    emerging_geojson,
    hotspot_frame,
    hotspot_status,
    hotspots_geojson,
    layer_metadata,
    refresh_record,
    zones_geojson,
)
from ols.cartography.tiles import heatmap_tile, zones_tile
from ols.nomenclature import Measure
from ols.periods import Period, parse_period

router = APIRouter(responses=ERRORS)
PeriodParam = Annotated[str, Query(description="2024-S2, 2024-11, 2024-W48, 2024...", pattern=PERIOD_PATTERN)]
ResolutionParam = Annotated[int | None, Query(ge=8, le=10, description="Défaut : la maille usuelle du rôle")]
CodeParam = Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+$")]
SourceParam = Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
MeasureParam = Annotated[
    Measure,
    Query(description="facts (défaut) : faits constatés et signalements ; activity : activité des services, à part"),
]


class LayerParams:
    """The query of a grid layer: period, resolution and filters."""

    def __init__(
        self, period: PeriodParam, resolution: ResolutionParam = None, family: CodeParam = None,
        category: CodeParam = None, source: SourceParam = None, measure: MeasureParam = "facts",
    ) -> None:  # fmt: skip
        self.period = parse_period(period)
        self.resolution = resolution
        self.family = family
        self.category = category
        self.source = source
        self.measure: Measure = measure

    def heatmap(self) -> HeatmapQuery:
        """As a heatmap query."""
        return HeatmapQuery(self.period, self.resolution, self.family, self.category, self.source, self.measure)


async def layer_params(
    period: PeriodParam,
    resolution: ResolutionParam = None,
    family: CodeParam = None,
    category: CodeParam = None,
    source: SourceParam = None,
    measure: MeasureParam = "facts",
) -> LayerParams:
    """The layer query (async: no thread is spent on building it)."""
    return LayerParams(period, resolution, family, category, source, measure)


Params = Annotated[LayerParams, Depends(layer_params)]


class TileParams:
    """The address of a vector tile."""

    def __init__(
        self, layer: Annotated[str, Path(pattern="^(heatmap|zones)$")], z: Annotated[int, Path(ge=0, le=22)],
        x: Annotated[int, Path(ge=0)], y: Annotated[int, Path(ge=0)],
    ) -> None:  # fmt: skip
        if x >= 2**z or y >= 2**z:
            raise HTTPException(
                status_code=422, detail=f"tuile hors du niveau de zoom {z} : x et y vont de 0 à {2**z - 1}"
            )
        self.layer, self.z, self.x, self.y = layer, z, x, y


def _stamp(connection: Connection, period: Period) -> str:
    return str(refresh_record(connection, period)["refreshed_at"])


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
    engine: Engine, build: Callable[..., dict[str, Any]], query: HeatmapQuery, audience: Audience, stamp: str
) -> dict[str, Any]:
    with engine.connect() as connection:
        return build(connection, query, audience, refreshed_at=stamp)


async def _cached(request: Request, engine: Engine, audience: Audience, params: LayerParams, kind: str) -> Response:
    """Serve a heatmap form from memory as gzip-ready bytes with an ETag; a hit costs no query."""
    query = params.heatmap()
    key = (kind, query, audience.cache_key)
    cache = request.app.state.layer_cache
    known = request.app.state.refresh_stamps.get(query.period.name)
    stamp = known[1] if known and known[0] > time.monotonic() else None
    entry = cache.get(key, stamp) if stamp else None
    if entry is None:
        fresh: str = await run_in_threadpool(_fresh_stamp, request, engine, query.period)
        entry = cache.get(key, fresh)
        if entry is None:
            build = heatmap if kind == "heatmap" else heatmap_cells
            payload = await run_in_threadpool(_build, engine, build, query, audience, fresh)
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
async def heatmap_layer(request: Request, engine: EngineDep, audience: CurrentAudience, params: Params) -> Response:
    """Events per H3 hexagon for a refreshed period, as the caller's audience receives them."""
    return await _cached(request, engine, audience, params, "heatmap")


@router.get("/heatmap/cells", response_model=HeatmapCells, responses={304: {"description": "Not modified"}})
async def heatmap_cells_layer(
    request: Request, engine: EngineDep, audience: CurrentAudience, params: Params
) -> Response:
    """The heatmap as ``[h3, count]`` pairs (null count: hidden), for clients that draw hexagons themselves."""
    return await _cached(request, engine, audience, params, "cells")


@router.get("/hotspots", response_model=FeatureCollection)
def hotspots_layer(
    engine: EngineDep,
    audience: CurrentAudience,
    period: PeriodParam,
    resolution: ResolutionParam = None,
    family: CodeParam = None,
    significant_only: bool = False,
    measure: MeasureParam = "facts",
) -> dict[str, Any]:
    """Gi* hot spots of the caller's categories: every cell of its study area with count and class, or
    "insufficient" where there are too few facts (the metadata's ``status`` and ``reason`` say why)."""
    spec = parse_period(period)
    with engine.connect() as connection:
        frame = hotspot_frame(connection, spec, audience, resolution=resolution, family=family,
                              significant_only=significant_only, measure=measure)  # fmt: skip
        grid = audience.resolution(resolution)
        status = hotspot_status(connection, spec, audience, resolution=grid, family=family, measure=measure)
        merged = merge_summary(connection, HeatmapQuery(spec, grid, family, measure=measure), audience)
        metadata = layer_metadata(connection, spec, family=family or "*", resolution=grid, method={"resolution": grid},
                                  **status, **merged)  # fmt: skip
    return hotspots_geojson(frame, metadata, audience)


@router.get("/emerging-hotspots", response_model=FeatureCollection)
def emerging_layer(engine: EngineDep, audience: CurrentAudience, period: PeriodParam) -> dict[str, Any]:
    """Space-time patterns (new, intensifying, persistent... hot or cold) of the semesters ending with ``period``."""
    with engine.connect() as connection:
        return emerging_geojson(connection, parse_period(period), audience)


@router.get("/zones", response_model=FeatureCollection)
def zones_layer(engine: EngineDep, audience: CurrentAudience, period: PeriodParam) -> dict[str, Any]:
    """Computed zones of the period and the declared zones valid during it, in the caller's territories."""
    with engine.connect() as connection:
        return zones_geojson(connection, parse_period(period), audience)


@router.get("/zones/compare", response_model=Comparison)
def zones_compare(engine: EngineDep, audience: CurrentAudience, period: PeriodParam) -> dict[str, Any]:
    """Declared zones no longer hot, hot areas outside declared zones, zones entering and leaving."""
    with engine.connect() as connection:
        return comparison(connection, parse_period(period), audience)


@router.get("/tiles/{layer}/{z}/{x}/{y}.mvt", responses={200: {"content": {"application/vnd.mapbox-vector-tile": {}}}})
def tile(
    engine: EngineDep,
    audience: CurrentAudience,
    address: Annotated[TileParams, Depends()],
    params: Params,
) -> Response:
    """A Mapbox vector tile of the heatmap or zones layer (built by PostGIS's ST_AsMVT), cut for the caller."""
    spec, (z, x, y) = params.period, (address.z, address.x, address.y)
    with engine.connect() as connection:
        _stamp(connection, spec)
        if address.layer == "zones":
            body = zones_tile(connection, z, x, y, spec, audience)
        else:
            body = heatmap_tile(connection, z, x, y, params.heatmap(), audience)
    return Response(body, media_type="application/vnd.mapbox-vector-tile")
