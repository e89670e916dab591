"""Points de deal reported in cellule de veille: first and last report, count, status, history.

The most sensitive layer (residents fear reprisals): only police roles and the coordinator ever
read it, every read is audited by the API, and it never enters a heatmap or an export.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from geoalchemy2.shape import from_shape
from shapely.geometry import Point, mapping
from sqlalchemy import Connection, func, insert, select, update

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.errors import InvalidInputError, NotFoundError
from ols.store.models import DEAL_POINT_STATUSES, DealPoint, DealPointChange, Territory

logger = logging.getLogger(__name__)


def _territory_of(connection: Connection, lon: float, lat: float) -> tuple[int, str]:
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    found = connection.execute(
        select(Territory.id, Territory.code).where(func.ST_Contains(Territory.geom, point)).limit(1)
    ).one_or_none()
    if found is None:
        msg = "le point est hors de tous les territoires de l'observatoire : placez-le dans un territoire chargé"
        raise InvalidInputError(msg)
    return int(found[0]), str(found[1])


def _check_status(status: str) -> None:
    if status not in DEAL_POINT_STATUSES:
        msg = f"statut inconnu « {status} » : choisissez parmi {', '.join(DEAL_POINT_STATUSES)}"
        raise InvalidInputError(msg)


def create(
    connection: Connection,
    audience: Audience,
    *,
    label: str,
    lon: float,
    lat: float,
    reported_on: date,
    status: str = "actif",
    notes: str = "",
) -> int:
    """Record a newly reported point de deal, in one of the audience's territories; return its id."""
    audience.require(Layer.DEAL_POINTS)
    _check_status(status)
    territory, code = _territory_of(connection, lon, lat)
    audience.check_place(connection, code, lon, lat)
    by = audience.name
    point_id = connection.execute(insert(DealPoint).values(
        label=label, territory_id=territory, geom=from_shape(Point(lon, lat), srid=4326), first_reported=reported_on,
        last_reported=reported_on, reports=1, status=status, notes=notes,
    ).returning(DealPoint.id)).scalar_one()  # fmt: skip
    connection.execute(insert(DealPointChange).values(deal_point_id=point_id, by=by, change={
        "event": "created", "status": status, "reported_on": reported_on.isoformat()}))  # fmt: skip
    logger.info("point de deal %d signalé par %s", point_id, by)
    return int(point_id)


def update_point(
    connection: Connection,
    audience: Audience,
    point_id: int,
    *,
    reported_on: date | None = None,
    status: str | None = None,
    notes: str | None = None,
) -> None:
    """A new report (counted, last date moved), a status change or new notes, kept in the history."""
    audience.require(Layer.DEAL_POINTS)
    within = audience.within(DealPoint.__table__)
    row = connection.execute(select(DealPoint.__table__).where(DealPoint.id == point_id, within.clause)).one_or_none()
    if row is None:
        msg = f"aucun point de deal {point_id} dans votre périmètre"
        raise NotFoundError(msg)
    by = audience.name
    values: dict[str, Any] = {}
    change: dict[str, Any] = {"event": "updated"}
    if reported_on is not None:
        values |= {"reports": row.reports + 1, "last_reported": max(row.last_reported, reported_on),
                   "first_reported": min(row.first_reported, reported_on)}  # fmt: skip
        change["reported_on"] = reported_on.isoformat()
    if status is not None:
        _check_status(status)
        values["status"] = status
        change["status"] = {"from": row.status, "to": status}
    if notes is not None:
        values["notes"] = notes
        change["notes"] = True
    if values:
        connection.execute(update(DealPoint).where(DealPoint.id == point_id).values(**values))
        connection.execute(insert(DealPointChange).values(deal_point_id=point_id, by=by, change=change))
        logger.info("point de deal %d modifié par %s", point_id, by)


def listing(connection: Connection, audience: Audience) -> dict[str, Any]:
    """The points de deal of the audience's territories as GeoJSON, each with its history."""
    audience.require(Layer.DEAL_POINTS)
    points = (
        select(
            DealPoint.id,
            DealPoint.label,
            DealPoint.status,
            DealPoint.first_reported,
            DealPoint.last_reported,
            DealPoint.reports,
            DealPoint.notes,
            func.ST_X(DealPoint.geom).label("lon"),
            func.ST_Y(DealPoint.geom).label("lat"),
            Territory.code.label("territory"),
        )
        .join_from(DealPoint, Territory, Territory.id == DealPoint.territory_id)
        .where(audience.within(DealPoint.__table__).clause)
        .order_by(DealPoint.id)
    )
    features = []
    for row in connection.execute(points):
        features.append({"type": "Feature", "geometry": mapping(Point(row.lon, row.lat)), "properties": {
            "id": row.id, "label": row.label, "territory": row.territory, "status": row.status,
            "first_reported": row.first_reported.isoformat(), "last_reported": row.last_reported.isoformat(),
            "reports": row.reports, "notes": row.notes,
            "history": _history(connection, row.id),
        }})  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


def _history(connection: Connection, point_id: int) -> list[dict[str, Any]]:
    """The changes of one point, oldest first: when, by whom, what (created, new report, status from → to)."""
    changes = connection.execute(
        select(DealPointChange.at, DealPointChange.by, DealPointChange.change)
        .where(DealPointChange.deal_point_id == point_id)
        .order_by(DealPointChange.id)
    ).all()
    return [{"at": at.isoformat(), "by": who, **change} for at, who, change in changes]


def history(connection: Connection, audience: Audience, point_id: int) -> dict[str, Any]:
    """One point de deal of the audience's territories with its history (another's point: not found)."""
    audience.require(Layer.DEAL_POINTS)
    within = audience.within(DealPoint.__table__)
    row = connection.execute(
        select(DealPoint.id, DealPoint.label, DealPoint.status, DealPoint.reports)
        .where(DealPoint.id == point_id, within.clause)
    ).one_or_none()  # fmt: skip
    if row is None:
        raise NotFoundError(f"aucun point de deal {point_id} dans votre périmètre")
    return {"id": row.id, "label": row.label, "status": row.status, "reports": row.reports,
            "history": _history(connection, point_id)}  # fmt: skip
