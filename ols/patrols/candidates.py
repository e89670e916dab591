"""Candidate places for a patrol: from the observatory's data for a weekday and time window, or a file."""

from __future__ import annotations

import json
from pathlib import Path

from shapely.geometry import shape
from sqlalchemy import Connection, text

from ols.access.audience import Audience, Filter
from ols.access.roles import Layer
from ols.cartography.aggregates import IN_PERIOD, period_params
from ols.cartography.grid import to_str
from ols.errors import InvalidInputError
from ols.holidays import school_holidays
from ols.patrols.planning import Candidate, Window
from ols.periods import Period
from ols.reference.calendar import calendar_of

DAY_NAMES = dict(enumerate(("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")))
TOP_CELLS = 40
EVENING = 18
SCHOOL_EXIT = {16, 17}
SCHOOLS = ("school", "ecole", "college", "lycee")


def from_file(path: Path) -> list[Candidate]:
    """GeoJSON points with an optional ``weight`` (default 1) and ``name``/``reason``: "visit these places"."""
    data = json.loads(path.read_text(encoding="utf-8"))
    candidates = []
    for index, feature in enumerate(data.get("features", [])):
        point = shape(feature["geometry"]).representative_point()
        properties = feature.get("properties") or {}
        name = str(properties.get("name") or properties.get("nom") or f"lieu {index + 1}")
        weight = float(properties.get("weight", 1) or 0)
        reason = str(properties.get("reason") or f"lieu demandé : {name}")
        candidates.append(Candidate(f"file:{name}", point.x, point.y, weight, reason))
    if not candidates:
        msg = f"{path.name}: no candidate point"
        raise InvalidInputError(msg)
    return candidates


def _hot_cells(
    connection: Connection, period: Period, window: Window, params: dict[str, object], holidays: bool | None,
    facts: Filter,
) -> list[Candidate]:  # fmt: skip
    """Cells with the most facts on this weekday and these hours (on holiday days, or school days, if asked)."""
    rows = connection.execute(
        text("SELECT e.h3_r10, (e.occurred_at AT TIME ZONE :tz)::date, count(*), "
             "ST_X(ST_Centroid(ST_Collect(e.geom))), ST_Y(ST_Centroid(ST_Collect(e.geom))) "
             f"FROM event e WHERE {IN_PERIOD.replace('occurred_at', 'e.occurred_at')} AND e.time_precision = 'minute' "
             "AND extract(isodow FROM e.occurred_at AT TIME ZONE :tz) = :dow "
             "AND extract(hour FROM e.occurred_at AT TIME ZONE :tz) = ANY(:hours) "
             f"AND (cardinality(CAST(:families AS text[])) = 0 OR e.family = ANY(:families)){facts.sql} GROUP BY 1, 2"),
        params | facts.params,
    ).all()  # fmt: skip
    if holidays is not None:
        on_holiday = school_holidays({row[1] for row in rows}, calendar_of(connection).holiday_zone)
        rows = [row for row in rows if on_holiday[row[1]] == holidays]
    cells: dict[int, list[float]] = {}
    for cell, _, count, lon, lat in rows:
        total = cells.setdefault(cell, [0.0, 0.0, 0.0])
        total[0] += count
        total[1] += lon * count
        total[2] += lat * count
    top = sorted(cells.items(), key=lambda item: -item[1][0])[:TOP_CELLS]
    when = {True: ", jours de vacances scolaires", False: ", jours d'école", None: ""}[holidays]
    day = DAY_NAMES[window.weekday]
    return [Candidate(f"h3:{name}", lon / count, lat / count, count,
                      f"{count:.0f} faits le {day} {window.text.split(' ', 1)[1]}{when} ({period.label})")
            for (_, (count, lon, lat)), name in zip(top, to_str(cell for cell, _ in top), strict=True)]  # fmt: skip


def from_observatory(
    connection: Connection, period: Period, window: Window, audience: Audience, *, families: list[str] | None = None,
    holidays: bool | None = None,
) -> list[Candidate]:  # fmt: skip
    """Hot cells of the window's facts, near-repeat burglaries, declared zones, schools at the exit, stations at night,
    in the audience's territories (police audiences).

    ``holidays`` (True or False) scores places with the facts of school-holiday days only, or of school days only
    (the territories' holiday zone), for a shift that falls in or out of the holidays.
    """
    audience.require(Layer.PATROLS)
    hours = sorted(window.hours())
    params = {**period_params(period, calendar_of(connection).timezone), "dow": window.weekday + 1, "hours": hours,
              "families": families or []}  # fmt: skip
    facts = audience.facts("e")
    candidates = _hot_cells(connection, period, window, params, holidays, facts)
    typical = sorted(c.weight for c in candidates)[len(candidates) // 2] if candidates else 1.0
    recent = connection.execute(
        text("SELECT ST_X(e.geom), ST_Y(e.geom), (e.occurred_at AT TIME ZONE :tz)::date FROM event e "
             "WHERE e.category = 'residential_burglary' "
             "AND e.occurred_at >= (CAST(:end AS timestamp) AT TIME ZONE :tz) - interval '14 days' "
             f"AND e.occurred_at < (CAST(:end AS timestamp) AT TIME ZONE :tz){facts.sql}"),
        params | facts.params,
    ).all()  # fmt: skip
    candidates += [Candidate(f"burglary:{lon:.5f},{lat:.5f}", lon, lat, typical * 1.5,
                             f"risque de répétition : cambriolage du {when:%d/%m} à proximité (Knox, 100 m, 7 jours)")
                   for lon, lat, when in recent]  # fmt: skip
    area = audience.area("z.geom")
    zones = connection.execute(
        text("SELECT z.code, z.name, ST_X(ST_PointOnSurface(z.geom)), ST_Y(ST_PointOnSurface(z.geom)) FROM zone z "
             f"WHERE z.kind = 'declared' AND (z.valid_to IS NULL OR z.valid_to >= :start){area.sql}"),
        params | area.params,
    ).all()  # fmt: skip
    candidates += [Candidate(f"zone:{code}", lon, lat, typical, f"zone de vigilance déclarée : {name}")
                   for code, name, lon, lat in zones]  # fmt: skip
    if window.weekday < 5 and not holidays and set(hours) & SCHOOL_EXIT:
        candidates += [Candidate(f"place:{name}", lon, lat, typical, f"sortie d'école : {name}")
                       for name, lon, lat in _places(connection, SCHOOLS, audience)]  # fmt: skip
    if any(hour >= EVENING for hour in hours):
        candidates += [Candidate(f"place:{name}", lon, lat, typical, f"station de métro en soirée : {name}")
                       for name, lon, lat in _places(connection, ("metro",), audience)]  # fmt: skip
    return candidates


def _places(connection: Connection, kinds: tuple[str, ...], audience: Audience) -> list[tuple[str, float, float]]:
    """Named places of some kinds near the territories (in the audience's own, when it has some)."""
    area = audience.area("place.geom")
    query = ("SELECT name, ST_X(geom), ST_Y(geom) FROM place WHERE kind = ANY(:kinds) "
             f"AND geom && (SELECT ST_Extent(geom)::geometry FROM territory){area.sql}")  # fmt: skip
    return [(name, lon, lat) for name, lon, lat in connection.execute(text(query), {"kinds": list(kinds)}
                                                                      | area.params)]  # fmt: skip


def recent_visits(connection: Connection, *, plans: int = 3) -> dict[str, int]:
    """How often each place was a stop in the last ``plans`` plans (for the rotation)."""
    rows = connection.execute(
        text("SELECT key, count(*) FROM patrol_stop WHERE plan_id IN "
             "(SELECT id FROM patrol_plan ORDER BY id DESC LIMIT :plans) GROUP BY key"), {"plans": plans},
    ).all()  # fmt: skip
    return dict(rows)
