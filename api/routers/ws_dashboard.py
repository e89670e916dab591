"""The tableau de bord page (``/tableau-de-bord``): the strategy's follow-up for every role but the public."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection

from api.deps import EngineDep, SettingsDep
from api.routers.workspace import serve_page
from ols.access.audience import Audience
from ols.access.roles import Layer

router = APIRouter(include_in_schema=False)


def _data(connection: Connection, audience: Audience) -> dict[str, Any]:
    return {"meetings": audience.may(Layer.MEETINGS)}


@router.get("/tableau-de-bord", response_class=HTMLResponse)
def tableau_de_bord(request: Request, engine: EngineDep, settings: SettingsDep) -> HTMLResponse:
    """The tableau de bord of the strategy, cut for the session's reader."""
    return serve_page(request, engine, settings, path="/tableau-de-bord", fragment="tableau-de-bord",
                      scripts=("ws-tableau-de-bord.js",), data=_data)  # fmt: skip
