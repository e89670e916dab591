"""Raw events for the audiences allowed to read them (police, coordinator; partners: their own source)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Text, cast, func, select

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.cartography.aggregates import in_period
from ols.periods import Period
from ols.reference.calendar import calendar_of
from ols.store.models import Event, Sector, Source, Territory

MAX_EVENTS = 10_000


def raw_events(
    connection: Connection,
    audience: Audience,
    *,
    period: Period,
    bbox: tuple[float, float, float, float] | None = None,
    family: str | None = None,
    limit: int = MAX_EVENTS,
) -> dict[str, Any]:
    """Events as GeoJSON points (no free text beyond the mapped attributes, no person), cut for the audience.

    Each says its commune (INSEE code) and its sector (code; null outside every sector).
    """
    audience.require(Layer.EVENTS)
    statement = (
        select(
            cast(Event.id, Text),
            Event.category,
            Event.family,
            Event.raw_label,
            Event.occurred_at,
            Event.time_precision,
            Event.location_precision,
            func.ST_X(Event.geom),
            func.ST_Y(Event.geom),
            Source.code,
            Territory.code,
            Event.partner_ref,
            Event.commune_insee,
            Sector.code,
        )
        .join_from(Event, Source, Source.id == Event.source_id)
        .join(Territory, Territory.id == Event.territory_id)
        .outerjoin(Sector, Sector.id == Event.sector_id)
        .where(
            in_period(Event.occurred_at, period, calendar_of(connection).timezone),
            audience.facts(Event.__table__).clause,
        )
        .order_by(Event.occurred_at)
        .limit(limit + 1)
    )
    if bbox:
        statement = statement.where(Event.geom.op("&&")(func.ST_MakeEnvelope(*bbox, 4326)))
    if family:
        statement = statement.where(Event.family == family)
    if audience.own_source:
        statement = statement.where(Source.code == audience.own_source)
    rows = connection.execute(statement).all()
    features = [_feature(row) for row in rows[:limit]]
    return {"type": "FeatureCollection", "truncated": len(rows) > limit, "features": features}


def _feature(row: Any) -> dict[str, Any]:
    """One event as a GeoJSON point, with its commune (INSEE code) and sector (code; null outside every sector)."""
    ident, category, family, label, at, tp, lp, lon, lat, source, territory, ref, commune, sector = row
    return {
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"id": ident, "category": category, "family": family, "raw_label": label,
                       "occurred_at": at.isoformat(), "time_precision": tp, "location_precision": lp, "source": source,
                       "territory": territory, "partner_ref": ref, "commune": commune, "sector": sector},
    }  # fmt: skip
