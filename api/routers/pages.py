"""The web pages: the map for a logged-in user (cut for its audience), the login form otherwise."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection, exists, func, select

from api.deps import SESSION_COOKIE, EngineDep, SettingsDep
from ols.access.audience import Audience
from ols.access.sessions import session_user
from ols.publishing.sections import of_observatory
from ols.store.changes import refreshed_periods
from ols.store.models import Edition as Published
from ols.store.models import StreetEdge, Territory
from web.page import Edition, accessibility_page, content_policy, login_page, map_page

router = APIRouter(include_in_schema=False)
FALLBACK_BOUNDS = (2.9, 50.5, 3.3, 50.8)


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    presentation: Annotated[bool, Query()] = False,
    basemap: Annotated[str | None, Query(pattern="^(streets|osm|ign|none)$")] = None,
) -> HTMLResponse:
    """The map (after login), in French; ``?presentation=true`` for the meeting screen. The base map is the
    territory's streets when it has loaded some (drawn offline), else OpenStreetMap; ``?basemap=`` chooses."""
    cookie = request.cookies.get(SESSION_COOKIE)
    with engine.connect() as connection:
        user = session_user(connection, cookie, key=settings.secret_key) if cookie else None
        if user is None:
            return HTMLResponse(login_page())
        audience = Audience.for_user(user, threshold=settings.suppression_threshold)
        box = select(func.ST_Extent(Territory.geom).label("box")).where(audience.own_territories().clause).subquery()
        corners = (func.ST_XMin(box.c.box), func.ST_YMin(box.c.box), func.ST_XMax(box.c.box), func.ST_YMax(box.c.box))
        extent = connection.execute(select(*corners)).one()
        edition = _edition(connection, audience)
        newest = next((period.name for period, _ in refreshed_periods(connection)), None)
        west, south, east, north = (float(v) if v is not None else f
                                    for v, f in zip(extent, FALLBACK_BOUNDS, strict=True))  # fmt: skip
        streets = connection.execute(select(exists().where(
            StreetEdge.geom.intersects(func.ST_MakeEnvelope(west, south, east, north, 4326))
        ))).scalar_one()  # fmt: skip
    html, nonce = map_page(bounds=(west, south, east, north), audience=audience, basemap=basemap,
                           presentation=presentation, streets=streets, edition=edition, period=newest)  # fmt: skip
    return HTMLResponse(html, headers={"Content-Security-Policy": content_policy(nonce)})


def _edition(connection: Connection, audience: Audience) -> Edition:
    """The observatory, the reader's communes and the publication date of each published period, for the map's
    title band."""
    communes = connection.execute(
        select(Territory.name).where(audience.own_territories().clause).order_by(Territory.name)
    ).scalars()
    published = connection.execute(select(Published.period, Published.published_at)).all()
    return Edition(of_observatory(connection), tuple(communes),
                   {period: at.date().isoformat() for period, at in published})  # fmt: skip


@router.get("/accessibilite", response_class=HTMLResponse)
def accessibility() -> HTMLResponse:
    """The accessibility statement (RGAA 4.1), readable without logging in."""
    return HTMLResponse(accessibility_page(), headers={"Content-Security-Policy": content_policy()})
