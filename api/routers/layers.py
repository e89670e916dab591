"""Map layers: heatmap, hot spots, emerging hot spots, zones, their comparison, veille croisée, vector tiles
(the layers' and the streets', the offline base map).

Each route reads its layer for the caller's audience (:mod:`ols.access`); nothing here decides
what a role may see. Every layer is served by :mod:`api.serving`: from the response cache, keyed
on the audience, while the data it was read from is unchanged, else computed once on the bounded
analysis runner. The ``*_answer`` functions describe each answer (also used to warm the cache).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from sqlalchemy import Connection

from api.areas import Where, WhereParams
from api.deps import CurrentAudience
from api.schemas import ERRORS, PERIOD_PATTERN, Comparison, FeatureCollection, HeatmapCells
from api.serving import Answer, answers_of
from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.analysis.crosswatch import watch_places
from ols.cartography.comparison import comparison
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
from ols.cartography.outlines import cell_outlines
from ols.cartography.tiles import heatmap_tile, streets_tile, zones_tile
from ols.nomenclature import Measure
from ols.periods import Period, parse_period
from ols.store.changes import EVENTS, REFERENCE, STREETS, ZONES

router = APIRouter(responses=ERRORS)
PeriodParam = Annotated[str, Query(description="2024-S2, 2024-11, 2024-W48, 2024...", pattern=PERIOD_PATTERN)]
ResolutionParam = Annotated[int | None, Query(ge=8, le=10, description="Défaut : la maille usuelle du rôle")]
CodeParam = Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+$")]
SourceParam = Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
MeasureParam = Annotated[
    Measure,
    Query(description="facts (défaut) : faits constatés et signalements ; activity : activité des services, à part"),
]
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {304: {"description": "Not modified"}}
MVT = "application/vnd.mapbox-vector-tile"


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

    def heatmap(self, audience: Audience) -> HeatmapQuery:
        """As a heatmap query, at the resolution the audience gets (the one asked, or its usual one)."""
        grid = audience.resolution(self.resolution)
        return HeatmapQuery(self.period, grid, self.family, self.category, self.source, self.measure)


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


ZoomParam = Annotated[int, Path(ge=0, le=22)]
TileIndex = Annotated[int, Path(ge=0)]


class TileParams:
    """The address of a vector tile."""

    def __init__(
        self, layer: Annotated[str, Path(pattern="^(heatmap|zones)$")], z: ZoomParam, x: TileIndex, y: TileIndex
    ) -> None:
        if x >= 2**z or y >= 2**z:
            raise HTTPException(
                status_code=422, detail=f"tuile hors du niveau de zoom {z} : x et y vont de 0 à {2**z - 1}"
            )
        self.layer, self.z, self.x, self.y = layer, z, x, y


def _query_key(query: HeatmapQuery) -> tuple[object, ...]:
    return (query.period.name, query.resolution, query.family, query.category, query.source, query.measure)


def heatmap_answer(audience: Audience, query: HeatmapQuery, kind: str) -> Answer:
    """The heatmap of a query, for an audience: ``heatmap``, GeoJSON; ``cells``, ``[h3, count]`` pairs; ``outlines``,
    the same pairs with each cell's outline projected for a canvas (the map page's)."""

    def read(connection: Connection) -> dict[str, Any]:
        refreshed_at = refresh_record(connection, query.period)["refreshed_at"]
        if kind == "heatmap":
            return heatmap(connection, query, audience, refreshed_at=refreshed_at)
        answer = heatmap_cells(connection, query, audience, refreshed_at=refreshed_at)
        return answer | (
            {"outlines": cell_outlines([cell for cell, _ in answer["cells"]])} if kind == "outlines" else {}
        )

    media = "application/geo+json" if kind == "heatmap" else "application/json"
    return Answer(kind, _query_key(query), read, Layer.HEATMAP, REFERENCE, (query.period.name,), media)


def hotspots_answer(
    audience: Audience, period: Period, resolution: int | None, family: str | None, significant_only: bool,
    measure: Measure = "facts", where: Where | None = None,
) -> Answer:  # fmt: skip
    """Gi* hot spots of a period, for an audience: every cell with its class, or "insufficient" where
    there are too few facts (the metadata's ``status`` and ``reason`` say why); for one commune or
    sector (``where``), the cells meeting it."""
    grid, where = audience.resolution(resolution), where or Where()

    def read(connection: Connection) -> dict[str, Any]:
        area = where.area(connection, audience)
        frame = hotspot_frame(connection, period, audience, resolution=grid, family=family,
                              significant_only=significant_only, measure=measure, area=area)  # fmt: skip
        status = hotspot_status(connection, period, audience, resolution=grid, family=family, measure=measure)
        merged = merge_summary(connection, HeatmapQuery(period, grid, family, measure=measure), audience)
        metadata = layer_metadata(connection, period, family=family or "*", resolution=grid,
                                  method={"resolution": grid}, area=area.label(connection), **status,
                                  **merged)  # fmt: skip
        return hotspots_geojson(frame, metadata, audience)

    params = (period.name, grid, family, significant_only, measure, *where.key)
    return Answer("hotspots", params, read, Layer.HOTSPOTS, REFERENCE, (period.name,))


def zones_answer(period: Period, audience: Audience, where: Where | None = None) -> Answer:
    """Computed and declared zones of a period, for an audience (those meeting a commune or sector, ``where``)."""
    where = where or Where()
    read = lambda connection: zones_geojson(connection, period, audience, where.area(connection, audience))  # noqa: E731
    return Answer("zones", (period.name, *where.key), read, Layer.ZONES, (ZONES, *REFERENCE), (period.name,))


def comparison_answer(period: Period, audience: Audience, where: Where | None = None) -> Answer:
    """Zones compared with the declared ones and the previous period, for an audience (and a commune or sector)."""
    where = where or Where()
    read = lambda connection: comparison(connection, period, audience, where.area(connection, audience))  # noqa: E731
    periods = (period.name, period.previous().name)
    return Answer("zones/compare", (period.name, *where.key), read, Layer.ZONES, (ZONES, *REFERENCE), periods)


@router.get("/heatmap", response_model=FeatureCollection, responses=NOT_MODIFIED)
async def heatmap_layer(request: Request, audience: CurrentAudience, params: Params) -> Response:
    """Events per H3 hexagon for a refreshed period, as the caller's audience receives them."""
    return await answers_of(request).serve(
        request, audience, heatmap_answer(audience, params.heatmap(audience), "heatmap")
    )


@router.get("/heatmap/cells", response_model=HeatmapCells, responses=NOT_MODIFIED)
async def heatmap_cells_layer(
    request: Request,
    audience: CurrentAudience,
    params: Params,
    outlines: Annotated[bool, Query(description="Joindre le contour de chaque maille, projeté (EPSG:3857)")] = False,
) -> Response:
    """The heatmap as ``[h3, count]`` pairs (null count: hidden), for clients that draw hexagons themselves; with
    ``outlines``, each cell's outline as path data in Web Mercator metres (the map page paints them on a canvas)."""
    kind = "outlines" if outlines else "cells"
    return await answers_of(request).serve(request, audience, heatmap_answer(audience, params.heatmap(audience), kind))


@router.get("/hotspots", response_model=FeatureCollection, responses=NOT_MODIFIED)
async def hotspots_layer(
    request: Request,
    audience: CurrentAudience,
    period: PeriodParam,
    where: WhereParams,
    resolution: ResolutionParam = None,
    family: CodeParam = None,
    significant_only: bool = False,
    measure: MeasureParam = "facts",
) -> Response:
    """Gi* hot spots of the caller's categories: every cell of its study area with count and class, or
    "insufficient" where there are too few facts (the metadata's ``status`` and ``reason`` say why). Computed
    over the whole observatory; ``commune`` or ``sector`` keeps the cells meeting it."""
    answer = hotspots_answer(audience, parse_period(period), resolution, family, significant_only, measure, where)
    return await answers_of(request).serve(request, audience, answer)


@router.get("/emerging-hotspots", response_model=FeatureCollection, responses=NOT_MODIFIED)
async def emerging_layer(request: Request, audience: CurrentAudience, period: PeriodParam) -> Response:
    """Space-time patterns (new, intensifying, persistent... hot or cold) of the semesters ending with ``period``."""
    spec = parse_period(period)
    read = lambda connection: emerging_geojson(connection, spec, audience)  # noqa: E731
    answer = Answer("emerging", (spec.name,), read, Layer.EMERGING, REFERENCE, (spec.name,))
    return await answers_of(request).serve(request, audience, answer)


@router.get("/zones", response_model=FeatureCollection, responses=NOT_MODIFIED)
async def zones_layer(request: Request, audience: CurrentAudience, period: PeriodParam, where: WhereParams) -> Response:
    """Computed zones of the period and the declared zones valid during it, in the caller's territories (meeting
    the ``commune`` or ``sector`` asked for), each with the communes and sectors it lies in."""
    return await answers_of(request).serve(request, audience, zones_answer(parse_period(period), audience, where))


@router.get("/zones/compare", response_model=Comparison, responses=NOT_MODIFIED)
async def zones_compare(
    request: Request, audience: CurrentAudience, period: PeriodParam, where: WhereParams
) -> Response:
    """Declared zones no longer hot, hot areas outside declared zones, zones entering and leaving."""
    answer = comparison_answer(parse_period(period), audience, where)
    return await answers_of(request).serve(request, audience, answer)


def crosswatch_answer(period: Period, audience: Audience) -> Answer:
    """The veille croisée of a period as named places, for an audience that receives it."""
    read = lambda connection: watch_places(connection, period, audience)  # noqa: E731
    return Answer("crosswatch", (period.name,), read, Layer.CROSSWATCH, (EVENTS, *REFERENCE))


@router.get("/crosswatch", response_model=FeatureCollection, responses=NOT_MODIFIED)
async def crosswatch_layer(request: Request, audience: CurrentAudience, period: PeriodParam) -> Response:
    """Veille croisée: the named places where rassemblements and drug trafficking, burglaries and vehicle arson
    are all significantly above expectation in the period (police and coordinator)."""
    return await answers_of(request).serve(request, audience, crosswatch_answer(parse_period(period), audience))


def tile_answer(address: TileParams, params: LayerParams, audience: Audience) -> Answer:
    """One vector tile of the heatmap or zones layer, for an audience."""
    spec, (z, x, y) = params.period, (address.z, address.x, address.y)
    zones = address.layer == "zones"
    query = None if zones else params.heatmap(audience)

    def read(connection: Connection) -> bytes:
        refresh_record(connection, spec)  # 404 for a period never refreshed
        if query is None:
            return zones_tile(connection, z, x, y, spec, audience)
        return heatmap_tile(connection, z, x, y, query, audience)

    key = (spec.name,) if query is None else _query_key(query)
    kinds: tuple[str, ...] = (ZONES, *REFERENCE) if zones else REFERENCE
    layer = Layer.ZONES if zones else Layer.HEATMAP
    return Answer(f"tiles/{address.layer}", (*key, z, x, y), read, layer, kinds, (spec.name,), MVT)


def streets_tile_answer(address: TileParams) -> Answer:
    """One vector tile of the streets (reference data: the same for every reader, no layer right needed)."""
    z, x, y = address.z, address.x, address.y
    read = lambda connection: streets_tile(connection, z, x, y)  # noqa: E731
    return Answer("tiles/streets", (z, x, y), read, None, (STREETS,), (), MVT)


@router.get("/tiles/streets/{z}/{x}/{y}.mvt", responses={200: {"content": {MVT: {}}}, **NOT_MODIFIED})
async def streets_tile_layer(request: Request, audience: CurrentAudience, z: ZoomParam, x: TileIndex,
                             y: TileIndex) -> Response:  # fmt: skip
    """A Mapbox vector tile of the loaded street networks (layer ``streets``: ``name``, ``highway``), the map's
    offline base map: each street segment once, minor roads from zoom 13–15. Any logged-in reader receives it."""
    answer = streets_tile_answer(TileParams("streets", z, x, y))
    return await answers_of(request).serve(request, audience, answer)


@router.get("/tiles/{layer}/{z}/{x}/{y}.mvt", responses={200: {"content": {MVT: {}}}, **NOT_MODIFIED})
async def tile(
    request: Request, audience: CurrentAudience, address: Annotated[TileParams, Depends()], params: Params
) -> Response:
    """A Mapbox vector tile of the heatmap or zones layer (built by PostGIS's ST_AsMVT), cut for the caller."""
    return await answers_of(request).serve(request, audience, tile_answer(address, params, audience))
