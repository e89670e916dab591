"""``/api/v1/health``: answered within ``OLS_HEALTH_TIMEOUT_MS`` whatever the load, 503 when the database is not.

The check runs on a thread and a database connection of its own (:class:`Prober`), never on the
server's request threads, the analysis pool or the main connection pool: a health probe does not
wait behind two hundred clients' analyses (issue 19 measured 42 s), and a probe that cannot reach
the database in time says so in French instead of hanging. Concurrent probes share the check in
flight, and a check less than a quarter of a second old is answered at once while the next one runs.
"""

from __future__ import annotations

import asyncio
import math
import time
from concurrent.futures import ThreadPoolExecutor

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, create_engine, select

from api.schemas import ERRORS, Health, Problem
from ols import __version__

router = APIRouter(responses=ERRORS)
FRESH_SECONDS = 0.25
DOWN = "la base de données ne répond pas : le service est indisponible, réessayez dans quelques instants"


class Prober:
    """One thread and one connection that check the database; the last check's result while it is fresh."""

    def __init__(self, engine: Engine, timeout_ms: int) -> None:
        self.timeout = timeout_ms / 1000
        connect = {"connect_timeout": max(2, math.ceil(self.timeout)),
                   "options": f"-c statement_timeout={timeout_ms}"}  # fmt: skip
        self.engine = create_engine(engine.url, pool_size=1, max_overflow=0, pool_pre_ping=True,
                                    pool_timeout=self.timeout, connect_args=connect)  # fmt: skip
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="ols-sante")
        self.pending: asyncio.Future[None] | None = None
        self.checked: tuple[float, bool] | None = None  # when the last check ended, and whether it succeeded

    def _check(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(select(1))

    def _start(self) -> asyncio.Future[None]:
        """The check in flight, or a new one."""
        loop = asyncio.get_running_loop()
        if self.pending is None or self.pending.done() or self.pending.get_loop() is not loop:
            self.pending = loop.run_in_executor(self.thread, self._check)
            self.pending.add_done_callback(self._landed)
        return self.pending

    def _landed(self, future: asyncio.Future[None]) -> None:
        self.checked = (time.monotonic(), not future.cancelled() and future.exception() is None)

    async def healthy(self) -> bool:
        """Whether the database answered a ``SELECT 1`` in the last :data:`FRESH_SECONDS`, or within the timeout.

        A fresh success is answered at once (no thread, nothing to wait for under load) while the next
        check runs in the background: it is never older than a quarter of a second. A failure is
        always checked again, so that the database's return shows at once.
        """
        if self.checked is not None and self.checked[1] and time.monotonic() - self.checked[0] < FRESH_SECONDS:
            self._start()
            return True
        try:
            await asyncio.wait_for(asyncio.shield(self._start()), timeout=self.timeout)
        except Exception:  # any failure, a timeout or an error, means "not healthy"
            return False
        return True

    def close(self) -> None:
        """Stop the thread and close the connection."""
        self.thread.shutdown(wait=False, cancel_futures=True)
        self.engine.dispose()


@router.get("/health", response_model=Health, responses={503: {"model": Problem, "description": "Database down"}})
async def health(request: Request) -> Health | JSONResponse:
    """Service and database health (503 when the database does not answer in time)."""
    prober: Prober = request.app.state.prober
    if not await prober.healthy():
        retry = str(request.app.state.load.retry_after_s)
        return JSONResponse({"detail": DOWN}, status_code=503, headers={"Retry-After": retry})
    warm_up = getattr(request.app.state, "warm_up", None)
    return Health(status="ok", database="ok", version=__version__, warming=bool(warm_up and warm_up.warming))
