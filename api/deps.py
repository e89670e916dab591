"""Dependencies of the routes: the engine, the caller, the permission checks."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from ols.settings import ApiSettings
from ols.users import Principal, authenticate

SESSION_COOKIE = "ols_session"
TOKEN_CACHE_SECONDS = 300


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


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(SESSION_COOKIE)


def cached_principal(request: Request, token: str) -> tuple[bool, Principal | None]:
    """(known, principal) from the token cache, without touching the database."""
    cache: dict[str, tuple[float, Principal | None]] = request.app.state.token_cache
    hit = cache.get(hashlib.sha256(token.encode()).hexdigest())
    if hit and hit[0] > time.monotonic():
        return True, hit[1]
    return False, None


def principal_of(request: Request, engine: Engine, token: str) -> Principal | None:
    """The principal of a token; argon2 checks are cached briefly (they are slow by design)."""
    known, principal = cached_principal(request, token)
    if known:
        return principal
    cache: dict[str, tuple[float, Principal | None]] = request.app.state.token_cache
    key = hashlib.sha256(token.encode()).hexdigest()
    with engine.connect() as connection:
        principal = authenticate(connection, token)
    cache[key] = (time.monotonic() + TOKEN_CACHE_SECONDS, principal)
    return principal


async def current_user(request: Request, engine: EngineDep) -> Principal:
    """The authenticated caller (401 without a valid token); a cached token costs no thread nor query."""
    token = _token(request)
    principal = None
    if token:
        known, principal = cached_principal(request, token)
        if not known:
            principal = await run_in_threadpool(principal_of, request, engine, token)
    if principal is None:
        raise HTTPException(status_code=401, detail="authentication required", headers={"WWW-Authenticate": "Bearer"})
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


def require(allowed: Callable[[str], bool], what: str) -> Callable[[Principal], Principal]:
    """A dependency that lets through only the roles ``allowed`` accepts (403 otherwise)."""

    def check(user: CurrentUser) -> Principal:
        if not allowed(user.role):
            raise HTTPException(status_code=403, detail=f"role {user.role} may not {what}")
        return user

    return check
