"""The coverage of a period, as the CLI (``ols coverage``) and the API (``GET /api/v1/coverage``) give it."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, func, not_, select

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.cartography.aggregates import in_period
from ols.coverage import csu
from ols.coverage.cameras import DEFAULT_RADIUS, caveat
from ols.coverage.extension import Choice, greedy, problem, solve
from ols.coverage.shares import active, covered, fact_counts, hot_cells, published_share
from ols.merging import counted
from ols.periods import Period, parse_period, semesters_until
from ols.reference.areas import Area
from ols.reference.calendar import calendar_of
from ols.store.models import Camera, Event

UNCOVERED_SHOWN = 20


def uncovered_points(connection: Connection, periods: list[Period], audience: Audience, area: Area,
                     timezone: str) -> list[tuple[float, float]]:  # fmt: skip
    """(lon, lat) of the facts of the periods the audience may see that no camera watching then covers."""
    events = Event.__table__
    points: list[tuple[float, float]] = []
    for period in periods:
        rows = connection.execute(
            select(func.ST_X(events.c.geom), func.ST_Y(events.c.geom)).where(
                in_period(events.c.occurred_at, audience.period(period), timezone), audience.facts(events).clause,
                area.facts(events), counted(events), not_(covered(events, period)))
        ).all()  # fmt: skip
        points += [(float(lon), float(lat)) for lon, lat in rows]
    return points


def _choice(connection: Connection, audience: Audience, choice: Choice) -> dict[str, Any]:
    """A choice of sites as the audience receives it (each site's and the total count published)."""
    counts = audience.publish(
        connection,
        [s.facts for s in choice.sites] + [choice.covered],
        [int(abs(s.lon * 1e6 + s.lat * 1e6)) for s in choice.sites] + [choice.covered],
    )
    sites = [{"lon": round(s.lon, 6), "lat": round(s.lat, 6), "facts": n}
             for s, n in zip(choice.sites, counts, strict=False)]  # fmt: skip
    return {**{k: v for k, v in asdict(choice).items() if k != "sites"}, "covered": counts[-1], "sites": sites}


def extension(connection: Connection, period: Period, audience: Audience, area: Area, *, k: int, semesters: int,
              radius: float = DEFAULT_RADIUS) -> dict[str, Any]:  # fmt: skip
    """Which k new sites would cover most uncovered facts of the last ``semesters`` semesters: solver and greedy."""
    last = period if period.kind == "semester" else parse_period(f"{period.start.year}-S{1 + (period.start.month > 6)}")
    periods = semesters_until(last, semesters)
    spec = problem(uncovered_points(connection, periods, audience, area, calendar_of(connection).timezone), radius)
    baseline = greedy(spec, k)
    best = solve(spec, k, start=baseline)
    return {"k": k, "semesters": [p.name for p in periods], "radius_m": radius, "candidates": len(spec.sites),
            "demand_points": len(spec.weights), "greedy": _choice(connection, audience, baseline),
            "solver": _choice(connection, audience, best)}  # fmt: skip


def coverage(connection: Connection, period_name: str, audience: Audience, *, area: Area | None = None,
             extend: int | None = None, semesters: int = 4) -> dict[str, Any]:  # fmt: skip
    """The coverage of a period: cameras, share of facts and hot cells covered, uncovered hot cells ranked, and
    (``extend``) the best sites for k new cameras; the CSU's figures of the period; the caveats."""
    audience.require(Layer.COVERAGE)
    period, area = parse_period(period_name), audience.check_area(connection, area or Area())
    timezone = calendar_of(connection).timezone
    cameras = connection.execute(select(func.count()).select_from(Camera).where(active(period))).scalar_one()
    cells, method = hot_cells(connection, period, audience, area, timezone)
    hot_covered = sum(cell.covered for cell in cells)
    result: dict[str, Any] = {
        "period": period.name, "cameras": cameras,
        "facts": published_share(connection, audience, fact_counts(connection, period, audience, area, timezone)),
        "hot_cells": {"method": method, "total": len(cells), "covered": hot_covered,
                      "share": hot_covered / len(cells) if cells else None,
                      "uncovered": [asdict(c) for c in cells if not c.covered][:UNCOVERED_SHOWN]},
        "csu": csu.entries(connection, period.name),
        "caveats": [caveat(connection)],
        "suppression_threshold": audience.threshold if audience.suppressed else None,
    }  # fmt: skip
    if extend:
        result["extension"] = extension(connection, period, audience, area, k=extend, semesters=semesters)
    return result
