"""Place and sector sheets, the schéma local, the subjects a reader may ask a sheet of, and the ambiance."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import Field
from sqlalchemy import Connection

from api.cache import JSON, dumps
from api.deps import CurrentAudience
from api.schemas import ERRORS, PERIOD_PATTERN, Input
from api.serving import endpoint_of, runner_of
from ols.sheets import ambiance as ambiances
from ols.sheets.service import local_plan_document, sheet_document, sheet_json, sheet_of, subjects_of

router = APIRouter(responses=ERRORS)
PeriodParam = Annotated[str, Query(description="2025-S1, 2025-03...", pattern=PERIOD_PATTERN)]
FormatParam = Annotated[Literal["pdf", "html", "json"], Query(alias="format")]
MEDIA = {"pdf": "application/pdf", "html": "text/html; charset=utf-8", "json": JSON}
KINDS: dict[str, dict[str, Any]] = {"application/pdf": {}, "text/html": {}, "application/json": {}}
DOCUMENTS: dict[int | str, dict[str, Any]] = {200: {"content": KINDS}}


class AmbianceInput(Input):
    """A partner's ambiance of a place, sector or zone for a period."""

    kind: Literal["place", "sector", "zone"]
    code: str = Field(min_length=1, max_length=120)
    period: str = Field(pattern=PERIOD_PATTERN)
    rating: str = Field(min_length=4, max_length=10, examples=["tendu"])
    observation: str = Field(default="", max_length=600)


def _answer(body: bytes, output: str, name: str) -> Response:
    headers = {} if output == "json" else {"Content-Disposition": f'attachment; filename="{name}.{output}"'}
    return Response(body, media_type=MEDIA[output], headers=headers)


@router.get("/sheets/subjects")
async def subjects(request: Request, audience: CurrentAudience) -> Response:
    """The sectors and places the caller may ask a sheet of, and the communes of a schéma local."""

    def read(connection: Connection) -> bytes:
        return dumps(subjects_of(connection, audience))

    return Response(await runner_of(request).run(request, endpoint_of(request), read), media_type=JSON)


@router.get("/sheets/{kind}/{code}", responses=DOCUMENTS)
async def sheet(
    request: Request,
    audience: CurrentAudience,
    kind: Literal["place", "sector", "zone"],
    code: Annotated[str, Path(min_length=1, max_length=120)],
    period: PeriodParam,
    output: FormatParam = "pdf",
) -> Response:
    """The sheet of a place (by name), sector or zone (by code) for a period, cut for the caller: PDF, HTML or JSON."""

    def read(connection: Connection) -> bytes:
        if output == "json":
            return dumps(sheet_json(sheet_of(connection, kind, code, period, audience)))
        return sheet_document(connection, kind, code, period, audience, f".{output}")

    runner = runner_of(request)
    body = await runner.run(request, endpoint_of(request), read, budget_ms=runner.settings.export_budget_ms)
    return _answer(body, output, f"fiche-{kind}-{period}")


@router.get("/local-plans/{commune}", responses=DOCUMENTS)
async def local_plan(
    request: Request,
    audience: CurrentAudience,
    commune: Annotated[str, Path(max_length=64, pattern=r"^[0-9A-Za-z-]+$")],
    period: PeriodParam,
    output: Annotated[Literal["pdf", "html"], Query(alias="format")] = "pdf",
) -> Response:
    """The schéma local de tranquillité publique of a commune: summary, coordination plan and its sheets."""

    def read(connection: Connection) -> bytes:
        audience.check_territory(commune)
        return local_plan_document(connection, commune, period, audience, f".{output}")

    runner = runner_of(request)
    body = await runner.run(request, endpoint_of(request), read, budget_ms=runner.settings.export_budget_ms)
    return _answer(body, output, f"schema-local-{commune}-{period}")


@router.post("/sheets/ambiance", status_code=201)
async def ambiance(body: AmbianceInput, request: Request, audience: CurrentAudience) -> Response:
    """Record the caller's ambiance of a place, sector or zone for a period (an observation with a name is refused;
    partners, police and the coordinator write ambiances, an élu or the public gets a 403)."""

    def write(connection: Connection) -> bytes:
        subject = ambiances.enter(
            connection, body.kind, body.code, body.period, body.rating, body.observation, audience
        )
        return dumps({"subject": subject.name, "period": body.period, "rating": ambiances.rating_code(body.rating)})

    return Response(await runner_of(request).run(request, endpoint_of(request), write), media_type=JSON,
                    status_code=201)  # fmt: skip
