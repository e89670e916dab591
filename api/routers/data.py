"""Raw events (audited), indicators, time profiles and near-repeat risk."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response

from api.deps import CurrentAudience, EngineDep, client_address
from api.schemas import ERRORS, PERIOD_PATTERN, FeatureCollection, TableRows
from ols.access import audit
from ols.access.events import raw_events
from ols.analysis.indicators import local_evolution
from ols.analysis.nearrepeat import near_repeat
from ols.analysis.profiles import time_profile
from ols.nomenclature import Measure
from ols.periods import parse_period
from ols.publishing.mapexport import Snapshot, render

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
def events(
    request: Request,
    engine: EngineDep,
    audience: CurrentAudience,
    period: PeriodParam,
    bbox: Annotated[str | None, Query(max_length=100)] = None,
    family: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+$")] = None,
) -> dict[str, Any]:
    """Raw facts (police and coordinator; a partner sees its own source only). Audited."""
    spec = parse_period(period)
    box = _bbox(bbox)
    with engine.begin() as connection:
        found = raw_events(connection, audience, period=spec, bbox=box, family=family)
        audit.record(connection, user=audience.name, role=audience.role, action="read", resource="events",
                     parameters={"period": spec.name, "bbox": bbox, "family": family},
                     client=client_address(request))  # fmt: skip
    return found


@router.get("/indicators", response_model=TableRows)
def indicators(
    engine: EngineDep,
    audience: CurrentAudience,
    period: PeriodParam,
    by: Annotated[str, Query(pattern="^(family|category|source)$")] = "family",
    measure: Annotated[Measure, Query(description="facts (défaut) ou activity (activité des services)")] = "facts",
) -> TableRows:
    """N-2, N-1, N and their evolution by family, category or source, as the caller's audience receives them:
    facts by default, each event once across partners; no evolution where a partner of the row had no data."""
    with engine.connect() as connection:
        frame = local_evolution(connection, parse_period(period), audience, by=by, measure=measure)
    rows: list[dict[str, Any]] = [
        {str(k): v for k, v in row.items()}
        for row in frame.astype(object).where(frame.notna(), None).to_dict("records")
    ]
    return TableRows(rows=rows, suppression_threshold=audience.threshold if audience.suppressed else None)


@router.get("/profiles/time")
def profiles(
    engine: EngineDep,
    audience: CurrentAudience,
    period: PeriodParam,
    family: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+$")] = None,
    zone: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")] = None,
) -> dict[str, Any]:
    """Hour × weekday grid (facts without an hour counted apart), school holidays vs school periods."""
    with engine.connect() as connection:
        return time_profile(connection, parse_period(period), audience, family=family, zone=zone)


@router.get("/near-repeat")
def near_repeat_risk(
    request: Request, engine: EngineDep, audience: CurrentAudience, period: PeriodParam, as_of: date | None = None
) -> dict[str, Any]:
    """Knox test of burglaries and the zones of elevated risk around the recent ones (police roles). Audited."""
    with engine.begin() as connection:
        found = near_repeat(connection, parse_period(period), audience, as_of=as_of)
        audit.record(connection, user=audience.name, role=audience.role, action="read", resource="near-repeat",
                     parameters={"period": period, "as_of": as_of.isoformat() if as_of else None},
                     client=client_address(request))  # fmt: skip
    return found


@router.get("/exports/map", responses={200: {"content": {"image/png": {}, "application/pdf": {}}}})
def export_map(
    request: Request,
    engine: EngineDep,
    audience: CurrentAudience,
    period: PeriodParam,
    layers: Annotated[
        str,
        Query(pattern=r"^(heatmap|zones|boundary|places|deal_points)(,(heatmap|zones|boundary|places|deal_points))*$"),
    ] = "heatmap,zones",
    resolution: Annotated[int | None, Query(ge=8, le=10)] = None,
    image_format: Annotated[str, Query(alias="format", pattern="^(png|pdf)$")] = "png",
) -> Response:
    """A print-quality map snapshot of what the caller may see (audited)."""
    spec = Snapshot(parse_period(period), tuple(layers.split(",")), resolution)
    with engine.begin() as connection:
        body = render(connection, spec, audience, image_format=image_format)
        audit.record(connection, user=audience.name, role=audience.role, action="export", resource="map",
                     parameters={"period": period, "layers": layers, "resolution": resolution, "format": image_format},
                     client=client_address(request))  # fmt: skip
    media = "application/pdf" if image_format == "pdf" else "image/png"
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="carte-{period}.{image_format}"'}
    )
