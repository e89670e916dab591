"""The OLS API application: settings, engine, middleware, routers and error handlers. No logic here."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import errors
from api.cache import LayerCache
from api.deps import Throttle
from api.routers import admin, data, dealpoints, explain, layers, meta, ogc, pages, patrols, zones
from ols import __version__
from ols.errors import ConfigurationError
from ols.settings import DEVELOPMENT_SECRET, ApiSettings, api_settings, check_all
from ols.store import db
from web.page import VENDOR, WEB, content_policy

PREFIX = "/api/v1"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
    "Content-Security-Policy": content_policy(),
}
log = logging.getLogger("ols.api")


class JsonFormatter(logging.Formatter):
    """One JSON object per log line."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
                   "message": record.getMessage(), **getattr(record, "fields", {})}  # fmt: skip
        if record.exc_info:
            payload["traceback"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


class Guard:
    """Pure ASGI middleware: refuse oversize requests, add security headers, log one JSON line per request.

    Every request gets an id (``X-Request-ID`` on the response, ``request.state.request_id`` for the
    routes). An error no handler took becomes a JSON 500 carrying that id, and its traceback is logged
    with it, so that a user's screenshot of the error leads to the log line. A response that sets one
    of the headers itself (the map page's CSP, with its nonce) keeps its own.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.headers = [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        headers = [*self.headers, (b"x-request-id", request_id.encode())]
        length = dict(scope["headers"]).get(b"content-length", b"0")
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                own = [(name, value) for name, value in message.get("headers", [])]
                present = {name.lower() for name, _ in own}
                message["headers"] = [*own, *((n, v) for n, v in headers if n not in present)]
            await send(message)

        try:
            if length.isdigit() and int(length) > self.max_bytes:
                detail = f"requête trop volumineuse : plus de {self.max_bytes >> 20} Mo (OLS_MAX_UPLOAD_MB)"
                await JSONResponse({"detail": detail}, status_code=413)(scope, receive, send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("erreur non traitée", extra={"fields": {"request_id": request_id, "path": scope["path"]}})
            if status:
                raise  # the response had started: nothing clean can be sent any more
            body = {"detail": "erreur interne du serveur ; l'identifiant de la requête permet de la retrouver",
                    "request_id": request_id}  # fmt: skip
            await JSONResponse(body, status_code=500)(scope, receive, send_with_headers)
        log.info("requête", extra={"fields": {"method": scope["method"], "path": scope["path"], "status": status,
                                              "ms": round(1000 * (time.perf_counter() - started), 2),
                                              "request_id": request_id}})  # fmt: skip


def check_settings(settings: ApiSettings) -> None:
    """Refuse to run outside development with the default secret."""
    if settings.environment != "development" and settings.secret_key == DEVELOPMENT_SECRET:
        msg = "OLS_SECRET_KEY doit être défini hors développement (OLS_ENVIRONMENT)"
        raise ConfigurationError(msg)


def create_app(*, engine: Engine | None = None, settings: ApiSettings | None = None) -> FastAPI:
    """Build the app; ``engine`` defaults to the configured database (or the embedded cluster).

    Every ``OLS_*`` setting is read first: a bad value stops the start with a message naming it.
    """
    check_all()
    settings = settings or api_settings()
    check_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = engine or db.get_engine()
        yield

    app = FastAPI(title="OLS — Observatoire Local de la Sécurité", version=__version__, lifespan=lifespan,
                  docs_url=f"{PREFIX}/docs",
                  openapi_url=f"{PREFIX}/openapi.json", redoc_url=None)  # fmt: skip
    app.state.settings = settings
    app.state.layer_cache = LayerCache()
    app.state.token_cache = {}
    app.state.throttle = Throttle(settings.session_attempts_per_minute)
    app.state.refresh_stamps = {}
    if engine is not None:
        app.state.engine = engine
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST", "PUT",
                           "PATCH", "DELETE"], allow_headers=["Authorization", "Content-Type"])  # fmt: skip

    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=5)
    app.add_middleware(Guard, max_bytes=settings.max_upload_mb * (1 << 20))
    errors.install(app)
    for module in (meta, layers, zones, dealpoints, data, admin, patrols, explain):
        app.include_router(module.router, prefix=PREFIX)
    app.include_router(ogc.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")
    vendor = settings.web_vendor or VENDOR
    if vendor.exists():
        app.mount("/vendor", StaticFiles(directory=vendor), name="vendor")
    return app


def server_options(settings: ApiSettings) -> dict[str, Any]:
    """uvicorn's options: ``X-Forwarded-For`` is believed only from the proxies of ``OLS_TRUSTED_PROXIES``."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(settings.trusted_proxies)}


def configure_logging() -> None:
    """Structured JSON logs on stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
