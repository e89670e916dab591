"""Raw events (audited), indicators, time profiles and near-repeat risk."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from api.deps import CurrentUser, EngineDep, SettingsDep, require
from api.schemas import ERRORS, PERIOD_PATTERN, FeatureCollection, TableRows
from ols import audit
from ols.events import raw_events
from ols.indicators import local_evolution
from ols.mapexport import Snapshot, render
from ols.nearrepeat import near_repeat
from ols.periods import parse_period
from ols.privacy import (
    allowed_resolution,
    excluded_categories,
    sees_deal_points,
    sees_raw_events,
    suppress_table,
    suppressed,
)
from ols.profiles import time_profile
from ols.users import Principal

router = APIRouter(responses=ERRORS)
PeriodParam = Annotated[str, Query(description="2024-S2, 2024-11, 2024-W48, 2024...", pattern=PERIOD_PATTERN)]
Reader = Annotated[Principal, Depends(require(sees_raw_events, "read raw events"))]
Police = Annotated[Principal, Depends(require(sees_deal_points, "see near-repeat burglary risk"))]


def _bbox(text_value: str | None) -> tuple[float, float, float, float] | None:
    if not text_value:
        return None
    try:
        west, south, east, north = (float(part) for part in text_value.split(","))
    except ValueError as error:
        raise HTTPException(status_code=422, detail="bbox is west,south,east,north in WGS84") from error
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise HTTPException(status_code=422, detail="bbox is west,south,east,north in WGS84")
    return west, south, east, north


@router.get("/events", response_model=FeatureCollection)
def events(
    request: Request,
    engine: EngineDep,
    user: Reader,
    period: PeriodParam,
    bbox: Annotated[str | None, Query(max_length=100)] = None,
    family: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+$")] = None,
) -> dict[str, Any]:
    """Raw facts (police and coordinator; a partner sees its own source only). Audited."""
    spec = parse_period(period)
    box = _bbox(bbox)
    with engine.begin() as connection:
        audit.record(connection, user=user.name, role=user.role, action="read", resource="events",
                     parameters={"period": spec.name, "bbox": bbox, "family": family},
                     client=request.client.host if request.client else None)  # fmt: skip
        return raw_events(connection, user, period=spec, bbox=box, family=family)


@router.get("/indicators", response_model=TableRows)
def indicators(
    engine: EngineDep,
    settings: SettingsDep,
    user: CurrentUser,
    period: PeriodParam,
    by: Annotated[str, Query(pattern="^(family|category|source)$")] = "family",
) -> TableRows:
    """N-2, N-1, N and their evolution by family, category or source (small counts hidden for most roles)."""
    with engine.connect() as connection:
        territory = user.territories[0] if len(user.territories) == 1 else None
        frame = local_evolution(connection, parse_period(period), by=by, territory=territory,
                                excluded=excluded_categories(user.role))  # fmt: skip
    rows: list[dict[str, Any]] = [
        {str(k): v for k, v in row.items()}
        for row in frame.astype(object).where(frame.notna(), None).to_dict("records")
    ]
    counts = [column for column in frame.columns if column[:4].isdigit()]
    if suppressed(user.role):
        rows = suppress_table(rows, counts, settings.suppression_threshold)
        for row in rows:
            if any(row[column] is None for column in counts):
                row["evolution"] = row["evolution_pct"] = row["evolution_n2_pct"] = None
        return TableRows(rows=rows, suppression_threshold=settings.suppression_threshold)
    return TableRows(rows=rows)


def _hide(grid: list[list[int]], threshold: int) -> list[list[int | None]]:
    return [[None if 0 < n < threshold else n for n in row] for row in grid]


@router.get("/profiles/time")
def profiles(
    engine: EngineDep,
    settings: SettingsDep,
    user: CurrentUser,
    period: PeriodParam,
    family: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+$")] = None,
    zone: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")] = None,
) -> dict[str, Any]:
    """Hour × weekday grid (facts without an hour counted apart), school holidays vs school periods."""
    with engine.connect() as connection:
        profile = time_profile(connection, parse_period(period), family=family, zone=zone)
    if suppressed(user.role):
        threshold = settings.suppression_threshold
        profile["grid"] = _hide(profile["grid"], threshold)
        profile["school_holidays"] = {name: _hide(grid, threshold) for name, grid in profile["school_holidays"].items()}
        profile["heure_inconnue"] = _hide([profile["heure_inconnue"]], threshold)[0]
        profile["suppression_threshold"] = threshold
    return profile


@router.get("/near-repeat")
def near_repeat_risk(
    request: Request, engine: EngineDep, user: Police, period: PeriodParam, as_of: date | None = None
) -> dict[str, Any]:
    """Knox test of burglaries and the zones of elevated risk around the recent ones (police roles). Audited."""
    with engine.begin() as connection:
        audit.record(connection, user=user.name, role=user.role, action="read", resource="near-repeat",
                     parameters={"period": period, "as_of": as_of.isoformat() if as_of else None},
                     client=request.client.host if request.client else None)  # fmt: skip
        return near_repeat(connection, parse_period(period), as_of=as_of)


@router.get("/exports/map", responses={200: {"content": {"image/png": {}, "application/pdf": {}}}})
def export_map(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    user: CurrentUser,
    period: PeriodParam,
    layers: Annotated[
        str,
        Query(pattern=r"^(heatmap|zones|boundary|places|deal_points)(,(heatmap|zones|boundary|places|deal_points))*$"),
    ] = "heatmap,zones",
    resolution: Annotated[int, Query(ge=8, le=10)] = 9,
    image_format: Annotated[str, Query(alias="format", pattern="^(png|pdf)$")] = "png",
) -> Response:
    """A print-quality map snapshot of what the caller may see (audited)."""
    if not allowed_resolution(user.role, resolution):
        raise HTTPException(status_code=403, detail=f"role {user.role} only gets resolution 8 or coarser")
    spec = Snapshot(parse_period(period), tuple(layers.split(",")), resolution, None, settings.suppression_threshold)
    with engine.begin() as connection:
        body = render(connection, spec, user, image_format=image_format)
        audit.record(connection, user=user.name, role=user.role, action="export", resource="map",
                     parameters={"period": period, "layers": layers, "resolution": resolution, "format": image_format},
                     client=request.client.host if request.client else None)  # fmt: skip
    media = "application/pdf" if image_format == "pdf" else "image/png"
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="carte-{period}.{image_format}"'}
    )
