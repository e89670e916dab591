"""Bounded analysis work: a pool of its own, a time budget per request, and cancellation when nobody waits.

Every analysis route hands its database work to a :class:`Runner` instead of running it on the
server's request threads: ``OLS_ANALYSIS_CONCURRENCY`` threads, each with its own connection of a
pool of that size, run the jobs, whatever the number of clients. A route with
``OLS_MAX_REQUESTS`` jobs in flight is refused at once (:class:`Busy`, a 503 with
``Retry-After``) instead of queueing. Each job's transaction gets the rest of the request's time
budget (``OLS_REQUEST_BUDGET_MS``) as its ``statement_timeout``, and the request is answered 503
when the budget runs out. A job whose clients have all disconnected, or whose budget is spent, is
cancelled: a job still waiting never starts, and a running query is cancelled on the server
(psycopg's ``cancel_safe``), so an abandoned request stops costing the database anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import psycopg
from sqlalchemy import Connection, Engine, create_engine, text
from starlette.requests import Request

from ols.settings import LoadSettings

T = TypeVar("T")
POLL_SECONDS = 0.2
CANCEL_TIMEOUT_SECONDS = 2.0
SET_TIMEOUT = text("SELECT set_config('statement_timeout', :ms, true)")


class Busy(Exception):
    """The work cannot be done now: answered 503 with ``Retry-After``."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


class ClientGone(Exception):
    """The client closed its connection while its answer was being computed."""


class Job:
    """One unit of analysis work, waiting for or running on the pool, and the requests that await it."""

    def __init__(self, template: str, deadline: float, budget_ms: int) -> None:
        self.template = template
        self.deadline = deadline
        self.budget_ms = budget_ms
        self.waiters = 0
        self.future: asyncio.Future[Any] | None = None
        self._cancelled = False
        self._raw: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()

    def on(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Whether requests served by ``loop`` may await it (a test may serve one app from two loops)."""
        return self.future is not None and self.future.get_loop() is loop

    @property
    def cancelled(self) -> bool:
        """Whether the job was given up."""
        return self._cancelled

    def attach(self, raw: psycopg.Connection[Any] | None) -> None:
        """Note the connection the job's queries run on (None when they are done); refuse if already given up."""
        with self._lock:
            self._raw = raw
            if raw is not None and self._cancelled:
                raise ClientGone

    def cancel(self) -> None:
        """Give the job up: it will not start, and a query it is running is cancelled on the server."""
        with self._lock:
            self._cancelled = True
            raw = self._raw
        if raw is not None:
            with contextlib.suppress(psycopg.Error):
                raw.cancel_safe(timeout=CANCEL_TIMEOUT_SECONDS)


def _budget_detail(budget_ms: int) -> str:
    """The French answer to a job that outlasted its budget, which it names (a layer's or an export's)."""
    seconds = f"{budget_ms / 1000:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    return (f"l'analyse n'a pas abouti dans le temps alloué ({seconds} s) : réessayez dans un moment "
            "ou restreignez la demande (période, famille, maille)")  # fmt: skip


class Runner:
    """The analysis pool: its threads, its connections, the jobs in flight per route."""

    def __init__(self, engine: Engine, settings: LoadSettings) -> None:
        self.settings = settings
        workers = settings.analysis_concurrency
        self.engine = create_engine(engine.url, pool_size=workers, max_overflow=0, pool_pre_ping=True,
                                    pool_timeout=settings.request_budget_ms / 1000)  # fmt: skip
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="ols-analyse")
        self.in_flight: Counter[str] = Counter()
        self.busy_detail = f"trop d'analyses en cours sur cette route : réessayez dans {settings.retry_after_s} s"

    @property
    def limited(self) -> bool:
        """Whether the limits are on (``OLS_LOAD_LIMITS``)."""
        return self.settings.load_limits

    def busy(self, template: str) -> bool:
        """Whether the route has as many jobs in flight as it may."""
        return self.limited and self.in_flight[template] >= self.settings.max_requests

    def refuse(self) -> Busy:
        """The answer to a request over the route's limit."""
        return Busy(self.busy_detail, self.settings.retry_after_s)

    def submit(
        self, template: str, work: Callable[[Connection], T], *, started: float, budget_ms: int | None = None
    ) -> Job:
        """Queue ``work`` (run in a transaction of its own), or refuse it when the route is at its limit; its budget is
        ``budget_ms``, else the requests' (``request_budget_ms``)."""
        if self.busy(template):
            raise self.refuse()
        budget = budget_ms or self.settings.request_budget_ms
        deadline = started + budget / 1000 if self.limited else math.inf
        job = Job(template, deadline, budget)
        self.in_flight[template] += 1
        job.future = asyncio.get_running_loop().run_in_executor(self.pool, self._execute, job, work)
        job.future.add_done_callback(lambda future: self._release(template, future))
        return job

    def _release(self, template: str, future: asyncio.Future[Any]) -> None:
        """One job less in flight; its error is taken here, so that a job nobody awaits any more logs nothing."""
        self.in_flight[template] -= 1
        if not self.in_flight[template]:
            del self.in_flight[template]
        if not future.cancelled():
            future.exception()

    def _execute(self, job: Job, work: Callable[[Connection], T]) -> T:
        """Run on a pool thread: the work in one transaction, its statements bounded by the rest of the budget."""
        if job.cancelled:
            raise ClientGone
        remaining = job.deadline - time.monotonic()
        if remaining <= 0:
            raise Busy(_budget_detail(job.budget_ms), self.settings.retry_after_s)
        with self.engine.connect() as connection, connection.begin():
            if self.limited:
                connection.execute(SET_TIMEOUT, {"ms": str(max(1, int(remaining * 1000)))})
            raw = connection.connection.driver_connection
            job.attach(raw if isinstance(raw, psycopg.Connection) else None)
            try:
                return work(connection)
            finally:
                job.attach(None)

    async def wait(self, request: Request, job: Job) -> Any:
        """The job's result for this request; cancelled once every request awaiting it has gone or its budget is out."""
        assert job.future is not None
        job.waiters += 1
        try:
            while True:
                timeout = min(POLL_SECONDS, job.deadline - time.monotonic())
                if timeout <= 0:
                    await self._cancel(job)
                    raise Busy(_budget_detail(job.budget_ms), self.settings.retry_after_s)
                done, _ = await asyncio.wait({job.future}, timeout=timeout)
                if done:
                    return job.future.result()
                if await request.is_disconnected():
                    raise ClientGone
        finally:
            job.waiters -= 1
            if job.waiters == 0 and not job.future.done() and not job.cancelled:
                await self._cancel(job)

    async def run(self, request: Request, template: str, work: Callable[[Connection], T], *,
                  budget_ms: int | None = None) -> T:  # fmt: skip
        """Submit ``work`` for this request alone (within ``budget_ms`` when given) and wait for it."""
        job = self.submit(template, work, started=request_started(request), budget_ms=budget_ms)
        result: T = await self.wait(request, job)
        return result

    @staticmethod
    async def _cancel(job: Job) -> None:
        await asyncio.get_running_loop().run_in_executor(None, job.cancel)

    def close(self) -> None:
        """Stop the threads (running jobs finish) and close the connections."""
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.engine.dispose()


def request_started(request: Request) -> float:
    """When the request arrived (``time.monotonic``), as the guard middleware noted it."""
    started: float = request.scope.get("state", {}).get("started", time.monotonic())
    return started
