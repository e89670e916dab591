"""Patrol plans for the police municipale (police roles and the coordinator)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import Field

from api.deps import CurrentAudience, EngineDep, client_address
from api.schemas import ERRORS, PERIOD_PATTERN, Input
from ols.access import audit
from ols.patrols.candidates import from_observatory, recent_visits
from ols.patrols.outputs import save_plan, to_geojson
from ols.patrols.planning import Shift, parse_window, plan, rotate
from ols.periods import parse_period
from ols.reference.streets import graph_of, load_edges

router = APIRouter(responses=ERRORS)


class PlanRequest(Input):
    """What a shift needs: period, window, teams, mode, start, stops per team."""

    period: str = Field(pattern=PERIOD_PATTERN)
    window: str = Field(min_length=5, max_length=40, examples=["ven 18:00-23:00"])
    teams: int = Field(default=2, ge=1, le=6)
    mode: str = Field(default="pedestre", pattern="^(pedestre|cycliste|vehicule)$")
    start_lon: float = Field(ge=-180, le=180)
    start_lat: float = Field(ge=-90, le=90)
    stops: int = Field(default=8, ge=1, le=20)
    seed: int | None = None
    families: list[str] | None = Field(default=None, max_length=8)


@router.post("/patrols/plan")
def plan_patrol(body: PlanRequest, request: Request, engine: EngineDep, audience: CurrentAudience) -> dict[str, Any]:
    """Plan a shift: GeoJSON with one route per team and one point per stop (arrival, dwell, reason)."""
    try:
        window = parse_window(body.window)
    except ValueError as error:
        raise HTTPException(status_code=422, detail=str(error)) from error
    with engine.begin() as connection:
        candidates = from_observatory(connection, parse_period(body.period), window, audience, families=body.families)
        places = rotate(candidates, recent_visits(connection))
        edges = load_edges(connection)
        graph = graph_of(edges, body.mode) if edges else None
        shift = Shift(window, body.teams, body.mode, (body.start_lon, body.start_lat), body.stops, seed=body.seed)
        result = plan(places, shift, graph)
        plan_id = save_plan(connection, result, body.model_dump())
        audit.record(connection, user=audience.name, role=audience.role, action="plan", resource="patrols",
                     parameters={"plan_id": plan_id, **body.model_dump()}, client=client_address(request))  # fmt: skip
    return {"plan_id": plan_id, **to_geojson(result)}
