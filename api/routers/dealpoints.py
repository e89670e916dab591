"""Points de deal: police roles and the coordinator only (the audience layer decides); every access is audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from api.deps import CurrentAudience, EngineDep, client_address
from api.schemas import ERRORS, Created, DealPointIn, DealPointPatch, FeatureCollection
from ols.access import audit, dealpoints

router = APIRouter(responses=ERRORS)


@router.get("/deal-points", response_model=FeatureCollection)
def list_points(request: Request, engine: EngineDep, audience: CurrentAudience) -> dict[str, Any]:
    """Every point de deal of the caller's territories, with its history (audited)."""
    with engine.begin() as connection:
        found = dealpoints.listing(connection, audience)
        audit.record(connection, user=audience.name, role=audience.role, action="read", resource="deal-points",
                     parameters={}, client=client_address(request))  # fmt: skip
    return found


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
