"""The gate in front of the routes: a route already at its limit of analyses is refused before any work.

Pure ASGI middleware, placed before authentication: it finds the request's route template
(``/api/v1/zones/{code}``, noted in ``request.state.route`` for the runner and the access log) from
a table of the app's templates (:class:`Templates`), and, when the runner already has
``OLS_MAX_REQUESTS`` jobs in flight for it, answers 503 with ``Retry-After`` and a French reason at
once: no token check, no query, no thread. Queueing instead would only make every client wait
longer (the finding of issue 19: 200 clients on an uncached route got no answer for 15 s, and
``/health`` took 42 s). A request that goes through may still be refused by the runner itself
when it needs a new job (:meth:`api.work.Runner.submit`); an answer from the cache never is.
After a successful write (any method but GET, HEAD, OPTIONS) the data stamps are read again, so
that this API's own changes show in its very next answer.
"""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.responses import JSONResponse
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.serving import Answers
from api.work import Runner

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class Templates:
    """The app's route templates, found from a request's method and path without routing it."""

    def __init__(self) -> None:
        self.table: list[tuple[re.Pattern[str], frozenset[str], str]] = []

    def add_router(self, router: APIRouter, prefix: str = "") -> None:
        """Note every route of a router included under ``prefix``."""
        for route in router.routes:
            if isinstance(route, APIRoute):
                self.add(prefix + route.path, route.methods)

    def add(self, template: str, methods: set[str] | None = None) -> None:
        """Note one template (``/static/{path:path}`` for a mount), for these methods (None: any)."""
        self.table.append((compile_path(template)[0], frozenset(methods or ()), template))

    def match(self, method: str, path: str) -> str | None:
        """The template of the route that answers ``method path`` (None when none does)."""
        for pattern, methods, template in self.table:
            if (not methods or method in methods) and pattern.match(path):
                return template
        return None


class Gate:
    """Refuse at once what the runner has no room for; read the stamps again after a write; tell the warm-up that
    a reader is here (its wide part gives way)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        if (warm_up := getattr(state, "warm_up", None)) is not None and not scope["path"].endswith("/health"):
            warm_up.heard()  # a reader (a prober's /health is not one)
        template = state.templates.match(scope["method"], scope["path"])
        runner: Runner | None = getattr(state, "runner", None)
        if template is not None:
            scope.setdefault("state", {})["route"] = template
            if runner is not None and runner.busy(f"{scope['method']} {template}"):
                refused = runner.refuse()
                await JSONResponse({"detail": refused.detail}, status_code=503,
                                   headers={"Retry-After": str(refused.retry_after)})(scope, receive, send)  # fmt: skip
                return
        if scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        answers: Answers | None = getattr(state, "answers", None)

        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400 and answers is not None:
                answers.stamps.expire()  # before the client can read the answer and ask again
            await send(message)

        await self.app(scope, receive, noting)
