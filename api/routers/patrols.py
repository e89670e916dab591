"""Patrol plans for the police municipale (police roles and the coordinator), planned on the analysis runner."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import Field, model_validator
from sqlalchemy import Connection

from api.cache import JSON, dumps
from api.deps import CurrentAudience, client_address
from api.schemas import ERRORS, PERIOD_PATTERN, Input
from api.serving import endpoint_of, runner_of
from ols.patrols.outputs import to_geojson
from ols.patrols.service import ShiftRequest, plan_shift

router = APIRouter(responses=ERRORS)
COMMUNE_PATTERN = r"^[0-9A-Za-z-]{1,64}$"


class PlanRequest(Input):
    """What a shift needs: period, window, teams, mode, start (a loaded place or a point), stops per team."""

    period: str = Field(pattern=PERIOD_PATTERN)
    window: str = Field(min_length=5, max_length=40, examples=["ven 18:00-23:00"])
    teams: int = Field(default=2, ge=1, le=6)
    mode: str = Field(default="pedestre", pattern="^(pedestre|cycliste|vehicule)$")
    start: str | None = Field(default=None, min_length=1, max_length=120, examples=["Hôtel de ville"])
    start_lon: float | None = Field(default=None, ge=-180, le=180)
    start_lat: float | None = Field(default=None, ge=-90, le=90)
    stops: int = Field(default=8, ge=1, le=20)
    dwell: int = Field(default=12, ge=10, le=16)
    seed: int | None = None
    families: list[str] | None = Field(default=None, max_length=8)
    holidays: bool | None = None
    communes: list[Annotated[str, Field(pattern=COMMUNE_PATTERN)]] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        examples=[["59360"], ["59360", "59286"]],
        description="The plan's communes (INSEE codes): one for a police municipale, several for a brigade "
        "intercommunale; left out, the commune the start lies in",
    )

    @model_validator(mode="after")
    def one_start(self) -> PlanRequest:
        """Exactly one way to give the start: a place name, or both coordinates."""
        point = (self.start_lon, self.start_lat)
        if (self.start is None) == (None in point) or (None in point and point != (None, None)):
            msg = "donnez soit « start » (nom d'un lieu chargé), soit « start_lon » et « start_lat »"
            raise ValueError(msg)
        return self

    def shift(self) -> ShiftRequest:
        """The service's request."""
        start = self.start if self.start is not None else f"{self.start_lon},{self.start_lat}"
        return ShiftRequest(window=self.window, start=start, period=self.period, teams=self.teams, mode=self.mode,
                            stops=self.stops, dwell=self.dwell, seed=self.seed, families=self.families,
                            holidays=self.holidays, communes=self.communes)  # fmt: skip


@router.post("/patrols/plan")
async def plan_patrol(body: PlanRequest, request: Request, audience: CurrentAudience) -> Response:
    """Plan a shift: GeoJSON with one route per team and one point per stop (arrival, dwell, reason)."""
    shift, client = body.shift(), client_address(request)

    def plan(connection: Connection) -> bytes:
        planned = plan_shift(connection, shift, audience, client=client)
        return dumps({"plan_id": planned.plan_id, **to_geojson(planned.plan)})

    return Response(await runner_of(request).run(request, endpoint_of(request), plan), media_type=JSON)
