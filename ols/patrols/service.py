"""The one patrol pipeline: the API and the command line both plan a shift through :func:`plan_shift`.

A shift request names the window, the teams and the start; the service resolves the start (a
loaded place or a point — an unknown place is an error, never the territory's centre), takes the
candidate places from the observatory for the caller's audience (or from the caller's file),
keeps those of the plan's communes (the start's commune by default: :mod:`ols.patrols.communes`),
lowers the places of the last plans (rotation), routes each team on the stored street network (or
the caller's), records the plan and audits who planned it.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection

from ols.access import audit
from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.errors import InvalidInputError
from ols.patrols.candidates import from_observatory, recent_visits
from ols.patrols.communes import plan_area, within
from ols.patrols.outputs import save_plan
from ols.patrols.planning import Candidate, Plan, Shift, parse_window, plan, rotate
from ols.periods import parse_period
from ols.reference.places import locate
from ols.reference.streets import Edge, graph_of, load_edges

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShiftRequest:
    """What a shift needs: a window (``ven 18:00-23:00``), a start (a place name or ``lon,lat``) and the teams.

    ``period`` names the period whose facts score the places; it may be left out only when
    ``candidates`` gives the places. ``holidays`` scores with school-holiday days only (True) or
    school days only (False). ``communes`` (INSEE codes) are the plan's communes: one for a police
    municipale, several for a brigade intercommunale; left out, the plan stays in the start's commune
    (the observatory's places only: a caller's own file of places is taken as given unless communes are named).
    """

    window: str
    start: str
    period: str | None = None
    teams: int = 2
    mode: str = "pedestre"
    stops: int = 8
    dwell: int = 12
    seed: int | None = None
    families: list[str] | None = None
    holidays: bool | None = None
    communes: list[str] | None = None
    candidates: list[Candidate] | None = field(default=None, compare=False)
    edges: list[Edge] | None = field(default=None, compare=False)

    def parameters(self) -> dict[str, Any]:
        """The request as recorded with the plan and in the audit log (without the caller's files)."""
        recorded = asdict(self)
        recorded.pop("candidates")
        recorded.pop("edges")
        recorded["own_candidates"] = self.candidates is not None
        recorded["own_streets"] = self.edges is not None
        return recorded


@dataclass(frozen=True)
class PlannedShift:
    """A recorded plan: its id and its routes."""

    plan_id: int
    plan: Plan


def start_point(connection: Connection, start: str) -> tuple[float, float]:
    """``lon,lat`` as written, or the location of a loaded place (an unknown place raises NotFoundError)."""
    if "," not in start:
        return locate(connection, start)
    try:
        lon, lat = (float(part) for part in start.split(","))
    except ValueError:
        msg = f"départ illisible : « {start} » ; écrivez « longitude,latitude » (par exemple 3.1098,50.6405)"
        raise InvalidInputError(msg) from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        msg = f"départ hors du globe : « {start} » (longitude entre -180 et 180, latitude entre -90 et 90)"
        raise InvalidInputError(msg)
    return lon, lat


def _candidates(connection: Connection, request: ShiftRequest, audience: Audience) -> list[Candidate]:
    """The caller's places, or the observatory's for the window, as the audience may see them."""
    if request.candidates is not None:
        return request.candidates
    if request.period is None:
        msg = "une période est nécessaire pour choisir les lieux, sauf si un fichier de lieux est fourni"
        raise InvalidInputError(msg)
    window = parse_window(request.window)
    return from_observatory(connection, parse_period(request.period), window, audience,
                            families=request.families, holidays=request.holidays)  # fmt: skip


def plan_shift(
    connection: Connection, request: ShiftRequest, audience: Audience, *, client: str | None = None
) -> PlannedShift:
    """Plan, record and audit one shift for an audience allowed to plan patrols."""
    audience.require(Layer.PATROLS)
    window = parse_window(request.window)
    origin = start_point(connection, request.start)
    candidates = _candidates(connection, request, audience)
    area = plan_area(connection, origin, request.communes) if request.candidates is None or request.communes else None
    if area is not None:
        candidates = within(candidates, area)
    places = rotate(candidates, recent_visits(connection))
    edges = request.edges if request.edges is not None else load_edges(connection)
    graph = graph_of(edges, request.mode) if edges else None
    shift = Shift(window, request.teams, request.mode, origin, request.stops, request.dwell, request.seed)
    result = plan(places, shift, graph)
    parameters = request.parameters()
    if area is not None:
        result.notes.append(f"plan limité à {area.label}")
        parameters["plan_communes"] = list(area.codes)
    plan_id = save_plan(connection, result, parameters)
    audit.record(connection, user=audience.name, role=audience.role, action="plan", resource="patrols",
                 parameters={"plan_id": plan_id, **parameters}, client=client)  # fmt: skip
    log.info("plan %s : %d équipes, %d lieux candidats", plan_id, request.teams, len(places))
    return PlannedShift(plan_id, result)
