"""Points de deal: police roles and the coordinator only; every read is audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from api.deps import EngineDep, require
from api.schemas import ERRORS, Created, DealPointIn, DealPointPatch, FeatureCollection
from ols import audit, dealpoints
from ols.privacy import sees_deal_points
from ols.users import Principal

router = APIRouter(responses=ERRORS)
Police = Annotated[Principal, Depends(require(sees_deal_points, "see points de deal"))]


@router.get("/deal-points", response_model=FeatureCollection)
def list_points(request: Request, engine: EngineDep, user: Police) -> dict[str, Any]:
    """Every point de deal of the caller's territories, with its history (audited)."""
    with engine.begin() as connection:
        audit.record(connection, user=user.name, role=user.role, action="read", resource="deal-points",
                     parameters={}, client=request.client.host if request.client else None)  # fmt: skip
        return dealpoints.listing(connection, territories=user.territories)


@router.post("/deal-points", response_model=Created, status_code=201)
def report_point(body: DealPointIn, request: Request, engine: EngineDep, user: Police) -> Created:
    """Record a point de deal reported in cellule de veille."""
    with engine.begin() as connection:
        point_id = dealpoints.create(connection, label=body.label, lon=body.lon, lat=body.lat,
                                     reported_on=body.reported_on, by=user.name, status=body.status,
                                     notes=body.notes)  # fmt: skip
        audit.record(connection, user=user.name, role=user.role, action="create", resource="deal-points",
                     parameters={"id": point_id}, client=request.client.host if request.client else None)  # fmt: skip
    return Created(id=point_id)


@router.patch("/deal-points/{point_id}", status_code=204)
def update_point(point_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: DealPointPatch, request: Request,
                 engine: EngineDep, user: Police) -> Response:  # fmt: skip
    """A new report, a status change (actif, en surveillance, démantelé) or new notes."""
    with engine.begin() as connection:
        dealpoints.update_point(connection, point_id, by=user.name, reported_on=body.reported_on, status=body.status,
                                notes=body.notes)  # fmt: skip
        audit.record(connection, user=user.name, role=user.role, action="update", resource="deal-points",
                     parameters={"id": point_id, **body.model_dump(mode="json", exclude_none=True)},
                     client=request.client.host if request.client else None)  # fmt: skip
    return Response(status_code=204)
