"""Where declared zones lie: the communes and sectors each meets, kept on the zone (``zone.communes``,
``zone.sectors``) so that a breakdown by commune lists it in each.

Computed zones are filed as they are saved (:mod:`ols.cartography.whereabouts`); declared zones,
drawn by hand and possibly across a border, are filed here in SQL when they are saved or synced,
and again at each refresh, since communes and sectors may have been loaded since.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, func, not_, select, update

from ols.store.models import Sector, Territory, Zone


def _meeting(outline: Any, code: Any) -> Any:
    """The codes of the communes or sectors (``outline``, ``code``) a zone shares ground with, most of it first."""
    zone = Zone.__table__
    shares = and_(func.ST_Intersects(outline, zone.c.geom), not_(func.ST_Touches(outline, zone.c.geom)))
    ranked = select(code).where(shares, code.is_not(None))
    ranked = ranked.order_by(func.ST_Area(func.ST_Intersection(outline, zone.c.geom)).desc(), code)
    return func.array(ranked.correlate(zone).scalar_subquery())


def file_declared(connection: Connection, codes: tuple[str, ...] | None = None) -> int:
    """File declared zones (those of ``codes``, else all) under the communes (INSEE) and sectors they meet: drawn
    by hand, they may cross a border too; return how many."""
    statement = (
        update(Zone)
        .where(Zone.kind == "declared")
        .values(communes=_meeting(Territory.geom, Territory.insee), sectors=_meeting(Sector.geom, Sector.code))
    )
    if codes is not None:
        statement = statement.where(Zone.code.in_(codes))
    return int(connection.execute(statement).rowcount or 0)
