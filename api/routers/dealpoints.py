"""Points de deal: police roles and the coordinator only (the audience layer decides); every access is audited.

The listing is served from the response cache while no point changed (:mod:`api.serving`), but
every read, cached or not, is recorded in the audit log before it is answered.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from sqlalchemy import Connection

from api.cache import respond
from api.deps import CurrentAudience, EngineDep, client_address
from api.schemas import ERRORS, Created, DealPointIn, DealPointPatch, FeatureCollection
from api.serving import Answer, answers_of, endpoint_of, runner_of
from ols.access import audit, dealpoints
from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.errors import InvalidInputError
from ols.privacy.detectors import describe, find
from ols.store.changes import DEAL_POINTS, REFERENCE

router = APIRouter(responses=ERRORS)
PointId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def refuse_names(*texts: str | None) -> None:
    """A point's label and notes never carry personal data (names after a civility, phones, e-mails, NIR…): the
    ingest's own check, refused with what was found (names alone are not searched: a street is named after one)."""
    kinds = {finding.kind for text in texts if text for finding in find(text, bare_names=False)}
    if kinds:
        msg = f"le texte contient {describe(kinds)} : un point de deal ne porte aucune donnée nominative"
        raise InvalidInputError(msg)


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
    refuse_names(body.label, body.notes)
    with engine.begin() as connection:
        point_id = dealpoints.create(connection, audience, label=body.label, lon=body.lon, lat=body.lat,
                                     reported_on=body.reported_on, status=body.status, notes=body.notes)  # fmt: skip
        audit.record(connection, user=audience.name, role=audience.role, action="create", resource="deal-points",
                     parameters={"id": point_id}, client=client_address(request))  # fmt: skip
    return Created(id=point_id)


@router.patch("/deal-points/{point_id}", status_code=204)
def update_point(point_id: PointId, body: DealPointPatch, request: Request,
                 engine: EngineDep, audience: CurrentAudience) -> Response:  # fmt: skip
    """A new report, a status change (actif, en surveillance, démantelé) or new notes."""
    refuse_names(body.notes)
    with engine.begin() as connection:
        dealpoints.update_point(connection, audience, point_id, reported_on=body.reported_on, status=body.status,
                                notes=body.notes)  # fmt: skip
        audit.record(connection, user=audience.name, role=audience.role, action="update", resource="deal-points",
                     parameters={"id": point_id, **body.model_dump(mode="json", exclude_none=True)},
                     client=client_address(request))  # fmt: skip
    return Response(status_code=204)


@router.get("/deal-points/{point_id}/history")
def point_history(point_id: PointId, request: Request, engine: EngineDep, audience: CurrentAudience) -> dict[str, Any]:
    """One point de deal's history, oldest first: creation, new reports, status changes (audited)."""
    with engine.begin() as connection:
        found = dealpoints.history(connection, audience, point_id)
        audit.record(connection, user=audience.name, role=audience.role, action="read", resource="deal-points",
                     parameters={"id": point_id, "history": True}, client=client_address(request))  # fmt: skip
    return found
