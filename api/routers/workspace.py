"""The workspace's pages: each served by ``serve_page`` for the reader of the session cookie.

A reader without a session gets the login form (which brings them back to the page); a reader whose
role may not open the page gets a French 403 page. Which role opens which page is ``web.workspace.TABS``.
A page's own module adds its route here with ``@router.get`` and one ``serve_page`` call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection, Engine

from api.deps import SESSION_COOKIE, EngineDep, SettingsDep
from ols.access.audience import Audience
from ols.access.sessions import session_user
from ols.settings import ApiSettings
from web.page import content_policy, login_page
from web.workspace import allowed, workspace_page

router = APIRouter(include_in_schema=False)
PageData = Callable[[Connection, Audience], dict[str, Any]]


def serve_page(request: Request, engine: Engine, settings: ApiSettings, *, path: str, fragment: str,
               scripts: tuple[str, ...] = (), data: PageData | None = None) -> HTMLResponse:  # fmt: skip
    """The workspace page at ``path`` for the session's reader, else the login form, else a 403 page."""
    cookie = request.cookies.get(SESSION_COOKIE)
    with engine.connect() as connection:
        user = session_user(connection, cookie, key=settings.secret_key) if cookie else None
        if user is None:
            return HTMLResponse(login_page(), headers={"Content-Security-Policy": content_policy()})
        audience = Audience.for_user(user, threshold=settings.suppression_threshold)
        if not allowed(audience, path):
            html, nonce = workspace_page(path="/", fragment="refuse", audience=audience)
            return HTMLResponse(html, status_code=403, headers={"Content-Security-Policy": content_policy(nonce)})
        values = data(connection, audience) if data else None
    html, nonce = workspace_page(path=path, fragment=fragment, audience=audience, scripts=scripts, data=values)
    return HTMLResponse(html, headers={"Content-Security-Policy": content_policy(nonce)})


@router.get("/espace", response_class=HTMLResponse)
def home(request: Request, engine: EngineDep, settings: SettingsDep) -> HTMLResponse:
    """The workspace's home: the pages the reader may open, each with what it is for."""
    return serve_page(request, engine, settings, path="/espace", fragment="espace", scripts=("ws-espace.js",))
