"""Raw events (audited), indicators, time profiles and near-repeat risk.

Every route's database work runs on the bounded analysis runner (:mod:`api.work`); indicators
and time profiles, which the map reads for every reader, are also served from the response cache
while the facts they count are unchanged (:mod:`api.serving`). Audited reads are never cached: each
one is computed and recorded.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from sqlalchemy import Connection

from api.areas import Where, WhereParams
from api.cache import JSON, dumps, respond
from api.deps import CurrentAudience, client_address
from api.schemas import ERRORS, PERIOD_PATTERN, FeatureCollection, TableRows
from api.serving import Answer, answers_of, endpoint_of, runner_of
from ols.access import audit
from ols.access.audience import Audience
from ols.access.events import raw_events
from ols.access.roles import Layer
from ols.analysis.indicators import local_evolution
from ols.analysis.nearrepeat import near_repeat
from ols.analysis.profiles import time_profile
from ols.nomenclature import Measure
from ols.periods import Period, parse_period
from ols.publishing.mapexport import Snapshot, render
from ols.store.changes import EVENTS, INDICATORS, REFERENCE, ZONES

router = APIRouter(responses=ERRORS)
PeriodParam = Annotated[str, Query(description="2024-S2, 2024-11, 2024-W48, 2024...", pattern=PERIOD_PATTERN)]
BBOX = "bbox s'écrit ouest,sud,est,nord en degrés WGS84 (par exemple 3.09,50.63,3.13,50.65)"


def _bbox(text_value: str | None) -> tuple[float, float, float, float] | None:
    if not text_value:
        return None
    try:
        west, south, east, north = (float(part) for part in text_value.split(","))
    except ValueError as error:
        raise HTTPException(status_code=422, detail=BBOX) from error
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise HTTPException(status_code=422, detail=BBOX)
    return west, south, east, north


@router.get("/events", response_model=FeatureCollection)
async def events(
    request: Request,
    audience: CurrentAudience,
    period: PeriodParam,
    bbox: Annotated[str | None, Query(max_length=100)] = None,
    family: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+$")] = None,
) -> Response:
    """Raw facts (police and coordinator; a partner sees its own source only). Audited."""
    spec = parse_period(period)
    box = _bbox(bbox)
    client = client_address(request)

    def read(connection: Connection) -> bytes:
        found = raw_events(connection, audience, period=spec, bbox=box, family=family)
        audit.record(connection, user=audience.name, role=audience.role, action="read", resource="events",
                     parameters={"period": spec.name, "bbox": bbox, "family": family}, client=client)  # fmt: skip
        return dumps(found)

    return Response(await runner_of(request).run(request, endpoint_of(request), read), media_type=JSON)


def indicators_answer(
    period: Period, audience: Audience, by: str, measure: Measure = "facts", where: Where | None = None
) -> Answer:
    """N-2, N-1, N and their evolution, for an audience (of one commune or sector, ``where``): facts by default,
    each event once across partners; no evolution where a partner of the row had no data."""
    where = where or Where()

    def read(connection: Connection) -> TableRows:
        area = where.area(connection, audience)
        frame = local_evolution(connection, period, audience, by=by, measure=measure, area=area)
        rows: list[dict[str, Any]] = [
            {str(k): v for k, v in row.items()}
            for row in frame.astype(object).where(frame.notna(), None).to_dict("records")
        ]
        return TableRows(rows=rows, suppression_threshold=audience.threshold if audience.suppressed else None)

    key = (period.name, by, measure, *where.key)
    return Answer("indicators", key, read, Layer.INDICATORS, (EVENTS, INDICATORS, *REFERENCE))


@router.get("/indicators", response_model=TableRows, responses={304: {"description": "Not modified"}})
async def indicators(
    request: Request,
    audience: CurrentAudience,
    period: PeriodParam,
    where: WhereParams,
    by: Annotated[str, Query(pattern="^(family|category|source)$")] = "family",
    measure: Annotated[Measure, Query(description="facts (défaut) ou activity (activité des services)")] = "facts",
) -> Response:
    """N-2, N-1, N and their evolution by family, category or source, as the caller's audience receives them
    (of one ``commune`` or ``sector`` when asked): facts by default, each event once across partners; no
    evolution where a partner of the row had no data, "—" for a year before any data."""
    answer = indicators_answer(parse_period(period), audience, by, measure, where)
    return await answers_of(request).serve(request, audience, answer)


def profile_answer(
    period: Period, audience: Audience, family: str | None, zone: str | None, where: Where | None = None,
    category: str | None = None, source: str | None = None,
) -> Answer:  # fmt: skip
    """The hour × weekday grid of a period, for an audience (of one commune or sector, ``where``; of the map's
    family, category and source)."""
    where = where or Where()

    def read(connection: Connection) -> dict[str, Any]:
        area = where.area(connection, audience)
        return time_profile(connection, period, audience, family=family, zone=zone, area=area, category=category,
                            source=source)  # fmt: skip

    kinds = (EVENTS, ZONES, *REFERENCE)
    key = (period.name, family, zone, category, source, *where.key)
    return Answer("profiles/time", key, read, Layer.PROFILES, kinds)


@router.get("/profiles/time", responses={304: {"description": "Not modified"}})
async def profiles(
    request: Request,
    audience: CurrentAudience,
    period: PeriodParam,
    where: WhereParams,
    family: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+$")] = None,
    zone: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")] = None,
    category: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+$")] = None,
    source: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")] = None,
) -> Response:
    """Hour × weekday grid (facts without an hour counted apart), school holidays vs school periods (of one
    ``commune`` or ``sector`` when asked; of one category or source, the map's filters)."""
    answer = profile_answer(parse_period(period), audience, family, zone, where, category, source)
    return await answers_of(request).serve(request, audience, answer)


def near_repeat_answer(period: Period, audience: Audience, as_of: date | None) -> Answer:
    """The near-repeat risk of a period (Knox table and risk areas), cached like every map layer: its permutations
    cost about a second of the server, which every police map paid at each opening (and kept paying after the
    page was left)."""
    read = lambda connection: near_repeat(connection, period, audience, as_of=as_of)  # noqa: E731
    params = (period.name, as_of.isoformat() if as_of else None)
    return Answer("near-repeat", params, read, Layer.NEAR_REPEAT, (EVENTS, *REFERENCE))


@router.get("/near-repeat", responses={304: {"description": "Not modified"}})
async def near_repeat_risk(
    request: Request, audience: CurrentAudience, period: PeriodParam, as_of: date | None = None
) -> Response:
    """Knox test of burglaries and the zones of elevated risk around the recent ones (police roles). Audited."""
    entry, hit = await answers_of(request).fetch(request, audience, near_repeat_answer(parse_period(period), audience,
                                                                                       as_of))  # fmt: skip
    client = client_address(request)

    def record(connection: Connection) -> None:
        audit.record(connection, user=audience.name, role=audience.role, action="read", resource="near-repeat",
                     parameters={"period": period, "as_of": as_of.isoformat() if as_of else None},
                     client=client)  # fmt: skip

    await runner_of(request).run(request, endpoint_of(request), record)
    return respond(request, entry, hit=hit)


async def sheet_params(
    paper: Annotated[str, Query(pattern="^(A4|A3)$")] = "A4",
    dpi: Annotated[int, Query(ge=200, le=300, multiple_of=100)] = 200,
) -> tuple[str, int]:
    """The paper (A4 or A3, landscape) and the resolution (200 or 300 dpi) of a map export."""
    return paper, dpi


@router.get("/exports/map", responses={200: {"content": {"image/png": {}, "application/pdf": {}}}})
async def export_map(
    request: Request,
    audience: CurrentAudience,
    period: PeriodParam,
    where: WhereParams,
    layers: Annotated[
        str,
        Query(pattern=r"^(heatmap|zones|boundary|places|deal_points)(,(heatmap|zones|boundary|places|deal_points))*$"),
    ] = "heatmap,zones",
    resolution: Annotated[int | None, Query(ge=8, le=10)] = None,
    image_format: Annotated[str, Query(alias="format", pattern="^(png|pdf)$")] = "png",
    sheet: Annotated[tuple[str, int], Depends(sheet_params)] = ("A4", 200),
) -> Response:
    """A print-quality map snapshot of what the caller may see (of one ``commune`` or ``sector`` when asked, its
    sectors outlined; A4 or A3 landscape, 200 or 300 dpi; signed with the caller's name; audited)."""
    (paper, dpi), client = sheet, client_address(request)
    spec = Snapshot(parse_period(period), tuple(layers.split(",")), resolution, paper=paper, dpi=dpi)

    def draw(connection: Connection) -> bytes:
        cut = replace(spec, area=where.area(connection, audience))
        body = render(connection, cut, audience, image_format=image_format)
        parameters = {"period": period, "layers": layers, "resolution": resolution, "format": image_format,
                      "commune": where.commune, "sector": where.sector, "paper": paper, "dpi": dpi}  # fmt: skip
        audit.record(connection, user=audience.name, role=audience.role, action="export", resource="map",
                     parameters=parameters, client=client)  # fmt: skip
        return body

    runner = runner_of(request)  # a print-quality page takes longer than a layer: the export budget
    body = await runner.run(request, endpoint_of(request), draw, budget_ms=runner.settings.export_budget_ms)
    media = "application/pdf" if image_format == "pdf" else "image/png"
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="carte-{period}.{image_format}"'}
    )
