"""Video-protection coverage of a period: cameras, share of facts and hot cells covered, the best new sites."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import Connection

from api.cache import JSON, dumps
from api.deps import CurrentAudience
from api.schemas import ERRORS, PERIOD_PATTERN
from api.serving import endpoint_of, runner_of
from ols.coverage.service import coverage as compute
from ols.reference.areas import Area

router = APIRouter(responses=ERRORS)


@router.get("/coverage")
async def coverage(
    request: Request,
    audience: CurrentAudience,
    period: Annotated[str, Query(description="2025-S1, 2025-03...", pattern=PERIOD_PATTERN)],
    extend: Annotated[int | None, Query(ge=1, le=20, description="Nombre de nouveaux sites à proposer")] = None,
    semesters: Annotated[int, Query(ge=1, le=8, description="Semestres de faits à couvrir")] = 4,
    commune: Annotated[str | None, Query(max_length=64, pattern=r"^[0-9A-Za-z-]+$")] = None,
) -> Response:
    """Cameras watching in the period, the share of facts and hot cells they cover, the uncovered hot cells
    ranked and, with ``extend``, the k new sites covering most facts (CP-SAT against a greedy baseline)."""

    def read(connection: Connection) -> bytes:
        area = audience.check_area(connection, Area.parse(connection, commune))
        return dumps(compute(connection, period, audience, area=area, extend=extend, semesters=semesters))

    runner = runner_of(request)
    body = await runner.run(request, endpoint_of(request), read, budget_ms=runner.settings.export_budget_ms)
    return Response(body, media_type=JSON)
