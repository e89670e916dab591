"""OGC API – Features (read-only) of the latest refreshed period: hexagons, zones, places.

Enough of Part 1 (Core + GeoJSON) for GDAL's ``OAPIF:`` driver and QGIS: landing page,
conformance, collections, items with ``limit``/``offset``/``bbox`` and ``next`` links. Every
collection is read for the caller's audience, as the rest of the API (send the token in the
Authorization header); a collection it may not see is not listed. Features are read on the bounded
analysis runner (:mod:`api.work`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from sqlalchemy import Connection, func, select

from api.cache import dumps
from api.deps import CurrentAudience
from api.schemas import ERRORS
from api.serving import endpoint_of, runner_of
from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.cartography.grid import polygon, to_str
from ols.cartography.heatmap import HeatmapQuery, visible_cells
from ols.cartography.layers import zones_geojson
from ols.periods import Period, parse_period
from ols.store.models import Place, Refresh

router = APIRouter(prefix="/ogc", responses=ERRORS, tags=["OGC API Features"])
COLLECTIONS = {
    "hexagones": "Carte de chaleur H3 du dernier semestre rafraîchi",
    "zones": "Zones de vigilance (calculées et déclarées)",
    "lieux": "Lieux sensibles",
}
LAYERS = {"hexagones": Layer.HEATMAP, "zones": Layer.ZONES, "lieux": Layer.PLACES}
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
NUMBER = r"-?[0-9]{1,3}(\.[0-9]+)?"
BBOX = rf"^{NUMBER},{NUMBER},{NUMBER},{NUMBER}$"


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _latest(connection: Connection) -> Period:
    name = connection.execute(select(Refresh.period).order_by(Refresh.refreshed_at.desc()).limit(1)).scalar()
    if name is None:
        raise HTTPException(status_code=404, detail="aucune période calculée pour l'instant : lancez « ols refresh »")
    return parse_period(str(name))


@router.get("")
def landing(request: Request) -> dict[str, Any]:
    """Landing page."""
    base = _base(request)
    return {"title": "OLS — Observatoire Local de la Sécurité", "links": [
        {"href": base, "rel": "self", "type": "application/json"},
        {"href": f"{base}/conformance", "rel": "conformance", "type": "application/json"},
        {"href": f"{base}/collections", "rel": "data", "type": "application/json"},
        {"href": str(request.base_url).rstrip("/") + "/api/v1/openapi.json", "rel": "service-desc",
         "type": "application/vnd.oai.openapi+json;version=3.0"},
    ]}  # fmt: skip


@router.get("/conformance")
def conformance() -> dict[str, Any]:
    """The conformance classes implemented."""
    return {"conformsTo": CONFORMANCE}


def _collection(base: str, name: str) -> dict[str, Any]:
    return {"id": name, "title": COLLECTIONS[name], "itemType": "feature",
            "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
            "links": [{"href": f"{base}/collections/{name}/items", "rel": "items", "type": "application/geo+json"},
                      {"href": f"{base}/collections/{name}", "rel": "self", "type": "application/json"}]}  # fmt: skip


@router.get("/collections")
def collections(request: Request, audience: CurrentAudience) -> dict[str, Any]:
    """The collections the caller may read."""
    names = [name for name in COLLECTIONS if audience.may(LAYERS[name])]
    base = _base(request)
    return {"collections": [_collection(base, name) for name in names],
            "links": [{"href": f"{base}/collections", "rel": "self", "type": "application/json"}]}  # fmt: skip


@router.get("/collections/{name}")
def collection(
    request: Request, audience: CurrentAudience, name: Annotated[str, Path(pattern="^(hexagones|zones|lieux)$")]
) -> dict[str, Any]:
    """One collection's description."""
    audience.require(LAYERS[name])
    return _collection(_base(request), name)


def _features(connection: Connection, name: str, audience: Audience) -> list[dict[str, Any]]:
    audience.require(LAYERS[name])
    period = _latest(connection)
    if name == "zones":
        features: list[dict[str, Any]] = zones_geojson(connection, period, audience)["features"]
        for index, feature in enumerate(features, start=1):
            feature["id"] = index
        return features
    if name == "lieux":
        rows = connection.execute(
            select(Place.id, Place.kind, Place.name, func.ST_X(Place.geom), func.ST_Y(Place.geom))
            .where(audience.area(Place.geom).clause)
            .order_by(Place.id)
        ).all()
        return [{"type": "Feature", "id": ident, "geometry": {"type": "Point", "coordinates": [x, y]},
                 "properties": {"kind": kind, "name": label}} for ident, kind, label, x, y in rows]  # fmt: skip
    resolution = audience.resolution()
    cells = visible_cells(connection, HeatmapQuery(period, resolution), audience)
    names = to_str(cell for cell, _ in cells)
    return [{"type": "Feature", "id": index, "geometry": polygon(cell).__geo_interface__,
             "properties": {"h3": h3, "period": period.name, "resolution": resolution, "count": count,
                            "count_label": audience.count_label(count)}}
            for index, ((cell, count), h3) in enumerate(zip(cells, names, strict=True), start=1)]  # fmt: skip


def _in_bbox(feature: dict[str, Any], box: tuple[float, ...]) -> bool:
    coordinates = feature["geometry"]["coordinates"]
    while isinstance(coordinates[0], list | tuple) and isinstance(coordinates[0][0], list | tuple):
        coordinates = [point for part in coordinates for point in part]
    points = coordinates if isinstance(coordinates[0], list | tuple) else [coordinates]
    return any(box[0] <= x <= box[2] and box[1] <= y <= box[3] for x, y, *_ in points)


def _page(features: list[dict[str, Any]], base: str, limit: int, offset: int) -> dict[str, Any]:
    page = features[offset : offset + limit]
    links = [{"href": f"{base}?limit={limit}&offset={offset}", "rel": "self", "type": "application/geo+json"}]
    if offset + limit < len(features):
        links.append({"href": f"{base}?limit={limit}&offset={offset + limit}", "rel": "next",
                      "type": "application/geo+json"})  # fmt: skip
    return {"type": "FeatureCollection", "features": page, "numberMatched": len(features),
            "numberReturned": len(page), "links": links}  # fmt: skip


@router.get("/collections/{name}/items")
async def items(
    request: Request,
    audience: CurrentAudience,
    name: Annotated[str, Path(pattern="^(hexagones|zones|lieux)$")],
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
    bbox: Annotated[str | None, Query(pattern=BBOX)] = None,
) -> Response:
    """Features of a collection (GeoJSON), paged."""
    box = tuple(float(value) for value in bbox.split(",")) if bbox else None
    if box and not (box[0] <= box[2] and box[1] <= box[3]):
        raise HTTPException(status_code=422, detail="bbox s'écrit minlon,minlat,maxlon,maxlat (WGS84)")
    base = f"{_base(request)}/collections/{name}/items"

    def read(connection: Connection) -> bytes:
        features = _features(connection, name, audience)
        if box:
            features = [feature for feature in features if _in_bbox(feature, box)]
        return dumps(_page(features, base, limit, offset))

    body = await runner_of(request).run(request, endpoint_of(request), read)
    return Response(body, media_type="application/json")


@router.get("/collections/{name}/items/{feature_id}")
async def item(
    request: Request,
    audience: CurrentAudience,
    name: Annotated[str, Path(pattern="^(hexagones|zones|lieux)$")],
    feature_id: Annotated[int, Path(ge=1)],
) -> dict[str, Any]:
    """One feature."""
    features = await runner_of(request).run(request, endpoint_of(request), lambda c: _features(c, name, audience))
    found = next((feature for feature in features if feature["id"] == feature_id), None)
    if found is None:
        raise HTTPException(status_code=404, detail=f"aucun objet {feature_id} dans {name}")
    return found
