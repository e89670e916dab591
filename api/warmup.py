"""Warming the response cache: the map's first screen, computed before its readers ask, bounded.

At start and after each change of the data stamps (an ingest, a refresh, a zone edit), the answers the map asks for
when it opens (heatmap cells, significant hot spots, zones and their comparison, veille croisée, near-repeat risk,
time profile, territories, places, points de deal) are computed for the latest refreshed period and each distinct
audience of the enabled users: at most :data:`MAX_AUDIENCES` audiences, one job at a time on the analysis runner
(never more than one of its threads), after a pause that lets a burst of changes settle. A cold cache would
otherwise meet the morning's first two hundred clients with misses; the warm-up costs a few seconds of one thread,
and a point de deal read this way is not audited, since nobody read it.

Then, as bounded, the whole map of the last :data:`WIDE_PERIODS` refreshed periods (every family,
resolution and hot-spot grid a reader may click, the time profiles, the vector tiles of zooms
:data:`TILE_ZOOMS` over the territories), at most :data:`MAX_WIDE` answers: these depend on the
refresh only (profiles excepted), so they are computed once per refresh, minutes before the
cellule de veille opens the map, instead of during its first seconds. This wide part gives way to readers: it
computes its next answer only once no request has come for :data:`QUIET_SECONDS` (:meth:`WarmUp.heard`, called
by the gate for every request), since its work shares the process with theirs and a map opened during it
waited half a second for its page and its scripts.

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
import itertools
import logging
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, func, select

from api.routers.data import near_repeat_answer, profile_answer
from api.routers.dealpoints import listing_answer
from api.routers.layers import (
    LayerParams,
    TileParams,
    comparison_answer,
    crosswatch_answer,
    heatmap_answer,
    hotspots_answer,
    tile_answer,
    zones_answer,
)
from api.routers.meta import places_answer, territories_answer
from api.serving import Answer, Answers
from ols.access.audience import Audience
from ols.access.users import active_users
from ols.cartography.heatmap import HeatmapQuery
from ols.nomenclature import FAMILIES
from ols.periods import Period
from ols.store.changes import refreshed_periods
from ols.store.models import Refresh, Territory

log = logging.getLogger("ols.api")
MAX_AUDIENCES = 32
SETTLE_SECONDS = 0.5
QUIET_SECONDS = 1.0
ENDPOINT = "préchauffage"
WIDE_PERIODS = 2
MAX_WIDE = 4000
TILE_ZOOMS = (13, 14, 15)


@dataclass(frozen=True)
class Targets:
    """What to warm: refreshed periods (latest first), audiences, hot-spot grids, tiles over the territories."""

    periods: list[Period]
    audiences: list[Audience]
    hotspot_grids: tuple[int, ...] = ()
    tiles: tuple[tuple[int, int, int], ...] = ()


def first_screen(audience: Audience, period: Period) -> list[Answer]:
    """The answers the map asks for when this audience opens it on ``period`` (those its layers allow)."""
    answers = [
        heatmap_answer(audience, HeatmapQuery(period, audience.resolution()), "outlines"),
        hotspots_answer(audience, period, None, None, significant_only=True),
        zones_answer(period, audience),
        comparison_answer(period, audience),
        crosswatch_answer(period, audience),
        near_repeat_answer(period, audience, None),
        profile_answer(period, audience, None, None),
        listing_answer(audience),
    ]
    allowed = [answer for answer in answers if answer.layer is None or audience.may(answer.layer)]
    return [*allowed, territories_answer(audience), places_answer(audience, None)]


def whole_map(audience: Audience, targets: Targets) -> Iterator[Answer]:
    """Every answer a reader of this audience may click on the last refreshed periods (those its layers allow)."""
    families = [None, *(family.code for family in FAMILIES)]
    grids = [grid for grid in targets.hotspot_grids if grid in audience.resolutions]
    for period in targets.periods[:WIDE_PERIODS]:
        answers = [zones_answer(period, audience), comparison_answer(period, audience)]
        for family in families:
            answers += [heatmap_answer(audience, HeatmapQuery(period, grid, family), "outlines")
                        for grid in audience.resolutions]  # fmt: skip
            answers += [hotspots_answer(audience, period, grid, family, significant_only=True) for grid in grids]
            answers.append(profile_answer(period, audience, family, None))
        answers += [tile_answer(TileParams(layer, z, x, y), LayerParams(period.name), audience)
                    for z, x, y in targets.tiles for layer in ("heatmap", "zones")]  # fmt: skip
        yield from (answer for answer in answers if answer.layer is None or audience.may(answer.layer))


def _tiles(box: tuple[float | None, ...]) -> tuple[tuple[int, int, int], ...]:
    """The Web Mercator tiles of :data:`TILE_ZOOMS` covering a WGS84 box (none without a box)."""
    if None in box:
        return ()
    west, south, east, north = (float(value) for value in box if value is not None)

    def tile(lon: float, lat: float, n: int) -> tuple[int, int]:
        y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
        return min(n - 1, int((lon + 180) / 360 * n)), min(n - 1, int(y))

    tiles = []
    for zoom in TILE_ZOOMS:
        (x0, y0), (x1, y1) = tile(west, north, 2**zoom), tile(east, south, 2**zoom)
        tiles += [(zoom, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    return tuple(tiles)


def _targets(connection: Connection, threshold: int) -> Targets:
    """The refreshed periods (latest first), the distinct audiences of the enabled users, the hot-spot
    grids of the latest refresh and the tiles over the territories."""
    refreshed = connection.execute(select(Refresh.period, Refresh.method)).all()
    periods = [period for period, _ in refreshed_periods(connection)]
    audiences: dict[tuple[object, ...], Audience] = {}
    for user in active_users(connection, limit=MAX_AUDIENCES * 8):
        audience = Audience.for_user(user, threshold=threshold)
        audiences.setdefault(audience.cache_key, audience)
    latest = next((method for name, method in refreshed if periods and name == periods[0].name), None) or {}
    extent = func.ST_Extent(Territory.geom)
    box = connection.execute(select(func.ST_XMin(extent), func.ST_YMin(extent), func.ST_XMax(extent),
                                    func.ST_YMax(extent))).one()  # fmt: skip
    grids = tuple(int(grid) for grid in latest.get("resolutions", ()))
    return Targets(periods, list(audiences.values())[:MAX_AUDIENCES], grids, _tiles(tuple(box)))


class WarmUp:
    """One warm-up at a time; a change while it runs asks for another one after it."""

    def __init__(self, answers: Answers, threshold: int) -> None:
        self.answers = answers
        self.threshold = threshold
        self.task: asyncio.Task[None] | None = None
        self.dirty = False
        # The first screen is being warmed (``/health``'s ``warming``): its answers may still be computed on
        # demand. The whole map that follows is not counted, since it gives way to readers.
        self.warming = False
        self.heard_at = -math.inf

    def heard(self) -> None:
        """A reader's request arrived: the wide warm-up waits until they have been quiet for a while."""
        self.heard_at = time.monotonic()

    async def give_way(self) -> None:
        """Return once no request has arrived for :data:`QUIET_SECONDS`."""
        while (quiet := time.monotonic() - self.heard_at) < QUIET_SECONDS:
            await asyncio.sleep(QUIET_SECONDS - quiet)

    def again(self) -> None:
        """Warm the cache again (now, or after the warm-up running)."""
        self.warming = True
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
            finally:
                self.warming = self.dirty

    async def _warm(self) -> None:
        started = time.monotonic()
        runner = self.answers.runner
        targets = await asyncio.get_running_loop().run_in_executor(
            runner.pool, _read_targets, runner.engine, self.threshold
        )
        if not targets.periods:
            return
        built = 0
        for audience in targets.audiences:
            for answer in first_screen(audience, targets.periods[0]):
                built += await self._build(audience, answer)
        self.warming = self.dirty
        _freeze()
        log.info("préchauffage du cache : %d réponses calculées pour %d audiences en %s s", built,
                 len(targets.audiences), _seconds(started))  # fmt: skip
        started, built = time.monotonic(), 0
        wide = ((audience, answer) for audience in targets.audiences for answer in whole_map(audience, targets))
        for audience, answer in itertools.islice(wide, MAX_WIDE):
            await self.give_way()
            built += await self._build(audience, answer)
        _freeze()
        log.info("préchauffage étendu : %d réponses calculées en %s s", built, _seconds(started))

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


def _freeze() -> None:
    """Collect, then move what survives out of the collector's sight (see the module's docstring)."""
    gc.collect()
    gc.freeze()


def _seconds(started: float) -> str:
    return f"{time.monotonic() - started:.1f}".replace(".", ",")


def _read_targets(engine: Engine, threshold: int) -> Targets:
    with engine.connect() as connection:
        return _targets(connection, threshold)
