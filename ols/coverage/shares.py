"""What the cameras cover in a period: the share of facts (PostGIS) and of hot-spot cells, and the hot cells
left uncovered, ranked.

A camera covers a period when it is active and was installed before the period ends (or its date is unknown).
A fact is covered when it lies within a camera's radius (on the sphere) or, for a camera with a field of view or
clipped by buildings, inside its coverage polygon. A hot-spot cell is covered when its centre is. Hot cells are
the Gi* hot spots (90 % and more) of the period when the refresh computed them, otherwise the tenth of cells with
the most facts (said).
"""

from __future__ import annotations

from dataclasses import dataclass

import h3
import numpy as np
import shapely
from geoalchemy2 import Geography
from sqlalchemy import ColumnElement, Connection, and_, cast, exists, func, not_, or_, select
from sqlalchemy.sql import FromClause

from ols.access.audience import Audience
from ols.access.disclosure import cell_key
from ols.cartography.aggregates import in_period
from ols.merging import counted
from ols.periods import Period
from ols.reference.areas import Area
from ols.store.models import Camera, Event, Hotspot

HOT_SHARE = 0.10  # without Gi* hot spots, the hot cells are this share of the cells with facts, the busiest
SEARCH = 0.001  # degrees (about 70 to 110 m): the box a fact is looked for cameras in, wider than any radius here


@dataclass(frozen=True)
class HotCell:
    """A hot cell of the period: its H3 index, centre, facts (as published) and whether a camera covers it."""

    h3: int
    lon: float
    lat: float
    count: int | None
    covered: bool


def active(period: Period) -> ColumnElement[bool]:
    """The cameras that watch during the period: active, installed before its end (or of unknown date)."""
    return and_(Camera.state == "active", or_(Camera.installed_on.is_(None), Camera.installed_on < period.end))


def covered(events: FromClause, period: Period) -> ColumnElement[bool]:
    """Whether a fact (a row of ``events``) is within the disc or the cone of a camera watching in the period."""
    point = events.c.geom
    disc = and_(Camera.angle_deg.is_(None), not_(Camera.clipped),
                func.ST_DWithin(cast(Camera.geom, Geography), cast(point, Geography), Camera.radius_m))  # fmt: skip
    cone = and_(or_(Camera.angle_deg.is_not(None), Camera.clipped), func.ST_Intersects(Camera.coverage, point))
    near = Camera.geom.op("&&")(func.ST_Expand(point, SEARCH))
    return exists().where(active(period), near, or_(disc, cone))


def fact_counts(connection: Connection, period: Period, audience: Audience, area: Area, timezone: str
                ) -> tuple[int, int]:  # fmt: skip
    """(covered, total) facts of the period the audience may see in ``area``, before any publication."""
    events = Event.__table__
    is_covered = covered(events, period)
    row = connection.execute(
        select(func.count(), func.count().filter(is_covered)).where(
            in_period(events.c.occurred_at, audience.period(period), timezone), audience.facts(events).clause,
            area.facts(events), counted(events))
    ).one()  # fmt: skip
    return int(row[1]), int(row[0])


def published_share(connection: Connection, audience: Audience, counts: tuple[int, int]) -> dict[str, object]:
    """The covered and total facts as the audience receives them, and the share (of the published counts)."""
    covered_facts, total = audience.publish(connection, list(counts), [counts[0] * 7919 + 1, counts[1] * 7919 + 2])
    share = covered_facts / total if covered_facts is not None and total else None
    return {"covered": covered_facts, "total": total, "share": share}


def _gi_hot(connection: Connection, period: Period, audience: Audience, resolution: int) -> list[int]:
    return list(connection.execute(
        select(Hotspot.h3).where(Hotspot.period == period.name, Hotspot.scope == audience.scope,
                                 Hotspot.resolution == resolution, Hotspot.family == "*", Hotspot.measure == "facts",
                                 Hotspot.hotspot_class.like("hot%"))).scalars())  # fmt: skip


def cell_facts(connection: Connection, period: Period, audience: Audience, area: Area, timezone: str,
               resolution: int) -> dict[int, tuple[int, int]]:  # fmt: skip
    """Facts per H3 cell of the period (count, cell key), as the audience may see them."""
    events = Event.__table__
    cell = events.c[f"h3_r{resolution}"]
    rows = connection.execute(
        select(cell, func.count(), cell_key(events)).where(
            in_period(events.c.occurred_at, audience.period(period), timezone), audience.facts(events).clause,
            area.facts(events), counted(events)).group_by(cell)
    ).all()  # fmt: skip
    return {int(h): (int(n), int(k) % (1 << 32)) for h, n, k in rows}


def coverage_union(connection: Connection, period: Period) -> shapely.Geometry:
    """The union of what the cameras watching in the period see (empty when none)."""
    rows = connection.execute(select(func.ST_AsBinary(Camera.coverage)).where(active(period))).scalars().all()
    return shapely.union_all([shapely.from_wkb(bytes(row)) for row in rows]) if rows else shapely.Point().buffer(0)


def hot_cells(connection: Connection, period: Period, audience: Audience, area: Area, timezone: str
              ) -> tuple[list[HotCell], str]:  # fmt: skip
    """The hot cells of the period, busiest first, each with whether it is covered, and how they were chosen."""
    resolution = audience.resolution()
    facts = cell_facts(connection, period, audience, area, timezone, resolution)
    chosen = [h for h in _gi_hot(connection, period, audience, resolution) if h in facts]
    method = "points chauds Gi* (90 % et plus) de la période"
    if not chosen:
        ranked = sorted(facts, key=lambda h: -facts[h][0])
        chosen = ranked[: max(1, round(len(ranked) * HOT_SHARE))] if ranked else []
        method = "le dixième des mailles comptant le plus de faits (points chauds Gi* non calculés pour la période)"
    chosen.sort(key=lambda h: -facts[h][0])
    union = coverage_union(connection, period)
    centres = [h3.cell_to_latlng(h3.int_to_str(h)) for h in chosen]
    inside = shapely.contains_xy(union, [c[1] for c in centres], [c[0] for c in centres]) if chosen else np.array([])
    counts = audience.publish(connection, [facts[h][0] for h in chosen], [facts[h][1] for h in chosen])
    cells = [HotCell(h, lon, lat, count, bool(flag))
             for h, (lat, lon), count, flag in zip(chosen, centres, counts, inside, strict=True)]  # fmt: skip
    return cells, method
