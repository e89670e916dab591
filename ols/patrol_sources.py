"""Candidate places for a patrol: from the observatory's data for a weekday and time window, or a file."""

from __future__ import annotations

import json
from pathlib import Path

from shapely.geometry import shape
from sqlalchemy import Connection, text

from ols.aggregates import IN_PERIOD, period_params
from ols.errors import InvalidInputError
from ols.grid import to_str
from ols.patrol import Candidate, Window
from ols.periods import Period

DAY_NAMES = dict(enumerate(("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")))
TOP_CELLS = 40
EVENING = 18


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


def from_observatory(
    connection: Connection, period: Period, window: Window, *, families: list[str] | None = None,
    timezone: str = "Europe/Paris",
) -> list[Candidate]:  # fmt: skip
    """Hot cells of the window's facts, near-repeat burglaries, declared zones, stations in the evening."""
    day = DAY_NAMES[window.weekday]
    hours = sorted(window.hours())
    params = {**period_params(period, timezone), "dow": window.weekday + 1, "hours": hours,
              "families": families or [], "top": TOP_CELLS}  # fmt: skip
    rows = connection.execute(
        text("SELECT h3_r10, count(*), ST_X(ST_Centroid(ST_Collect(geom))), ST_Y(ST_Centroid(ST_Collect(geom))) "
             f"FROM event WHERE {IN_PERIOD} AND time_precision = 'minute' "
             "AND extract(isodow FROM occurred_at AT TIME ZONE :tz) = :dow "
             "AND extract(hour FROM occurred_at AT TIME ZONE :tz) = ANY(:hours) "
             "AND (cardinality(CAST(:families AS text[])) = 0 OR family = ANY(:families)) "
             "GROUP BY 1 ORDER BY 2 DESC LIMIT :top"), params,
    ).all()  # fmt: skip
    candidates = [Candidate(f"h3:{cell}", lon, lat, float(count),
                            f"{count} faits le {day} {window.text.split(' ', 1)[1]} ({period.label})")
                  for (cell, count, lon, lat), cell in zip(rows, to_str(r[0] for r in rows), strict=True)]  # fmt: skip
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
    ).tuples().all()  # fmt: skip
    return dict(rows)
