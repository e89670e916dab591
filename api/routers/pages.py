"""The web pages: the map for a logged-in user, the login form otherwise."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import text

from api.deps import SESSION_COOKIE, EngineDep, principal_of
from web.page import login_page, map_page

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    engine: EngineDep,
    presentation: Annotated[bool, Query()] = False,
    basemap: Annotated[str, Query(pattern="^(osm|ign|none)$")] = "osm",
) -> HTMLResponse:
    """The map (after login), in French; ``?presentation=true`` for the meeting screen."""
    token = request.cookies.get(SESSION_COOKIE)
    user = principal_of(request, engine, token) if token else None
    if user is None:
        return HTMLResponse(login_page())
    with engine.connect() as connection:
        query = "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e FROM territory"
        params: dict[str, object] = {}
        if user.territories:
            query += " WHERE code = ANY(:codes)"
            params["codes"] = list(user.territories)
        west, south, east, north = connection.execute(text(query + ") t"), params).one()
    bounds = (west or 2.9, south or 50.5, east or 3.3, north or 50.8)
    return HTMLResponse(map_page(bounds=bounds, role=user.role, user=user.name, basemap=basemap,
                                 presentation=presentation))  # fmt: skip
