"""The coordinator's pages of access and formats: the mapping assistant, users, and the audit log.

Each page is a static fragment and a script (``web/static/ws-<name>.js``) talking to the API of
:mod:`api.routers.mappings`, :mod:`api.routers.users` and :mod:`api.routers.journal`; the users page
gets the territories, sectors and sources a scope may name in its data block.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection, select

from api.deps import EngineDep, SettingsDep
from api.routers.workspace import serve_page
from ols.access.audience import Audience
from ols.access.roles import Role
from ols.store.models import Sector, Source, Territory

router = APIRouter(include_in_schema=False)


def _scopes(connection: Connection, _: Audience) -> dict[str, Any]:
    """The roles, territories, sectors and sources the users page offers."""
    territories = connection.execute(select(Territory.code, Territory.name).order_by(Territory.name)).all()
    sectors = connection.execute(
        select(Sector.code, Sector.name, Territory.code.label("territory"))
        .join(Territory, Territory.id == Sector.territory_id)
        .order_by(Territory.code, Sector.name)
    ).all()
    sources = connection.execute(select(Source.code, Source.name).order_by(Source.code)).all()
    return {
        "roles": [role.value for role in Role],
        "territories": [dict(row._mapping) for row in territories],
        "sectors": [dict(row._mapping) for row in sectors],
        "sources": [dict(row._mapping) for row in sources],
    }


@router.get("/correspondances", response_class=HTMLResponse)
def mapping_assistant(request: Request, engine: EngineDep, settings: SettingsDep) -> HTMLResponse:
    """The mapping assistant: a sample file, its columns chosen, its rows checked, its labels mapped, saved."""
    return serve_page(request, engine, settings, path="/correspondances", fragment="correspondances",
                      scripts=("ws-correspondances.js",))  # fmt: skip


@router.get("/utilisateurs", response_class=HTMLResponse)
def users_page(request: Request, engine: EngineDep, settings: SettingsDep) -> HTMLResponse:
    """Users: list, create (token shown once), scope, disable."""
    return serve_page(request, engine, settings, path="/utilisateurs", fragment="utilisateurs",
                      scripts=("ws-utilisateurs.js",), data=_scopes)  # fmt: skip


@router.get("/journal", response_class=HTMLResponse)
def audit_page(request: Request, engine: EngineDep, settings: SettingsDep) -> HTMLResponse:
    """The audit log: filters, pages, CSV export."""
    return serve_page(request, engine, settings, path="/journal", fragment="journal", scripts=("ws-journal.js",))
