"""The police municipale's workspace pages: points de deal (map, form, table, history) and patrol planning.

Both pages carry a Leaflet map on the territory's own streets when it loaded some (the map page's offline
vector tiles, ``static/ols-streets.js``); their data blocks hold the reader's extent, the loaded places
(a keyboard alternative to clicking the map) and, for patrols, the refreshed periods whose facts score
the stops. Who opens them is ``web.workspace.TABS`` (``Layer.DEAL_POINTS``, ``Layer.PATROLS``); the API
behind them checks the same audience again.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection, exists, func, select

from api.deps import EngineDep, SettingsDep
from api.routers.pages import FALLBACK_BOUNDS
from api.routers.workspace import serve_page
from ols.access.audience import Audience
from ols.patrols.records import OUTCOMES
from ols.store.models import Place, Refresh, StreetEdge, Territory
from web.page import STREETS, STREETS_JS

router = APIRouter(include_in_schema=False)
MAP_SCRIPTS = ("/vendor/leaflet/dist/leaflet.js", STREETS_JS[0], "ws-map.js", STREETS_JS[1].removeprefix("/static/"))
PLACES_SHOWN = 400  # the places offered as a start or a point's location (a datalist, not a directory)


def _map_data(connection: Connection, audience: Audience) -> dict[str, Any]:
    """The reader's extent, whether its streets are loaded, and its places (name, lon, lat)."""
    box = select(func.ST_Extent(Territory.geom).label("box")).where(audience.own_territories().clause).subquery()
    corners = (func.ST_XMin(box.c.box), func.ST_YMin(box.c.box), func.ST_XMax(box.c.box), func.ST_YMax(box.c.box))
    extent = connection.execute(select(*corners)).one()
    west, south, east, north = (float(v) if v is not None else f for v, f in zip(extent, FALLBACK_BOUNDS, strict=True))
    envelope = func.ST_MakeEnvelope(west, south, east, north, 4326)
    streets = connection.execute(select(exists().where(StreetEdge.geom.intersects(envelope)))).scalar_one()
    places = connection.execute(
        select(Place.name, func.ST_X(Place.geom), func.ST_Y(Place.geom))
        .where(Place.geom.intersects(envelope))
        .order_by(Place.name)
        .limit(PLACES_SHOWN)
    ).all()
    return {"bounds": [west, south, east, north], "streets": STREETS if streets else None,
            "places": [{"name": name, "lon": lon, "lat": lat} for name, lon, lat in places]}  # fmt: skip


def _patrol_data(connection: Connection, audience: Audience) -> dict[str, Any]:
    """The map's data, the refreshed periods (newest first) and the main courante's reason codes."""
    periods = connection.execute(select(Refresh.period).order_by(Refresh.period.desc())).scalars().all()
    return {**_map_data(connection, audience), "periods": list(periods), "outcomes": OUTCOMES}


@router.get("/points-de-deal", response_class=HTMLResponse)
def deal_points(request: Request, engine: EngineDep, settings: SettingsDep) -> HTMLResponse:
    """Points de deal: enter one (map click, place or coordinates), change its status, read its history."""
    return serve_page(request, engine, settings, path="/points-de-deal", fragment="points-de-deal",
                      scripts=(*MAP_SCRIPTS, "ws-dealpoints.js"), data=_map_data)  # fmt: skip


@router.get("/patrouilles", response_class=HTMLResponse)
def patrols(request: Request, engine: EngineDep, settings: SettingsDep) -> HTMLResponse:
    """Patrol planning: the form, the routes and their stops, the downloads and the main courante."""
    return serve_page(request, engine, settings, path="/patrouilles", fragment="patrouilles",
                      scripts=(*MAP_SCRIPTS, "ws-patrols.js"), data=_patrol_data)  # fmt: skip
