"""Warming the response cache: the map's first screen, computed before its readers ask, bounded.

At start and after each change of the data stamps (an ingest, a refresh, a zone edit), the answers
the map asks for when it opens (heatmap cells, significant hot spots, zones and their comparison,
time profile, territories, places, points de deal) are computed for the latest refreshed period
and each distinct audience of the enabled users: at most :data:`MAX_AUDIENCES` audiences, one job
at a time on the analysis runner (never more than one of its threads), after a pause that lets a
burst of changes settle. A cold cache would otherwise meet the morning's first two hundred
clients with misses; the warm-up costs a few seconds of one thread, and a point de deal read
this way is not audited, since nobody read it.

After each warm-up, what the process holds (its modules, imported lazily by the first analyses,
and its long-lived objects, some 400 000) is moved out of the garbage collector's sight
(``gc.collect()`` then ``gc.freeze()``): otherwise every full collection walks them all again,
stopping every request for 150 to 250 ms every few seconds under load (measured by
``benchmarks/load.py``). One collection per warm-up, that is per change of the data, costs less.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time

from sqlalchemy import Connection, Engine, select

from api.routers.data import profile_answer
from api.routers.dealpoints import listing_answer
from api.routers.layers import comparison_answer, heatmap_answer, hotspots_answer, zones_answer
from api.routers.meta import places_answer, territories_answer
from api.serving import Answer, Answers
from ols.access.audience import Audience
from ols.access.users import active_users
from ols.cartography.heatmap import HeatmapQuery
from ols.periods import Period, parse_period
from ols.store.models import Refresh

log = logging.getLogger("ols.api")
MAX_AUDIENCES = 32
SETTLE_SECONDS = 0.5
ENDPOINT = "préchauffage"


def first_screen(audience: Audience, period: Period) -> list[Answer]:
    """The answers the map asks for when this audience opens it on ``period`` (those its layers allow)."""
    answers = [
        heatmap_answer(audience, HeatmapQuery(period, audience.resolution()), "cells"),
        hotspots_answer(audience, period, None, None, significant_only=True),
        zones_answer(period, audience),
        comparison_answer(period, audience),
        profile_answer(period, audience, None, None),
        listing_answer(audience),
    ]
    allowed = [answer for answer in answers if answer.layer is None or audience.may(answer.layer)]
    return [*allowed, territories_answer(audience), places_answer(audience, None)]


def _targets(connection: Connection, threshold: int) -> tuple[Period | None, list[Audience]]:
    """The period the map opens on (the latest refreshed) and the distinct audiences of the enabled users."""
    periods = [parse_period(name) for name in connection.execute(select(Refresh.period)).scalars()]
    latest = max(periods, key=lambda period: (period.end, period.start), default=None)
    audiences: dict[tuple[object, ...], Audience] = {}
    for user in active_users(connection, limit=MAX_AUDIENCES * 8):
        audience = Audience.for_user(user, threshold=threshold)
        audiences.setdefault(audience.cache_key, audience)
    return latest, list(audiences.values())[:MAX_AUDIENCES]


class WarmUp:
    """One warm-up at a time; a change while it runs asks for another one after it."""

    def __init__(self, answers: Answers, threshold: int) -> None:
        self.answers = answers
        self.threshold = threshold
        self.task: asyncio.Task[None] | None = None
        self.dirty = False

    def again(self) -> None:
        """Warm the cache again (now, or after the warm-up running)."""
        if self.task is not None and not self.task.done():
            self.dirty = True
            return
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        self.dirty = True
        while self.dirty:
            self.dirty = False
            await asyncio.sleep(SETTLE_SECONDS)
            try:
                await self._warm()
            except Exception as error:
                log.warning("préchauffage du cache interrompu : %s", type(error).__name__)

    async def _warm(self) -> None:
        started = time.monotonic()
        runner = self.answers.runner
        period, audiences = await asyncio.get_running_loop().run_in_executor(
            runner.pool, _read_targets, runner.engine, self.threshold
        )
        if period is None:
            return
        built = 0
        for audience in audiences:
            for answer in first_screen(audience, period):
                built += await self._build(audience, answer)
        gc.collect()
        gc.freeze()
        seconds = f"{time.monotonic() - started:.1f}".replace(".", ",")
        log.info("préchauffage du cache : %d réponses calculées pour %d audiences en %s s", built, len(audiences),
                 seconds)  # fmt: skip

    async def _build(self, audience: Audience, answer: Answer) -> int:
        """Compute one answer unless cached; 1 if it was computed here (a failure fails for its reader too)."""
        try:
            _, job = await self.answers.entry(audience, answer, endpoint=ENDPOINT, started=time.monotonic())
            if job is None or job.future is None:
                return 0
            await job.future
        except Exception:
            return 0
        return 1

    async def stop(self) -> None:
        """Stop warming (at shutdown)."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


def _read_targets(engine: Engine, threshold: int) -> tuple[Period | None, list[Audience]]:
    with engine.connect() as connection:
        return _targets(connection, threshold)
