"""Points de deal: police roles and the coordinator only (the audience layer decides); every access is audited.

The listing is served from the response cache while no point changed (:mod:`api.serving`), but
every read, cached or not, is recorded in the audit log before it is answered.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from sqlalchemy import Connection

from api.cache import respond
from api.deps import CurrentAudience, EngineDep, client_address
from api.schemas import ERRORS, Created, DealPointIn, DealPointPatch, FeatureCollection
from api.serving import Answer, answers_of, endpoint_of, runner_of
from ols.access import audit, dealpoints
from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.store.changes import DEAL_POINTS, REFERENCE

router = APIRouter(responses=ERRORS)


def listing_answer(audience: Audience) -> Answer:
    """Every point de deal of the audience's territories, with its history."""
    read = lambda connection: dealpoints.listing(connection, audience)  # noqa: E731
    return Answer("deal-points", (), read, Layer.DEAL_POINTS, (*DEAL_POINTS, *REFERENCE))


@router.get("/deal-points", response_model=FeatureCollection, responses={304: {"description": "Not modified"}})
async def list_points(request: Request, audience: CurrentAudience) -> Response:
    """Every point de deal of the caller's territories, with its history (audited)."""
    entry, hit = await answers_of(request).fetch(request, audience, listing_answer(audience))
    client = client_address(request)

    def record(connection: Connection) -> None:
        audit.record(connection, user=audience.name, role=audience.role, action="read", resource="deal-points",
                     parameters={}, client=client)  # fmt: skip

    await runner_of(request).run(request, endpoint_of(request), record)
    return respond(request, entry, hit=hit)


@router.post("/deal-points", response_model=Created, status_code=201)
def report_point(body: DealPointIn, request: Request, engine: EngineDep, audience: CurrentAudience) -> Created:
    """Record a point de deal reported in cellule de veille."""
    with engine.begin() as connection:
        point_id = dealpoints.create(connection, audience, label=body.label, lon=body.lon, lat=body.lat,
                                     reported_on=body.reported_on, status=body.status, notes=body.notes)  # fmt: skip
        audit.record(connection, user=audience.name, role=audience.role, action="create", resource="deal-points",
                     parameters={"id": point_id}, client=client_address(request))  # fmt: skip
    return Created(id=point_id)


@router.patch("/deal-points/{point_id}", status_code=204)
def update_point(point_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: DealPointPatch, request: Request,
                 engine: EngineDep, audience: CurrentAudience) -> Response:  # fmt: skip
    """A new report, a status change (actif, en surveillance, démantelé) or new notes."""
    with engine.begin() as connection:
        dealpoints.update_point(connection, audience, point_id, reported_on=body.reported_on, status=body.status,
                                notes=body.notes)  # fmt: skip
        audit.record(connection, user=audience.name, role=audience.role, action="update", resource="deal-points",
                     parameters={"id": point_id, **body.model_dump(mode="json", exclude_none=True)},
                     client=client_address(request))  # fmt: skip
    return Response(status_code=204)
