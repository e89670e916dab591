"""« Pourquoi cette cellule ? »: the explanation of a cell or a zone, for the caller's audience.

Thin: the numbers and the sentences come from :mod:`ols.cartography.explain`, the same service as
``ols explain`` and the reports. Fields stay English; each code comes with its French ``label``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import Connection

from api.deps import CurrentAudience
from api.schemas import ERRORS, PERIOD_PATTERN
from api.serving import Answer, answers_of
from ols.cartography.explain import Question, explain
from ols.periods import parse_period
from ols.store.changes import EVENTS, REFERENCE, ZONES

router = APIRouter(responses=ERRORS)
ZONE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


@router.get("/explain", responses={304: {"description": "Not modified"}})
async def explain_route(
    request: Request,
    audience: CurrentAudience,
    period: Annotated[str, Query(description="2026-S1, 2025...", pattern=PERIOD_PATTERN)],
    cell: Annotated[str | None, Query(description="Identifiant H3 de la cellule", pattern=r"^[0-9a-f]{15}$")] = None,
    zone: Annotated[str | None, Query(description="Code de la zone", pattern=ZONE_PATTERN)] = None,
    family: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+$")] = None,
) -> Response:
    """Why a cell or a zone is (or is not) a hot spot: its figures, its neighbours', each partner's share, the
    class and its chance of being due to chance, what changes with the neighbourhood and the grid, the caveats.
    Served like the map's layers: cached per audience while its data is unchanged, on the bounded runner."""
    question = Question(parse_period(period), cell=cell, zone=zone, family=family)

    def read(connection: Connection) -> dict[str, Any]:
        return explain(connection, question, audience)

    kinds = (EVENTS, ZONES, *REFERENCE)
    answer = Answer("explain", (period, cell, zone, family), read, None, kinds, (question.period.name,))
    return await answers_of(request).serve(request, audience, answer)
