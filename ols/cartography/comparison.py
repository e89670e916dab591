"""The comparison of a period's zones: declared zones no longer hot, computed zones outside the declared ones, and
computed zones entering or leaving vigilance since the previous period.

It is what the semester's page and bilans show, a meeting's agenda proposes and an edition freezes, and what the
strategy's « zones sortant de vigilance » indicator counts (:mod:`ols.strategy.indicators`): one definition of a zone
leaving vigilance (a computed zone of the previous period that touches none of the period's).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.cartography.layers import zone_resolution
from ols.cartography.zones import zones_of
from ols.periods import Period
from ols.reference.areas import Area
from ols.store.models import Zone


def _touches(zone: dict[str, Any], others: list[dict[str, Any]]) -> list[str]:
    return [other["code"] for other in others if zone["geom"].intersects(other["geom"])]


def compare(
    current: list[dict[str, Any]], previous: list[dict[str, Any]], declared: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """What changed: declared zones no longer hot, hot areas outside declared zones, entering, leaving."""
    return {
        "declared_not_hot": [{"code": z["code"], "name": z["name"]} for z in declared if not _touches(z, current)],
        "hot_outside_declared": [{"code": z["code"], "name": z["name"]} for z in current if not _touches(z, declared)],
        "entering": [{"code": z["code"], "name": z["name"]} for z in current if not _touches(z, previous)],
        "leaving": [{"code": z["code"], "name": z["name"]} for z in previous if not _touches(z, current)],
        "continuing": [
            {"code": z["code"], "name": z["name"], "previous": _touches(z, previous)}
            for z in current
            if _touches(z, previous)
        ],
    }


def comparison(
    connection: Connection, period: Period, audience: Audience, area: Area | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Declared vs computed zones of the period, and computed zones entering or leaving since the previous one,
    among the zones the audience may see (meeting ``area``, for one commune or sector)."""
    audience.require(Layer.ZONES)
    where = and_(audience.area(Zone.geom).clause, (area or Area()).meets(Zone.geom))
    grid = zone_resolution(connection, period, audience)
    current = zones_of(connection, period.name, "computed", scope=audience.scope, resolution=grid, where=where)
    previous = zones_of(connection, period.previous().name, "computed", scope=audience.scope, resolution=grid,
                        where=where)  # fmt: skip
    declared = zones_of(connection, period.name, "declared", valid_on=period.start, where=where)
    return compare(current, previous, declared)
