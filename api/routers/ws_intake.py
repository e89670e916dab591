"""The coordinator's data-flow pages: import of partner files, batches, semester and editions (``Layer.MANAGE``).

The pages are static; their scripts call :mod:`api.routers.intake`, :mod:`api.routers.semester` and
:mod:`api.routers.jobs`, which check the same right again.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import EngineDep, SettingsDep
from api.routers.workspace import serve_page

router = APIRouter(include_in_schema=False)


@router.get("/import", response_class=HTMLResponse)
def import_page(request: Request, engine: EngineDep, settings: SettingsDep) -> HTMLResponse:
    """Drop partner files, preview them, ingest them as background jobs, read their batch reports."""
    return serve_page(request, engine, settings, path="/import", fragment="import", scripts=("ws-import.js",),
                      data=lambda connection, audience: {"max_upload_mb": settings.max_upload_mb})  # fmt: skip


@router.get("/lots", response_class=HTMLResponse)
def batches_page(request: Request, engine: EngineDep, settings: SettingsDep) -> HTMLResponse:
    """The batches with filters, a batch's detail and its undo."""
    return serve_page(request, engine, settings, path="/lots", fragment="lots", scripts=("ws-lots.js",))


@router.get("/semestre", response_class=HTMLResponse)
def semester_page(request: Request, engine: EngineDep, settings: SettingsDep) -> HTMLResponse:
    """Refresh a period, read its summary, publish its edition, compare the editions."""
    return serve_page(request, engine, settings, path="/semestre", fragment="semestre", scripts=("ws-semestre.js",))
