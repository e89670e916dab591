"""Dependencies of the routes: the engine, the settings, who is calling, and its audience.

Routes only ask who the caller is (:data:`CurrentAudience`); what that caller may see is decided
by the audience layer (:mod:`ols.access`). A bearer token's argon2 check is cached briefly (it is
slow by design), but the user is read again on every request, so that disabling it takes effect
at once. Failed attempts, by token or at the login form, are counted per client address and lock
the address out for a while; a cookie session's writes must come from the page's own origin.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import deque
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.access.sessions import session_user
from ols.access.users import Principal, active_user, authenticate
from ols.settings import ApiSettings

SESSION_COOKIE = "ols_session"
TOKEN_CACHE_SECONDS = 300
WINDOW_SECONDS = 60
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


async def get_engine(request: Request) -> Engine:
    """The engine created at start-up."""
    engine: Engine = request.app.state.engine
    return engine


async def get_settings(request: Request) -> ApiSettings:
    """The API settings of this app."""
    settings: ApiSettings = request.app.state.settings
    return settings


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]


def client_address(request: Request) -> str:
    """The caller's address (a forwarded one only from the proxies of ``OLS_TRUSTED_PROXIES``, via uvicorn)."""
    return request.client.host if request.client else "inconnu"


class Throttle:
    """Failed authentications per client address over the last minute; past the limit, the address waits."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.failures: dict[str, deque[float]] = {}

    def _window(self, client: str) -> deque[float]:
        window = self.failures.setdefault(client, deque())
        while window and window[0] < time.monotonic() - WINDOW_SECONDS:
            window.popleft()
        return window

    def check(self, client: str) -> None:
        """429 with the wait in seconds while the address is locked out."""
        window = self._window(client)
        if len(window) >= self.limit:
            wait = max(1, math.ceil(window[0] + WINDOW_SECONDS - time.monotonic()))
            detail = f"Trop de tentatives refusées depuis cette adresse : réessayez dans {wait} s."
            raise HTTPException(status_code=429, headers={"Retry-After": str(wait)}, detail=detail)

    def fail(self, client: str) -> None:
        """Count one failed attempt."""
        self._window(client).append(time.monotonic())


def check_origin(request: Request, settings: ApiSettings) -> None:
    """403 unless a cookie-authenticated write comes from the page's own origin (or an allowed one)."""
    if request.method in SAFE_METHODS:
        return
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    origin = request.headers.get("origin") or request.headers.get("referer", "")
    if not any(origin == allowed or origin.startswith(allowed + "/") for allowed in (own, *settings.cors_origins)):
        raise HTTPException(status_code=403, detail="origine de la requête refusée (protection CSRF)")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def _token_user(request: Request, engine: Engine, token: str) -> Principal | None:
    """The enabled user of a token: argon2 once per token and 5 minutes, the user's row every time."""
    cache: dict[str, tuple[float, int]] = request.app.state.token_cache
    key = hashlib.sha256(token.encode()).hexdigest()
    with engine.connect() as connection:
        hit = cache.get(key)
        if hit and hit[0] > time.monotonic():
            return active_user(connection, hit[1])
        request.app.state.throttle.check(client_address(request))
        principal = authenticate(connection, token)
    if principal is None:
        request.app.state.throttle.fail(client_address(request))
        return None
    cache[key] = (time.monotonic() + TOKEN_CACHE_SECONDS, principal.id)
    return principal


def _cookie_user(request: Request, engine: Engine, settings: ApiSettings, cookie: str) -> Principal | None:
    check_origin(request, settings)
    with engine.connect() as connection:
        return session_user(connection, cookie, key=settings.secret_key)


async def current_user(request: Request, engine: EngineDep, settings: SettingsDep) -> Principal:
    """The authenticated caller (401 without a valid token or session, 429 while its address is locked out)."""
    token, cookie = _bearer(request), request.cookies.get(SESSION_COOKIE)
    principal = None
    if token:
        principal = await run_in_threadpool(_token_user, request, engine, token)
    elif cookie:
        principal = await run_in_threadpool(_cookie_user, request, engine, settings, cookie)
    if principal is None:
        raise HTTPException(status_code=401, detail="authentification requise (jeton ou session expirée)",
                            headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
    request.state.user_id = principal.id  # for the access log: the user's id, never its token
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


async def current_audience(user: CurrentUser, settings: SettingsDep) -> Audience:
    """The audience of the caller: what every output of this request is cut for."""
    return Audience.for_user(user, threshold=settings.suppression_threshold)


CurrentAudience = Annotated[Audience, Depends(current_audience)]


async def current_manager(audience: CurrentAudience) -> Audience:
    """The caller, if its audience manages the observatory (403 otherwise)."""
    audience.require(Layer.MANAGE)
    return audience


CurrentManager = Annotated[Audience, Depends(current_manager)]
