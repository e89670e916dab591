"""Raw events for the audiences allowed to read them (police, coordinator; partners: their own source)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.cartography.aggregates import IN_PERIOD, period_params
from ols.periods import Period
from ols.reference.calendar import calendar_of

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
    """Events as GeoJSON points (no free text beyond the mapped attributes, no person), cut for the audience."""
    audience.require(Layer.EVENTS)
    sql = ("SELECT e.id::text, e.category, e.family, e.raw_label, e.occurred_at, e.time_precision, "
           "e.location_precision, ST_X(e.geom), ST_Y(e.geom), s.code, t.code, e.partner_ref "
           "FROM event e JOIN source s ON s.id = e.source_id JOIN territory t ON t.id = e.territory_id "
           f"WHERE {IN_PERIOD.replace('occurred_at', 'e.occurred_at')}")  # fmt: skip
    params: dict[str, Any] = dict(period_params(period, calendar_of(connection).timezone))
    if bbox:
        sql += " AND e.geom && ST_MakeEnvelope(:west, :south, :east, :north, 4326)"
        params |= dict(zip(("west", "south", "east", "north"), bbox, strict=True))
    if family:
        sql += " AND e.family = :family"
        params["family"] = family
    if audience.own_source:
        sql += " AND s.code = :own_source"
        params["own_source"] = audience.own_source
    facts = audience.facts("e")
    rows = connection.execute(text(sql + facts.sql + " ORDER BY e.occurred_at LIMIT :limit"),
                              params | facts.params | {"limit": limit + 1}).all()  # fmt: skip
    features = [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"id": ident, "category": category, "family": family_, "raw_label": label,
                       "occurred_at": at.isoformat(), "time_precision": tp, "location_precision": lp, "source": source,
                       "territory": territory, "partner_ref": ref},
    } for ident, category, family_, label, at, tp, lp, lon, lat, source, territory, ref in rows[:limit]]  # fmt: skip
    return {"type": "FeatureCollection", "truncated": len(rows) > limit, "features": features}
