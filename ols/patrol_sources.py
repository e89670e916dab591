"""Candidate places for a patrol: from the observatory's data for a weekday and time window, or a file."""

from __future__ import annotations

import json
from pathlib import Path

from shapely.geometry import shape
from sqlalchemy import Connection, text

from ols.aggregates import IN_PERIOD, period_params
from ols.errors import InvalidInputError
from ols.grid import to_str
from ols.holidays import school_holidays
from ols.patrol import Candidate, Window
from ols.periods import Period

DAY_NAMES = dict(enumerate(("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")))
TOP_CELLS = 40
EVENING = 18
SCHOOL_EXIT = {16, 17}


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
    connection: Connection, period: Period, window: Window, params: dict[str, object], holidays: bool | None
) -> list[Candidate]:
    """Cells with the most facts on this weekday and these hours (on holiday days, or school days, if asked)."""
    rows = connection.execute(
        text("SELECT h3_r10, (occurred_at AT TIME ZONE :tz)::date, count(*), ST_X(ST_Centroid(ST_Collect(geom))), "
             "ST_Y(ST_Centroid(ST_Collect(geom))) "
             f"FROM event WHERE {IN_PERIOD} AND time_precision = 'minute' "
             "AND extract(isodow FROM occurred_at AT TIME ZONE :tz) = :dow "
             "AND extract(hour FROM occurred_at AT TIME ZONE :tz) = ANY(:hours) "
             "AND (cardinality(CAST(:families AS text[])) = 0 OR family = ANY(:families)) GROUP BY 1, 2"), params,
    ).all()  # fmt: skip
    if holidays is not None:
        on_holiday = school_holidays({row[1] for row in rows})
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
    connection: Connection, period: Period, window: Window, *, families: list[str] | None = None,
    timezone: str = "Europe/Paris", holidays: bool | None = None,
) -> list[Candidate]:  # fmt: skip
    """Hot cells of the window's facts, near-repeat burglaries, declared zones, schools at the exit, stations at night.

    ``holidays`` (True or False) scores places with the facts of school-holiday days only, or of school days only
    (zone B), for a shift that falls in or out of the holidays.
    """
    hours = sorted(window.hours())
    params = {**period_params(period, timezone), "dow": window.weekday + 1, "hours": hours,
              "families": families or []}  # fmt: skip
    candidates = _hot_cells(connection, period, window, params, holidays)
    typical = sorted(c.weight for c in candidates)[len(candidates) // 2] if candidates else 1.0
    recent = connection.execute(
        text("SELECT ST_X(geom), ST_Y(geom), (occurred_at AT TIME ZONE :tz)::date FROM event "
             "WHERE category = 'residential_burglary' AND occurred_at >= (CAST(:end AS timestamp) AT TIME ZONE :tz) "
             "- interval '14 days' AND occurred_at < (CAST(:end AS timestamp) AT TIME ZONE :tz)"),
        params,
    ).all()  # fmt: skip
    candidates += [Candidate(f"burglary:{lon:.5f},{lat:.5f}", lon, lat, typical * 1.5,
                             f"risque de répétition : cambriolage du {when:%d/%m} à proximité (Knox, 100 m, 7 jours)")
                   for lon, lat, when in recent]  # fmt: skip
    zones = connection.execute(
        text("SELECT code, name, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM zone "
             "WHERE kind = 'declared' AND (valid_to IS NULL OR valid_to >= :start)"), params,
    ).all()  # fmt: skip
    candidates += [Candidate(f"zone:{code}", lon, lat, typical, f"zone de vigilance déclarée : {name}")
                   for code, name, lon, lat in zones]  # fmt: skip
    if window.weekday < 5 and not holidays and set(hours) & SCHOOL_EXIT:
        query = ("SELECT name, ST_X(geom), ST_Y(geom) FROM place WHERE kind IN ('school', 'ecole', 'college', 'lycee') "
                 "AND geom && (SELECT ST_Extent(geom)::geometry FROM territory)")  # fmt: skip
        candidates += [Candidate(f"place:{name}", lon, lat, typical, f"sortie d'école : {name}")
                       for name, lon, lat in connection.execute(text(query)).all()]  # fmt: skip
    if any(hour >= EVENING for hour in hours):
        query = ("SELECT name, ST_X(geom), ST_Y(geom) FROM place WHERE kind = 'metro' "
                 "AND geom && (SELECT ST_Extent(geom)::geometry FROM territory)")  # fmt: skip
        places = connection.execute(text(query)).all()
        candidates += [Candidate(f"place:{name}", lon, lat, typical, f"station de métro en soirée : {name}")
                       for name, lon, lat in places]  # fmt: skip
    return candidates


def recent_visits(connection: Connection, *, plans: int = 3) -> dict[str, int]:
    """How often each place was a stop in the last ``plans`` plans (for the rotation)."""
    rows = connection.execute(
        text("SELECT key, count(*) FROM patrol_stop WHERE plan_id IN "
             "(SELECT id FROM patrol_plan ORDER BY id DESC LIMIT :plans) GROUP BY key"), {"plans": plans},
    ).all()  # fmt: skip
    return dict(rows)
