"""Replay: a map answer already served is answered again from the cache without routing its request.

The map page asks the same few URLs over and over (each reader's periods, families, grids and
tiles); once the route has described the answer a URL stands for (:meth:`api.serving.Answers.serve`),
the same URL for the same audience is the same answer. This pure ASGI middleware, inside the
:class:`api.limits.Gate`, tells who the caller is exactly as the routes do (:class:`api.deps.Doorkeeper`:
the session or user row read on every request, so that a closed session or a disabled user is refused
at once), cuts for that caller's audience (:func:`api.deps.audience_of`), and answers from the cache
when the entry is still current. Everything else, and every failure, goes on to the routes.

Why: routing and validating a request (FastAPI's dependencies, pydantic) cost about 1 ms of the 3 ms
of CPU a cached answer took; under 200 readers on two cores every request queued behind the others
(issue 19: cached p99 ≤ 50 ms, ``/health`` p99 ≤ 20 ms).
"""

from __future__ import annotations

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.cache import respond
from api.deps import anonymous, audience_of
from api.errors import DATABASE_FAILURES, unavailable
from api.serving import Answers


class Replay:
    """Answer a GET from the cache when this audience was served its URL before and the data is unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answers: Answers | None = getattr(scope["app"].state, "answers", None) if scope["type"] == "http" else None
        if answers is None or scope["method"] != "GET" or not answers.replayable(scope["path"], scope["query_string"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if anonymous(request):
            await self.app(scope, receive, send)
            return
        state = request.app.state
        try:
            user = await state.doorkeeper.known(request, state.settings)
            audience = None if user is None else audience_of(user, state.settings)
            entry = None if audience is None else await answers.replay(audience, scope["path"], scope["query_string"])
        except DATABASE_FAILURES as error:  # outside the routes' error handlers: answered as they would be
            await (await unavailable(request, error))(scope, receive, send)
            return
        if user is not None and entry is not None:
            scope["state"]["user_id"] = user.id  # for the access log, as the routes note it
            await respond(request, entry, hit=True)(scope, receive, send)
            return
        await self.app(scope, receive, send)
