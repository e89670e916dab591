"""Dependencies of the routes: the engine, the settings, who is calling, and its audience.

Routes only ask who the caller is (:data:`CurrentAudience`); what that caller may see is decided
by the audience layer (:mod:`ols.access`). A bearer token's argon2 check is cached briefly (it is
slow by design), but the user is read again on every request, so that disabling it takes effect
at once. Failed attempts, by token or at the login form, are counted per client address and lock
the address out for a while; a cookie session's writes must come from the page's own origin.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import math
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine, create_engine
from starlette.concurrency import run_in_threadpool

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.access.sessions import session_user
from ols.access.users import Principal, active_user, authenticate
from ols.settings import ApiSettings

SESSION_COOKIE = "ols_session"
KNOWN = "known_user"  # where a request keeps who the doorkeeper found it comes from
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


def _token_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _checked_token(request: Request, token: str) -> int | None:
    """The user id of a token whose argon2 check passed in the last 5 minutes (None: check it)."""
    hit: tuple[float, int] | None = request.app.state.token_cache.get(_token_key(token))
    return hit[1] if hit and hit[0] > time.monotonic() else None


def _token_user(request: Request, engine: Engine, token: str) -> Principal | None:
    """The enabled user of a token: argon2 once per token and 5 minutes, the user's row every time."""
    with engine.connect() as connection:
        if (user_id := _checked_token(request, token)) is not None:
            return active_user(connection, user_id)
        request.app.state.throttle.check(client_address(request))
        principal = authenticate(connection, token)
    if principal is None:
        request.app.state.throttle.fail(client_address(request))
        return None
    request.app.state.token_cache[_token_key(token)] = (time.monotonic() + TOKEN_CACHE_SECONDS, principal.id)
    return principal


def _cookie_user(request: Request, engine: Engine, settings: ApiSettings, cookie: str) -> Principal | None:
    check_origin(request, settings)
    with engine.connect() as connection:
        return session_user(connection, cookie, key=settings.secret_key)


def anonymous(request: Request) -> bool:
    """Whether the request carries neither a bearer token nor a session cookie."""
    return _bearer(request) is None and SESSION_COOKIE not in request.cookies


def known_user(request: Request, engine: Engine, settings: ApiSettings) -> Principal | None:
    """The caller of a read, when telling it takes no password check: a web session, or a token checked in the
    last 5 minutes; None otherwise, and for every failure, which :func:`current_user` then answers (401, 429).

    Like :func:`current_user`, it reads the user's row (or session) on every call: disabling a user or
    closing a session holds at the very next request.
    """
    token, cookie = _bearer(request), request.cookies.get(SESSION_COOKIE)
    if token:
        if (user_id := _checked_token(request, token)) is None:
            return None
        with engine.connect() as connection:
            return active_user(connection, user_id)
    return _cookie_user(request, engine, settings, cookie) if cookie else None


class Doorkeeper:
    """Tells who is calling (:func:`known_user`) on threads and database connections of its own.

    Every request reads a session or user row. On the server's request threads and shared pool,
    a burst of readers (the morning's first clicks, 200 at once) opened and closed a connection each
    beyond the pool's fifteen and waited for them; here they queue for ``threads`` connections that
    stay open, and the argon2 check of an unknown token (a fifth of a second) never holds one of them.
    """

    def __init__(self, engine: Engine, threads: int, budget_ms: int) -> None:
        connect = {"connect_timeout": max(2, math.ceil(budget_ms / 1000)),
                   "options": f"-c statement_timeout={budget_ms}"}  # fmt: skip  # a stuck read fails, never hangs
        self.engine = create_engine(engine.url, pool_size=threads, max_overflow=0, pool_pre_ping=True,
                                    pool_timeout=budget_ms / 1000, connect_args=connect,
                                    isolation_level="AUTOCOMMIT")  # fmt: skip  # reads only: no BEGIN, no ROLLBACK
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="ols-identite")

    async def known(self, request: Request, settings: ApiSettings) -> Principal | None:
        """:func:`known_user` of the request, on the doorkeeper's threads, read once per request (the
        :mod:`api.replay` lane and the routes' :func:`current_user` share it: one read, one timing)."""
        if KNOWN in request.scope.setdefault("state", {}):
            known: Principal | None = request.scope["state"][KNOWN]
            return known
        identify = functools.partial(known_user, request, self.engine, settings)
        known = await asyncio.get_running_loop().run_in_executor(self.pool, identify)
        request.scope["state"][KNOWN] = known
        return known

    def close(self) -> None:
        """Stop the threads and close the connections."""
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.engine.dispose()


async def current_user(request: Request, engine: EngineDep, settings: SettingsDep) -> Principal:
    """The authenticated caller (401 without a valid token or session, 429 while its address is locked out)."""
    token = _bearer(request)
    doorkeeper: Doorkeeper = request.app.state.doorkeeper
    principal = await doorkeeper.known(request, settings)
    if principal is None and token:  # not checked in the last 5 minutes (or refused): argon2, throttled
        principal = await run_in_threadpool(_token_user, request, engine, token)
    if principal is None:
        raise HTTPException(status_code=401, detail="authentification requise (jeton ou session expirée)",
                            headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
    request.state.user_id = principal.id  # for the access log: the user's id, never its token
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


def audience_of(user: Principal, settings: ApiSettings) -> Audience:
    """The audience of a user under this observatory's disclosure threshold."""
    return Audience.for_user(user, threshold=settings.suppression_threshold)


async def current_audience(user: CurrentUser, settings: SettingsDep) -> Audience:
    """The audience of the caller: what every output of this request is cut for."""
    return audience_of(user, settings)


CurrentAudience = Annotated[Audience, Depends(current_audience)]


async def current_manager(audience: CurrentAudience) -> Audience:
    """The caller, if its audience manages the observatory (403 otherwise)."""
    audience.require(Layer.MANAGE)
    return audience


CurrentManager = Annotated[Audience, Depends(current_manager)]
