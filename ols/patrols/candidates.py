"""Candidate places for a patrol: from the observatory's data for a weekday and time window, or a file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from geoalchemy2 import Geometry
from shapely.geometry import shape
from sqlalchemy import Connection, Date, Integer, cast, extract, func, or_, select

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.cartography.aggregates import in_period, local_midnight, local_time
from ols.cartography.grid import to_str
from ols.errors import InvalidInputError
from ols.holidays import school_holidays
from ols.merging import counted
from ols.patrols.planning import Candidate, Window
from ols.periods import Period
from ols.reference.calendar import calendar_of
from ols.store.models import Event, PatrolPlan, PatrolStop, Place, Territory, Zone

DAY_NAMES = dict(enumerate(("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")))
TOP_CELLS = 40
WEEK = frozenset(range(7))
SCHOOL_WEEK = frozenset(range(5))
EVENING = frozenset(range(18, 24))


@dataclass(frozen=True)
class PlaceRule:
    """When a kind of place is worth a stop: its days, its sensitive hours, and what the team reads.

    ``school_days``: only for a shift that is not scored on school-holiday days (schools are closed then).
    """

    days: frozenset[int]
    hours: frozenset[int]
    phrase: str
    school_days: bool = False

    def applies(self, window: Window, hours: set[int], holidays: bool | None) -> bool:
        """Whether the shift falls on one of the place's days and touches one of its hours."""
        return window.weekday in self.days and bool(hours & self.hours) and not (self.school_days and holidays)


# Kinds without a rule (town halls, cameras, other equipment) are never patrol candidates on their own.
PLACE_RULES = {
    "school": PlaceRule(SCHOOL_WEEK, frozenset({8, 11, 16, 17}), "sortie d'école", school_days=True),
    "college": PlaceRule(SCHOOL_WEEK, frozenset({7, 8, 12, 13, 16, 17}), "sortie de collège", school_days=True),
    "lycee": PlaceRule(SCHOOL_WEEK, frozenset({7, 8, 12, 13, 17, 18}), "sortie de lycée", school_days=True),
    "metro": PlaceRule(WEEK, EVENING, "station de métro en soirée"),
    "tram": PlaceRule(WEEK, EVENING, "arrêt de tramway en soirée"),
    "bus_stop": PlaceRule(WEEK, EVENING, "arrêt de bus en soirée"),
    "train_station": PlaceRule(WEEK, EVENING, "gare en soirée"),
    "bailleur_hall": PlaceRule(WEEK, EVENING, "hall de bailleur en soirée"),
    "park": PlaceRule(WEEK, frozenset(range(10, 21)), "parc ou jardin aux heures d'ouverture"),
    "commerce": PlaceRule(frozenset(range(6)), frozenset(range(9, 20)), "commerce aux heures d'ouverture"),
    "market": PlaceRule(WEEK, frozenset(range(7, 13)), "marché aux heures du marché"),
    "sport": PlaceRule(WEEK, frozenset(range(17, 23)), "équipement sportif en fin de journée"),
}


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
        msg = f"{path.name} : aucun point candidat (il faut des points, ou des polygones dont prendre le centre)"
        raise InvalidInputError(msg)
    return candidates


@dataclass(frozen=True)
class Scoring:
    """What scores the places: the period, the shift's weekday and hours, the families, holidays or school days."""

    period: Period
    window: Window
    timezone: str
    families: list[str] | None
    holidays: bool | None

    def hours(self) -> list[int]:
        """The shift's hours of the day."""
        return sorted(self.window.hours())


def _hot_cells(connection: Connection, scoring: Scoring, audience: Audience) -> list[Candidate]:
    """Cells with the most facts on this weekday and these hours (on holiday days, or school days, if asked)."""
    local = local_time(Event.occurred_at, scoring.timezone)
    centre = func.ST_Centroid(func.ST_Collect(Event.geom))
    day = cast(local, Date)
    statement = (
        select(Event.h3_r10, day, func.count(), func.ST_X(centre), func.ST_Y(centre))
        .where(in_period(Event.occurred_at, scoring.period, scoring.timezone), Event.time_precision == "minute",
               extract("isodow", local) == scoring.window.weekday + 1,
               cast(extract("hour", local), Integer).in_(scoring.hours()),
               audience.facts(Event.__table__).clause, counted(Event.__table__))
        .group_by(Event.h3_r10, day)
    )  # fmt: skip
    if scoring.families:
        statement = statement.where(Event.family.in_(scoring.families))
    rows = connection.execute(statement).all()
    if scoring.holidays is not None:
        on_holiday = school_holidays({row[1] for row in rows}, calendar_of(connection).holiday_zone)
        rows = [row for row in rows if on_holiday[row[1]] == scoring.holidays]
    cells: dict[int, list[float]] = {}
    for cell, _, count, lon, lat in rows:
        total = cells.setdefault(cell, [0.0, 0.0, 0.0])
        total[0] += count
        total[1] += lon * count
        total[2] += lat * count
    top = sorted(cells.items(), key=lambda item: -item[1][0])[:TOP_CELLS]
    when = {True: ", jours de vacances scolaires", False: ", jours d'école", None: ""}[scoring.holidays]
    day_name, window = DAY_NAMES[scoring.window.weekday], scoring.window.text.split(" ", 1)[1]
    return [Candidate(f"h3:{name}", lon / count, lat / count, count,
                      f"{count:.0f} faits le {day_name} {window}{when} ({scoring.period.label})")
            for (_, (count, lon, lat)), name in zip(top, to_str(cell for cell, _ in top), strict=True)]  # fmt: skip


def _recent_burglaries(connection: Connection, scoring: Scoring, audience: Audience) -> list[tuple[float, float, date]]:
    """Residential burglaries of the period's last 14 days (near-repeat risk)."""
    end = local_midnight(scoring.period.end, scoring.timezone)
    day = cast(local_time(Event.occurred_at, scoring.timezone), Date)
    rows = connection.execute(
        select(func.ST_X(Event.geom), func.ST_Y(Event.geom), day)
        .where(Event.category == "residential_burglary", Event.occurred_at >= end - timedelta(days=14),
               Event.occurred_at < end, audience.facts(Event.__table__).clause, counted(Event.__table__))
    ).all()  # fmt: skip
    return [(lon, lat, when) for lon, lat, when in rows]


def _declared_zones(
    connection: Connection, scoring: Scoring, audience: Audience
) -> list[tuple[str, str, float, float]]:
    """Declared zones still valid in the period, in the audience's territories."""
    inside = func.ST_PointOnSurface(Zone.geom)
    rows = connection.execute(
        select(Zone.code, Zone.name, func.ST_X(inside), func.ST_Y(inside))
        .where(Zone.kind == "declared", or_(Zone.valid_to.is_(None), Zone.valid_to >= scoring.period.start),
               audience.area(Zone.geom).clause)
    ).all()  # fmt: skip
    return [(code, name, lon, lat) for code, name, lon, lat in rows]


def from_observatory(
    connection: Connection, period: Period, window: Window, audience: Audience, *, families: list[str] | None = None,
    holidays: bool | None = None,
) -> list[Candidate]:  # fmt: skip
    """Hot cells of the window's facts, near-repeat burglaries, declared zones and places of every kind at their
    kind's sensitive hours (:data:`PLACE_RULES`), in the audience's territories (police audiences).

    ``holidays`` (True or False) scores places with the facts of school-holiday days only, or of school days only
    (the territories' holiday zone), for a shift that falls in or out of the holidays.
    """
    audience.require(Layer.PATROLS)
    scoring = Scoring(period, window, calendar_of(connection).timezone, families, holidays)
    candidates = _hot_cells(connection, scoring, audience)
    typical = sorted(c.weight for c in candidates)[len(candidates) // 2] if candidates else 1.0
    candidates += [Candidate(f"burglary:{lon:.5f},{lat:.5f}", lon, lat, typical * 1.5,
                             f"risque de répétition : cambriolage du {when:%d/%m} à proximité (Knox, 100 m, 7 jours)")
                   for lon, lat, when in _recent_burglaries(connection, scoring, audience)]  # fmt: skip
    candidates += [Candidate(f"zone:{code}", lon, lat, typical, f"zone de vigilance déclarée : {name}")
                   for code, name, lon, lat in _declared_zones(connection, scoring, audience)]  # fmt: skip
    candidates += _place_candidates(connection, scoring, audience, typical)
    return candidates


def _place_candidates(connection: Connection, scoring: Scoring, audience: Audience, weight: float) -> list[Candidate]:
    """Places whose kind's rule fits the shift (schools at the exits on school days, transport at night...)."""
    hours = set(scoring.hours())
    rules = {kind: rule for kind, rule in PLACE_RULES.items() if rule.applies(scoring.window, hours, scoring.holidays)}
    if not rules:
        return []
    extent = select(cast(func.ST_Extent(Territory.geom), Geometry)).scalar_subquery()
    rows = connection.execute(
        select(Place.kind, Place.name, func.ST_X(Place.geom), func.ST_Y(Place.geom))
        .where(Place.kind.in_(list(rules)), Place.geom.op("&&")(extent), audience.area(Place.geom).clause)
        .order_by(Place.kind, Place.name)
    ).all()  # fmt: skip
    return [Candidate(f"place:{kind}:{name}", lon, lat, weight, f"{rules[kind].phrase} : {name}")
            for kind, name, lon, lat in rows]  # fmt: skip


def recent_visits(connection: Connection, *, plans: int = 3) -> dict[str, int]:
    """How often each place was a stop in the last ``plans`` plans (for the rotation)."""
    last = select(PatrolPlan.id).order_by(PatrolPlan.id.desc()).limit(plans).scalar_subquery()
    rows = connection.execute(
        select(PatrolStop.key, func.count()).where(PatrolStop.plan_id.in_(last)).group_by(PatrolStop.key)
    ).all()
    return {key: int(count) for key, count in rows}
