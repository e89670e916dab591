"""Serving analysis answers: from the cache while their data is unchanged, else computed once on the runner.

A route describes its answer (:class:`Answer`: a name, normalised parameters, the layer it needs,
the tables and refreshed periods it is read from, and how to build it on a connection) and calls
:meth:`Answers.serve`. The data stamps (:mod:`ols.store.changes`) are read at most once a second
(:data:`STAMP_SECONDS`) on a connection and thread of their own, and at once after a write of
this API; a hit then costs no query at all. Concurrent misses of one key share one job
(single flight): two hundred clients asking the same cold heatmap make one query, not two hundred.
"""

from __future__ import annotations

import asyncio
import functools
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response
from sqlalchemy import Connection, Engine, create_engine

from api.cache import JSON, Entry, Key, ResponseCache, encode, respond
from api.work import Job, Runner, request_started
from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.store.changes import DataStamps, read_stamps

STAMP_SECONDS = 1.0
MAX_REPLAYS = 20_000  # URLs remembered for replay, the least recently served forgotten first
MAX_REPLAYED_URL = 512  # longer path + query strings are never remembered (the map's are under 150)


@dataclass(frozen=True)
class Answer:
    """A cacheable answer: what identifies it, what it may show, what it is read from, how it is built."""

    name: str
    params: tuple[object, ...]
    build: Callable[[Connection], object] = field(compare=False)
    layer: Layer | None = None
    kinds: tuple[str, ...] = ()
    periods: tuple[str, ...] = ()
    media: str = JSON

    def key(self, audience: Audience) -> Key:
        """The cache key: the answer and the audience's identity of what it may see (never the user's)."""
        return (self.name, self.params, audience.cache_key)


class StampBoard:
    """The data stamps, read at most once a second (and after each write of this API) on their own connection."""

    def __init__(self, engine: Engine) -> None:
        self.engine = create_engine(engine.url, pool_size=1, max_overflow=0, pool_pre_ping=True, pool_timeout=5)
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="ols-tampons")
        self.stamps: DataStamps | None = None
        self.read_at = -math.inf
        self.generation = 0
        self.pending: tuple[int, asyncio.Future[DataStamps]] | None = None
        self.on_change: Callable[[], None] | None = None

    def expire(self) -> None:
        """Forget the stamps: the next answer reads them again (the data was just changed)."""
        self.generation += 1
        self.read_at = -math.inf

    async def current(self) -> DataStamps:
        """The stamps, read again when older than a second."""
        if self.stamps is not None and time.monotonic() - self.read_at < STAMP_SECONDS:
            return self.stamps
        loop = asyncio.get_running_loop()
        if self.pending is None or self.pending[0] != self.generation or self.pending[1].get_loop() is not loop:
            future = loop.run_in_executor(self.thread, self._read)
            self.pending = (self.generation, future)
            future.add_done_callback(functools.partial(self._landed, self.generation))
        return await asyncio.shield(self.pending[1])

    def _read(self) -> DataStamps:
        with self.engine.connect() as connection:
            return read_stamps(connection)

    def _landed(self, generation: int, future: asyncio.Future[DataStamps]) -> None:
        if self.pending is not None and self.pending[1] is future:
            self.pending = None
        if future.cancelled() or future.exception() is not None:
            return
        stamps = future.result()
        changed = self.stamps is not None and stamps != self.stamps
        self.stamps = stamps
        if generation == self.generation:
            self.read_at = time.monotonic()
        if changed and self.on_change is not None:
            self.on_change()

    def close(self) -> None:
        """Stop the thread and close the connection."""
        self.thread.shutdown(wait=False, cancel_futures=True)
        self.engine.dispose()


class Answers:
    """The cache, the stamps and the runner, composed: what an analysis route calls."""

    def __init__(self, runner: Runner, cache: ResponseCache, stamps: StampBoard) -> None:
        self.runner = runner
        self.cache = cache
        self.stamps = stamps
        self.flights: dict[tuple[Key, str], Job] = {}
        self.served: OrderedDict[tuple[str, bytes], dict[tuple[object, ...], Answer]] = OrderedDict()

    async def entry(
        self, audience: Audience, answer: Answer, *, endpoint: str, started: float
    ) -> tuple[Entry | None, Job | None]:
        """The cached entry, or the job (shared with concurrent requests of the same key) that builds it."""
        if answer.layer is not None:
            audience.require(answer.layer)
        stamp = (await self.stamps.current()).of(kinds=answer.kinds, periods=answer.periods)
        key = answer.key(audience)
        entry = self.cache.get(key, stamp)
        if entry is not None:
            return entry, None
        job = self.flights.get((key, stamp))
        if job is None or job.cancelled or not job.on(asyncio.get_running_loop()):
            build, media = answer.build, answer.media
            job = self.runner.submit(endpoint, lambda connection: encode(key, stamp, build(connection), media),
                                     started=started)  # fmt: skip
            self.flights[(key, stamp)] = job
            assert job.future is not None
            job.future.add_done_callback(functools.partial(self._landed, key, stamp, job))
        return None, job

    def _landed(self, key: Key, stamp: str, job: Job, future: asyncio.Future[Any]) -> None:
        if self.flights.get((key, stamp)) is job:
            del self.flights[(key, stamp)]
        if not future.cancelled() and future.exception() is None:
            self.cache.put(key, future.result())

    async def serve(self, request: Request, audience: Audience, answer: Answer) -> Response:
        """The answer for this request: 304, cached bytes, or computed (once) on the runner.

        The answer a GET's URL stands for, for this audience, is remembered: :meth:`replay` answers the
        same URL again for the same audience from the cache, without routing it.
        """
        entry, hit = await self.fetch(request, audience, answer)
        url = (request.scope["path"], request.scope["query_string"])
        if request.method == "GET" and len(url[0]) + len(url[1]) <= MAX_REPLAYED_URL:
            self.served.setdefault(url, {})[audience.cache_key] = answer
            self.served.move_to_end(url)
            if len(self.served) > MAX_REPLAYS:
                self.served.popitem(last=False)  # the least recently served
        return respond(request, entry, hit=hit)

    def replayable(self, path: str, query: bytes) -> bool:
        """Whether some audience was already served this URL (then :meth:`replay` may answer it)."""
        return (path, query) in self.served

    async def replay(self, audience: Audience, path: str, query: bytes) -> Entry | None:
        """The cached entry of the answer ``path?query`` stood for when this audience asked it, if it is still
        current; None when it was never served to this audience, is no longer cached, or its data changed.

        The contract of every route that calls :meth:`serve`: it describes its answer from the URL and the
        audience's cache key alone (no header, no clock, no database read before :meth:`serve`; an audit or
        any other per-request work goes through :meth:`fetch`, which is never replayed). The same URL for
        the same audience is then the same answer, its key and its stamp unchanged.
        """
        answer = self.served.get((path, query), {}).get(audience.cache_key)
        if answer is not None:
            self.served.move_to_end((path, query))
        if answer is None or (answer.layer is not None and not audience.may(answer.layer)):
            return None
        stamp = (await self.stamps.current()).of(kinds=answer.kinds, periods=answer.periods)
        return self.cache.get(answer.key(audience), stamp)

    async def fetch(self, request: Request, audience: Audience, answer: Answer) -> tuple[Entry, bool]:
        """The answer's entry for this request, and whether it came from the cache."""
        entry, job = await self.entry(audience, answer, endpoint=endpoint_of(request), started=request_started(request))
        if entry is not None:
            return entry, True
        assert job is not None
        computed: Entry = await self.runner.wait(request, job)
        return computed, False


def endpoint_of(request: Request) -> str:
    """The method and route template of a request (``GET /api/v1/zones/{code}``): what limits count."""
    template = request.scope.get("state", {}).get("route") or getattr(request.scope.get("route"), "path", "?")
    return f"{request.method} {template}"


def answers_of(request: Request) -> Answers:
    """The app's answers."""
    answers: Answers = request.app.state.answers
    return answers


def runner_of(request: Request) -> Runner:
    """The app's analysis runner."""
    runner: Runner = request.app.state.runner
    return runner
