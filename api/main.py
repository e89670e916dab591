"""The OLS API application: settings, engine, middleware, routers and error handlers. No logic here."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import errors, health
from api.assets import Assets, bundle_response
from api.cache import ResponseCache
from api.deps import Doorkeeper, Throttle
from api.health import Prober
from api.limits import Gate, Templates
from api.replay import Replay
from api.routers import (
    admin,
    coverage,
    data,
    dealpoints,
    explain,
    intake,
    jobs,
    journal,
    layers,
    mappings,
    meta,
    ogc,
    pages,
    patrol_records,
    patrols,
    reports,
    semester,
    sheets,
    strategy,
    users,
    workspace,
    ws_access,
    ws_dashboard,
    ws_intake,
    ws_police,
    ws_sheets,
    zones,
)
from api.serving import Answers, StampBoard
from api.warmup import WarmUp
from api.work import Runner
from ols import __version__
from ols.errors import ConfigurationError
from ols.jobs import JobRunner, interrupt_left
from ols.settings import DEVELOPMENT_SECRET, ApiSettings, LoadSettings, api_settings, check_all, load_settings
from ols.store import db
from web.page import VENDOR, WEB, content_policy

PREFIX = "/api/v1"
ROUTED = (health, meta, layers, zones, dealpoints, data, admin, patrols, explain, jobs, intake, semester, mappings,
          users, journal, coverage, sheets, patrol_records, strategy, reports)  # fmt: skip
# The pages (no /api/v1 prefix): the map, then the workspace's pages, each lane's module adding its routes.
PAGES = (pages, workspace, ws_intake, ws_access, ws_sheets, ws_police, ws_dashboard)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
    "Content-Security-Policy": content_policy(),
}
log = logging.getLogger("ols.api")
# Request ids need to be unique, not secret: a generator seeded once, whose draws never release the GIL (os.urandom,
# behind uuid4, does: the event loop then waits for the analysis threads to hand it back, a quarter of a millisecond).
IDS = random.Random()


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
    routes) and its arrival time (``request.state.started``, where its time budget starts). An error
    no handler took becomes a JSON 500 carrying that id, and its traceback is logged with it, so that
    a user's screenshot of the error leads to the log line. A response that sets one of the headers
    itself (the map page's CSP, with its nonce) keeps its own. The access line ("requête") holds the
    method, the route's template (``/api/v1/zones/{code}``: never the concrete path nor the query
    string, which may hold what a user typed), the status, the duration, the user's id (never its
    token) and the request id.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.headers = [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        request_id = f"{IDS.getrandbits(64):016x}"
        state = scope.setdefault("state", {})
        state.update(request_id=request_id, started=started)
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
            log.exception("erreur non traitée", extra={"fields": {"request_id": request_id, "route": _template(scope)}})
            if status:
                raise  # the response had started: nothing clean can be sent any more
            body = {"detail": "erreur interne du serveur ; l'identifiant de la requête permet de la retrouver",
                    "request_id": request_id}  # fmt: skip
            await JSONResponse(body, status_code=500)(scope, receive, send_with_headers)
        log.info("requête", extra={"fields": {"method": scope["method"], "route": _template(scope), "status": status,
                                              "ms": round(1000 * (time.monotonic() - started), 2),
                                              "user": state.get("user_id"), "request_id": request_id}})  # fmt: skip


def _template(scope: Scope) -> str | None:
    """The template of the route that answered (None when no route matched)."""
    template: str | None = scope.get("state", {}).get("route") or getattr(scope.get("route"), "path", None)
    return template


def check_settings(settings: ApiSettings) -> None:
    """Refuse to run outside development with the default secret."""
    if settings.environment != "development" and settings.secret_key == DEVELOPMENT_SECRET:
        msg = "OLS_SECRET_KEY doit être défini hors développement (OLS_ENVIRONMENT)"
        raise ConfigurationError(msg)


@asynccontextmanager
async def serving(app: FastAPI, engine: Engine, load: LoadSettings, *, warm_up: bool) -> AsyncIterator[None]:
    """The app's bounded parts for its life: analysis runner, job pool (the jobs a previous run left marked failed),
    stamps, response cache, health prober, doorkeeper, warm-up.

    An app served twice at once (a test client and a uvicorn of the same app) shares one set of parts,
    closed when the last server stops.
    """
    app.state.servers = getattr(app.state, "servers", 0) + 1
    if app.state.servers == 1:
        app.state.runner = Runner(engine, load)
        with engine.begin() as connection:
            interrupt_left(connection)
        app.state.jobs = JobRunner(engine, load.job_workers)
        app.state.prober = Prober(engine, load.health_timeout_ms)
        app.state.doorkeeper = Doorkeeper(engine, load.identity_concurrency, load.request_budget_ms)
        stamps = StampBoard(engine)
        app.state.answers = Answers(app.state.runner, ResponseCache(load.cache_mb << 20), stamps)
        app.state.warm_up = WarmUp(app.state.answers, app.state.settings.suppression_threshold)
        if warm_up:
            stamps.on_change = app.state.warm_up.again
            app.state.warm_up.again()
        await prime_routes(app)
    try:
        yield
    finally:
        app.state.servers -= 1
        if not app.state.servers:
            await app.state.warm_up.stop()
            for part in (app.state.runner, app.state.prober, app.state.doorkeeper, app.state.answers.stamps,
                         app.state.jobs):  # fmt: skip
                part.close()


async def prime_routes(app: FastAPI) -> None:
    """Have FastAPI build every route's validation models now, before the first reader.

    It builds them lazily, at the first request that scans a route: about a hundred routes, a quarter
    of a second of the event loop on a quiet machine, in which the first readers after a start all
    waited. A request that matches no route scans them all.
    """

    async def nothing() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def ignore(message: Message) -> None:
        """The 404 of the priming request goes nowhere."""

    scope: Scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                    "scheme": "http", "path": "/.ols-prime", "raw_path": b"/.ols-prime", "root_path": "",
                    "query_string": b"", "headers": [], "state": {}}  # fmt: skip
    await app.router(scope, nothing, ignore)


def create_app(
    *,
    engine: Engine | None = None,
    settings: ApiSettings | None = None,
    load: LoadSettings | None = None,
    warm_up: bool = True,
) -> FastAPI:
    """Build the app; ``engine`` defaults to the configured database (or the embedded cluster).

    Every ``OLS_*`` setting is read first: a bad value stops the start with a message naming it.
    ``warm_up=False`` leaves the response cache cold (tests that count the analysis jobs).
    """
    check_all()
    settings = settings or api_settings()
    load = load or load_settings()
    check_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = engine or db.get_engine()
        async with serving(app, app.state.engine, load, warm_up=warm_up):
            yield

    app = FastAPI(title="OLS — Observatoire Local de la Sécurité", version=__version__, lifespan=lifespan,
                  docs_url=f"{PREFIX}/docs",
                  openapi_url=f"{PREFIX}/openapi.json", redoc_url=None)  # fmt: skip
    app.state.settings = settings
    app.state.load = load
    app.state.token_cache = {}
    app.state.throttle = Throttle(settings.session_attempts_per_minute)
    if engine is not None:
        app.state.engine = engine
    app.add_middleware(Replay)  # inside the gate, which refuses first what a busy route has no room for
    app.add_middleware(Gate)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST", "PUT",
                           "PATCH", "DELETE"], allow_headers=["Authorization", "Content-Type"])  # fmt: skip

    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=5)
    app.add_middleware(Guard, max_bytes=settings.max_upload_mb * (1 << 20))
    errors.install(app)
    app.state.templates = _route(app, settings)
    return app


def _route(app: FastAPI, settings: ApiSettings) -> Templates:
    """Mount the API's routers, OGC API Features, the pages and the web assets; their path templates."""
    templates = Templates()
    routers = [*((module.router, PREFIX) for module in ROUTED), (ogc.router, ""),
               *((module.router, "") for module in PAGES)]  # fmt: skip
    for router, prefix in routers:
        app.include_router(router, prefix=prefix)
        templates.add_router(router, prefix)
    app.add_api_route("/bundles/{name}.js", bundle_response, include_in_schema=False)
    templates.add("/bundles/{name}.js")
    for name, folder in (("static", WEB / "static"), ("vendor", settings.web_vendor or VENDOR)):
        if folder.exists():
            app.mount(f"/{name}", Assets(directory=folder), name=name)
            templates.add(f"/{name}/{{path:path}}")
    return templates


KEEP_ALIVE_S = 65


def server_options(settings: ApiSettings) -> dict[str, Any]:
    """uvicorn's options: ``X-Forwarded-For`` is believed only from the proxies of ``OLS_TRUSTED_PROXIES``.

    An idle connection is kept ``KEEP_ALIVE_S`` (uvicorn's default is 5 s): a reader pauses longer
    than that between two clicks, and a server closing the connection just as the client reuses it
    loses that request (seen as transport errors under load).
    """
    if not settings.trusted_proxies:
        return {"proxy_headers": False, "timeout_keep_alive": KEEP_ALIVE_S}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(settings.trusted_proxies),
            "timeout_keep_alive": KEEP_ALIVE_S}  # fmt: skip


def configure_logging() -> None:
    """Structured JSON logs on stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
