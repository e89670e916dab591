"""A recorded plan read back whole (for its downloads), and the main courante: each stop made or not, and why.

The plan's stops live in ``patrol_stop`` and its routes (lines, lengths, durations), its start and notes in
``patrol_plan.routes``: together they give back the :class:`~ols.patrols.planning.Plan` the outputs
(GeoJSON, GPX, PDF) are written from, so that the browser can download a plan after planning it.
The log of a stop is a yes / no and, for a stop not made, a reason **code** (never free text: a main
courante must not carry names); who logged it and when are kept with it. A reader tied to some communes
reads and logs only the plans of its communes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shapely.geometry import LineString
from sqlalchemy import Connection, or_, select, update

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.errors import InvalidInputError, NotFoundError
from ols.patrols.planning import Candidate, Plan, Stop, TeamRoute, parse_window
from ols.patrols.sheet import backdrop
from ols.store.models import PatrolPlan, PatrolStop, Territory

# Why a stop was not made (the main courante's codes) and how a reader sees them.
OUTCOMES: dict[str, str] = {
    "intervention": "appelés sur une intervention",
    "effectif": "effectif insuffisant",
    "acces": "accès impossible",
    "meteo": "conditions météo",
    "annule": "annulé par la hiérarchie",
    "autre": "autre raison de service",
}


def routes_record(result: Plan) -> dict[str, Any]:
    """What ``patrol_stop`` does not keep of a plan: start, notes and each team's line, length and duration."""
    return {"start": list(result.start), "straight_line": result.straight_line, "notes": list(result.notes),
            "routes": [{"team": route.team, "line": [list(point) for point in route.line.coords],
                        "distance_m": route.distance_m, "duration_min": route.duration_min}
                       for route in result.routes]}  # fmt: skip


def _plan_row(connection: Connection, audience: Audience, plan_id: int) -> Any:
    """The plan ``plan_id`` if it lies in the audience's communes (a plan elsewhere, or of no recorded commune, is
    shown only to a reader of the whole observatory)."""
    row = connection.execute(select(PatrolPlan.__table__).where(PatrolPlan.id == plan_id)).one_or_none()
    if row is not None and not audience.reach.whole:
        codes = row.parameters.get("plan_communes") or []
        named = or_(Territory.insee.in_(codes), Territory.code.in_(codes))
        own = set(connection.execute(select(Territory.code).where(named)).scalars())
        row = row if own and own <= set(audience.territories) else None
    if row is None:
        raise NotFoundError(f"aucun plan de patrouille {plan_id} dans votre périmètre")
    return row


def _stops(connection: Connection, plan_id: int) -> list[Any]:
    """The plan's stops, team by team, in their order."""
    ordered = select(PatrolStop.__table__).where(PatrolStop.plan_id == plan_id)
    return list(connection.execute(ordered.order_by(PatrolStop.team, PatrolStop.position)).all())


def load_plan(connection: Connection, audience: Audience, plan_id: int) -> Plan:
    """The recorded plan ``plan_id`` as the outputs write it (a plan recorded before its routes were kept: an error)."""
    audience.require(Layer.PATROLS)
    row = _plan_row(connection, audience, plan_id)
    if row.routes is None:
        msg = f"le plan {plan_id} a été enregistré sans ses itinéraires : replanifiez-le pour le télécharger"
        raise NotFoundError(msg)
    stops = _stops(connection, plan_id)
    routes = []
    for route in row.routes["routes"]:
        own = [Stop(Candidate(stop.key, stop.lon, stop.lat, 0.0, stop.reason), None, stop.team, stop.position,
                    stop.arrival, stop.dwell_min) for stop in stops if stop.team == route["team"]]  # fmt: skip
        routes.append(TeamRoute(route["team"], own, [], LineString(route["line"]), route["distance_m"],
                                route["duration_min"]))  # fmt: skip
    start = row.routes["start"]
    return Plan(parse_window(row.window), row.mode, (start[0], start[1]), routes, row.routes["straight_line"],
                list(row.routes["notes"]))  # fmt: skip


def log_stop(connection: Connection, audience: Audience, plan_id: int, team: int, position: int, *, done: bool,
             outcome: str | None = None) -> None:  # fmt: skip
    """Record from the main courante whether a stop was made (no GPS tracking); a stop not made needs its code."""
    audience.require(Layer.PATROLS)
    if done and outcome is not None:
        raise InvalidInputError("un arrêt fait n'a pas de motif : ne donnez le motif que d'un arrêt non fait")
    if not done and outcome not in OUTCOMES:
        msg = f"motif d'un arrêt non fait inconnu ou manquant : choisissez parmi {', '.join(OUTCOMES)}"
        raise InvalidInputError(msg)
    _plan_row(connection, audience, plan_id)
    where = (PatrolStop.plan_id == plan_id, PatrolStop.team == team, PatrolStop.position == position)
    values = {"done": done, "outcome": outcome, "logged_at": datetime.now(UTC), "logged_by": audience.name}
    if not connection.execute(update(PatrolStop).where(*where).values(**values)).rowcount:
        raise NotFoundError(f"aucun arrêt {position} de l'équipe {team} dans le plan {plan_id}")


def plan_log(connection: Connection, audience: Audience, plan_id: int) -> dict[str, Any]:
    """The plan's stops in order, each named as on the printed sheet (nearest place, else street), with what the main
    courante says of it (``done`` None: not logged yet)."""
    audience.require(Layer.PATROLS)
    row = _plan_row(connection, audience, plan_id)
    stops = _stops(connection, plan_id)
    names = backdrop(connection, load_plan(connection, audience, plan_id)).names if row.routes else {}
    return {"plan_id": plan_id, "window": row.window, "mode": row.mode, "stops": [
        {"team": stop.team, "position": stop.position, "arrival": stop.arrival, "dwell_min": stop.dwell_min,
         "reason": stop.reason, "name": names.get(stop.key), "lon": stop.lon, "lat": stop.lat, "done": stop.done,
         "outcome": stop.outcome, "outcome_label": OUTCOMES.get(stop.outcome or ""), "logged_by": stop.logged_by,
         "logged_at": stop.logged_at.isoformat() if stop.logged_at else None} for stop in stops]}  # fmt: skip
