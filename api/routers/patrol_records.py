"""A planned patrol after planning: its downloads (GPX, GeoJSON, PDF) and the main courante's log of its stops.

The same audience as planning (police roles and the coordinator); every download and every log is audited.
The outputs are those of the command line (:mod:`ols.patrols.outputs`, :mod:`ols.patrols.sheet`), written
from the plan as it was recorded (:func:`ols.patrols.records.load_plan`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import Field

from api.deps import CurrentAudience, EngineDep, client_address
from api.schemas import ERRORS, Input
from ols.access import audit
from ols.patrols.outputs import to_geojson, to_gpx
from ols.patrols.records import load_plan, log_stop, plan_log
from ols.patrols.sheet import backdrop, to_pdf

router = APIRouter(responses=ERRORS)
PlanId = Annotated[int, Path(ge=1, le=2**31 - 1)]
MEDIA = {"gpx": "application/gpx+xml", "geojson": "application/geo+json", "pdf": "application/pdf"}


class StopLog(Input):
    """One stop of the main courante: made or not and, if not, the reason's code (never free text)."""

    team: int = Field(ge=1, le=6)
    position: int = Field(ge=1, le=20)
    done: bool
    outcome: Literal["intervention", "effectif", "acces", "meteo", "annule", "autre"] | None = None


@router.get("/patrols/{plan_id}/plan.{fmt}", responses={200: {"content": {media: {} for media in MEDIA.values()}}})
def download_plan(plan_id: PlanId, fmt: Literal["gpx", "geojson", "pdf"], request: Request, engine: EngineDep,
                  audience: CurrentAudience) -> Response:  # fmt: skip
    """A recorded plan as GPX (phones), GeoJSON or the printable A4 PDF (audited)."""
    with engine.begin() as connection:
        plan = load_plan(connection, audience, plan_id)
        if fmt == "pdf":
            body = to_pdf(plan, backdrop(connection, plan))
        elif fmt == "gpx":
            body = to_gpx(plan).encode()
        else:
            body = json.dumps({"plan_id": plan_id, **to_geojson(plan)}, ensure_ascii=False).encode()
        audit.record(connection, user=audience.name, role=audience.role, action="read", resource="patrols",
                     parameters={"plan_id": plan_id, "format": fmt}, client=client_address(request))  # fmt: skip
    disposition = f'attachment; filename="patrouille-{plan_id}.{fmt}"'
    return Response(body, media_type=MEDIA[fmt], headers={"Content-Disposition": disposition})


@router.get("/patrols/{plan_id}/log")
def read_log(plan_id: PlanId, engine: EngineDep, audience: CurrentAudience) -> dict[str, Any]:
    """The plan's stops in order and what the main courante says of each (``done`` null: not logged yet)."""
    with engine.connect() as connection:
        return plan_log(connection, audience, plan_id)


@router.post("/patrols/{plan_id}/log", status_code=204)
def write_log(plan_id: PlanId, body: StopLog, request: Request, engine: EngineDep,
              audience: CurrentAudience) -> Response:  # fmt: skip
    """Record from the main courante whether a stop was made (a stop not made needs its reason's code; audited)."""
    with engine.begin() as connection:
        log_stop(connection, audience, plan_id, body.team, body.position, done=body.done, outcome=body.outcome)
        audit.record(connection, user=audience.name, role=audience.role, action="log", resource="patrols",
                     parameters={"plan_id": plan_id, **body.model_dump(mode="json")},
                     client=client_address(request))  # fmt: skip
    return Response(status_code=204)
