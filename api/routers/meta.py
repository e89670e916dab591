"""Periods, nomenclature, sources, territories, sectors, places and the web session (health: :mod:`api.health`).

Territories and places, which the map reads at every start, are served from the response cache
while the reference data is unchanged (:mod:`api.serving`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from sqlalchemy import Connection, func, select

from api.deps import (
    SESSION_COOKIE,
    CurrentAudience,
    CurrentUser,
    EngineDep,
    SettingsDep,
    check_origin,
    client_address,
)
from api.schemas import (
    ERRORS,
    CategoryInfo,
    FamilyInfo,
    FeatureCollection,
    PeriodInfo,
    SessionIn,
    SessionOut,
    SourceInfo,
)
from api.serving import Answer, answers_of
from ols.access.audience import Audience
from ols.access.sessions import close_session, open_session
from ols.access.users import Principal, authenticate
from ols.nomenclature import FAMILIES, categories_of
from ols.reference.places import kind_label
from ols.store.changes import EVENTS, REFERENCE, refreshed_periods
from ols.store.models import Place, Sector, Source, Territory

router = APIRouter(responses=ERRORS)


@router.get("/periods", response_model=list[PeriodInfo])
def periods(engine: EngineDep, user: CurrentUser) -> list[PeriodInfo]:
    """The periods whose cartography has been refreshed, newest first."""
    with engine.connect() as connection:
        rows = refreshed_periods(connection)
    return [PeriodInfo(name=period.name, label=period.label, kind=period.kind, start=period.start, end=period.end,
                       refreshed_at=refreshed_at.isoformat()) for period, refreshed_at in rows]  # fmt: skip


@router.get("/nomenclature", response_model=list[FamilyInfo])
def nomenclature() -> list[FamilyInfo]:
    """Families and categories of the harmonised nomenclature (with their SSMSI indicators)."""
    return [
        FamilyInfo(code=family.code, label=family.label, categories=[
            CategoryInfo(code=c.code, label=c.label, ssmsi=c.ssmsi, sensitive=c.sensitive, measure=c.measure)
            for c in categories_of(family.code)])
        for family in FAMILIES
    ]  # fmt: skip


def _who(user: Principal) -> SessionOut:
    audience = Audience.for_user(user)
    return SessionOut(name=user.name, role=user.role, role_label=audience.label,
                      territories=list(user.territories), layers=audience.layers())  # fmt: skip


@router.post("/session", response_model=SessionOut)
def open_session_route(body: SessionIn, request: Request, response: Response, engine: EngineDep,
                       settings: SettingsDep) -> SessionOut:  # fmt: skip
    """Exchange a token for a session cookie (failed attempts lock the client address out for a while)."""
    throttle = request.app.state.throttle
    throttle.check(client_address(request))
    check_origin(request, settings)
    with engine.begin() as connection:
        principal = authenticate(connection, body.token)
        if principal is None:
            throttle.fail(client_address(request))
            raise HTTPException(status_code=401, detail="jeton refusé")
        cookie = open_session(connection, principal, key=settings.secret_key, hours=settings.session_hours)
    secure = settings.environment != "development"
    response.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="strict", secure=secure,
                        max_age=settings.session_hours * 3600)  # fmt: skip
    return _who(principal)


@router.get("/session", response_model=SessionOut)
def whoami(user: CurrentUser) -> SessionOut:
    """Who is logged in, and the layers that user may see."""
    return _who(user)


@router.delete("/session", status_code=204)
def close_session_route(request: Request, response: Response, engine: EngineDep, settings: SettingsDep) -> Response:
    """Log out: the session is revoked on the server, and the cookie cleared."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        check_origin(request, settings)
        with engine.begin() as connection:
            close_session(connection, cookie, key=settings.secret_key)
    response.delete_cookie(SESSION_COOKIE)
    response.status_code = 204
    return response


@router.get("/sources", response_model=list[SourceInfo])
def sources(engine: EngineDep, user: CurrentUser) -> list[SourceInfo]:
    """The partners whose facts the observatory holds."""
    with engine.connect() as connection:
        rows = connection.execute(select(Source.code, Source.name, Source.kind).order_by(Source.name)).all()
    return [SourceInfo(code=code, name=name, kind=kind) for code, name, kind in rows]


def territories_answer(audience: Audience) -> Answer:
    """The outlines of the audience's territories."""
    query = (
        select(Territory.code, Territory.name, Territory.insee, func.ST_AsGeoJSON(Territory.geom))
        .where(audience.own_territories().clause)
        .order_by(Territory.code)
    )

    def read(connection: Connection) -> dict[str, Any]:
        features = [
            {"type": "Feature", "geometry": json.loads(geometry), "properties": {"code": code, "name": name,
                                                                                 "insee": insee}}
            for code, name, insee, geometry in connection.execute(query).all()
        ]  # fmt: skip
        return {"type": "FeatureCollection", "features": features}

    return Answer("territories", (), read, kinds=REFERENCE)


@router.get("/territories", response_model=FeatureCollection, responses={304: {"description": "Not modified"}})
async def territories(request: Request, audience: CurrentAudience) -> Response:
    """The outlines of the territories the caller may see."""
    return await answers_of(request).serve(request, audience, territories_answer(audience))


def sectors_answer(audience: Audience) -> Answer:
    """The outlines of the sectors of the audience's area, with their level, parent and commune.

    Stamped by the events too: loading sectors gives the commune's facts their sector again, so it
    changes ``event`` (the ``sector`` table itself has no change log).
    """
    parent = Sector.__table__.alias("parent")
    query = (
        select(Sector.code, Sector.name, Sector.level, parent.c.code, Territory.code, func.ST_AsGeoJSON(Sector.geom, 6))
        .join(Territory, Territory.id == Sector.territory_id)
        .outerjoin(parent, parent.c.id == Sector.parent_id)
        .where(audience.own_sectors().clause)
        .order_by(Territory.code, Sector.level, Sector.code)
    )

    def read(connection: Connection) -> dict[str, Any]:
        rows = connection.execute(query).all()
        features = [{"type": "Feature", "geometry": json.loads(geometry), "properties": {
                        "code": code, "name": name, "level": level, "parent": parent_code, "commune": commune}}
                    for code, name, level, parent_code, commune, geometry in rows]  # fmt: skip
        return {"type": "FeatureCollection", "features": features}

    return Answer("sectors", (), read, kinds=(EVENTS, *REFERENCE))


@router.get("/sectors", response_model=FeatureCollection, responses={304: {"description": "Not modified"}})
async def sectors(request: Request, audience: CurrentAudience) -> Response:
    """The outlines of the sectors (quartiers, IRIS...) the caller may see."""
    return await answers_of(request).serve(request, audience, sectors_answer(audience))


def places_answer(audience: Audience, kind: str | None) -> Answer:
    """The named places of the audience's territories (of one kind, or all)."""
    query = (
        select(Place.kind, Place.name, func.ST_X(Place.geom), func.ST_Y(Place.geom), Place.attributes)
        .where(audience.area(Place.geom).clause)
        .order_by(Place.kind, Place.name)
    )
    if kind:
        query = query.where(Place.kind == kind)

    def read(connection: Connection) -> dict[str, Any]:
        features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                     "properties": {"kind": kind_, "kind_label": kind_label(kind_), "name": name,
                                    "radius_m": _radius(attributes)}}
                    for kind_, name, lon, lat, attributes in connection.execute(query).all()]  # fmt: skip
        return {"type": "FeatureCollection", "features": features}

    return Answer("places", (kind,), read, kinds=REFERENCE)


@router.get("/places", response_model=FeatureCollection, responses={304: {"description": "Not modified"}})
async def places(
    request: Request,
    audience: CurrentAudience,
    kind: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]+$")] = None,
) -> Response:
    """Named places of any kind (schools, bus stops, parks, cameras...) of the caller's territories, with the kind's
    French label (``kind_label``)."""
    return await answers_of(request).serve(request, audience, places_answer(audience, kind))


def _radius(attributes: dict[str, Any]) -> float | None:
    """A camera's coverage radius in metres (``radius_m`` attribute), when the place has one."""
    try:
        return float(attributes["radius_m"])
    except (KeyError, TypeError, ValueError):
        return None
