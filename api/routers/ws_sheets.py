"""The workspace page of the place and sector sheets (/fiches)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection, func, select

from api.deps import EngineDep, SettingsDep
from api.routers.workspace import serve_page
from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.store.models import Event

router = APIRouter(include_in_schema=False)


def _page_data(connection: Connection, audience: Audience) -> dict[str, Any]:
    """The semester of the latest fact (the page's default period), and whether the reader writes ambiances (the
    form is shown only to them: an élu reads a sheet's ambiance, never writes one)."""
    latest = connection.execute(select(func.max(Event.occurred_at))).scalar()
    return {"period": f"{latest.year}-S{1 if latest.month <= 6 else 2}" if latest else "",
            "rates": audience.may(Layer.AMBIANCE)}  # fmt: skip


@router.get("/fiches", response_class=HTMLResponse)
def sheets_page(request: Request, engine: EngineDep, settings: SettingsDep) -> HTMLResponse:
    """The sheets page: a place's or sector's sheet, its PDF, its ambiance, a commune's schéma local."""
    return serve_page(request, engine, settings, path="/fiches", fragment="fiches", scripts=("ws-fiches.js",),
                      data=_page_data)  # fmt: skip
