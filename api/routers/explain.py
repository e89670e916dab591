"""« Pourquoi cette cellule ? »: the explanation of a cell or a zone, for the caller's audience.

Thin: the numbers and the sentences come from :mod:`ols.cartography.explain`, the same service as
``ols explain`` and the reports. Fields stay English; each code comes with its French ``label``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import CurrentAudience, EngineDep
from api.schemas import ERRORS, PERIOD_PATTERN
from ols.cartography.explain import Question, explain
from ols.periods import parse_period

router = APIRouter(responses=ERRORS)
ZONE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


@router.get("/explain")
def explain_route(
    engine: EngineDep,
    audience: CurrentAudience,
    period: Annotated[str, Query(description="2026-S1, 2025...", pattern=PERIOD_PATTERN)],
    cell: Annotated[str | None, Query(description="Identifiant H3 de la cellule", pattern=r"^[0-9a-f]{15}$")] = None,
    zone: Annotated[str | None, Query(description="Code de la zone", pattern=ZONE_PATTERN)] = None,
    family: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+$")] = None,
) -> dict[str, Any]:
    """Why a cell or a zone is (or is not) a hot spot: its figures, its neighbours', each partner's share, the
    class and its chance of being due to chance, what changes with the neighbourhood and the grid, the caveats."""
    question = Question(parse_period(period), cell=cell, zone=zone, family=family)
    with engine.connect() as connection:
        return explain(connection, question, audience)
