"""Load benchmark: a busy morning on the map, with the API's load limits on, then off, in one run.

Against the demo database (``OLS_HOME=… OLS_DEMO_SERVE=0 bash scripts/demo.sh`` first: the
benchmark reads the configured database, migrates it and adds three users), it starts ``ols serve``
itself, waits for its cache warm-up, and opens one web session per simulated user (``POST
/api/v1/session``, as the map page does) for three roles: coordinator, police, élu. Each user then
asks, until the end of the run, for what the map asks: heatmap cells, significant hot spots, zones
and their comparison, time profiles, vector tiles, with the periods, families, resolutions and tiles
a reader clicks through, revalidating with its ETag like a browser, and thinks between two requests
(exponential, ``--think`` seconds on average; ``--think 0``: closed loop, the stress case). A
separate prober, in a process of its own, asks ``/health`` every 100 ms throughout; the readers are spread over
``--processes`` client processes, each with its own event loop. ``--uncached`` replays issue 19's finding
instead: every request is a time profile nobody asked before (a random range of days), which no
cache can answer. The same run is made with the limits on
(``OLS_LOAD_LIMITS=1``) and off (``=0``), each on a fresh server. Printed per route family: answers
per second, p50/p95/p99 of the answered requests (200 and 304), the share of 503s, other errors
(timeouts over 30 s included), ``/health`` p50/p99/max, and the ratios on/off.

Usage: ``OLS_HOME=… .venv/bin/python benchmarks/load.py [--clients 200] [--seconds 60] [--think 1]
[--modes on,off] [--uncached]``. The client runs on the same machine as the server and PostgreSQL: on two
cores it takes its share of them, so it is aiohttp, not httpx: asking the same heatmap here, httpx spent 4 ms of
CPU per request and aiohttp 0,5 ms. At 200 requests/s that is 0,8 of a core against 0,1, taken from the server
being measured (with httpx, the client used 42 s of CPU in a 60 s run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import uvloop
from sqlalchemy import create_engine, func, select

from ols.access.audience import Audience
from ols.access.users import create_user
from ols.nomenclature import FAMILIES
from ols.store import db
from ols.store.models import Refresh, Territory

ROLES = ("coordinator", "police", "elu")
MIX = {"heatmap": 3, "hotspots": 2, "zones": 2, "profiles": 1, "tiles": 3}
TIMEOUT = 30.0
PROBE_EVERY = 0.1
WINDOW = 10


def tile_of(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    """The x, y of the Web Mercator tile holding a point."""
    n = 2**zoom
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


@dataclass
class Setup:
    """What the simulated readers ask about: refreshed periods, hot-spot resolutions, tiles, their tokens."""

    periods: list[str]
    hotspot_resolutions: list[int]
    tiles: list[tuple[int, int, int]]
    tokens: dict[str, str]
    uncached: bool = False


def prepare(url: str) -> Setup:
    """The demo database's refreshed periods and tiles, and one new user per role."""
    engine = create_engine(url)
    with engine.begin() as connection:
        refreshed = connection.execute(select(Refresh.period, Refresh.method)).all()
        box = connection.execute(select(func.ST_XMin(func.ST_Extent(Territory.geom)),
                                        func.ST_YMin(func.ST_Extent(Territory.geom)),
                                        func.ST_XMax(func.ST_Extent(Territory.geom)),
                                        func.ST_YMax(func.ST_Extent(Territory.geom)))).one()  # fmt: skip
        stamp = time.strftime("%Y%m%d%H%M%S")
        tokens = {role: create_user(connection, f"bench-load-{role}-{stamp}", role=role) for role in ROLES}
    engine.dispose()
    if not refreshed:
        sys.exit("no refreshed period: load the demo first (OLS_DEMO_SERVE=0 bash scripts/demo.sh)")
    tiles = []
    for zoom in (13, 14, 15):
        (x0, y0), (x1, y1) = tile_of(box[0], box[3], zoom), tile_of(box[2], box[1], zoom)
        tiles += [(zoom, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    resolutions = sorted(set(refreshed[0][1].get("resolutions", [9])))
    return Setup([period for period, _ in refreshed], resolutions, tiles, tokens)


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time used so far by this process and its finished client workers, or by process ``pid``."""
    if pid is None:
        own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def served(url: str, *, limits: bool, log: Path, cold: bool) -> Iterator[tuple[str, float, int]]:
    """``ols serve`` on the database, limits on or off; yields its base URL, the warm-up's seconds, its pid.

    It waits for the whole warm-up (the map of the last refreshed periods), as a server started
    after a refresh has done before the morning's readers come; ``cold``: for the first screen only.
    """
    ready = "préchauffage du cache" if cold else "préchauffage étendu"
    port = free_port()
    env = dict(os.environ, OLS_DATABASE_URL=url, OLS_LOAD_LIMITS="1" if limits else "0")
    with log.open("w") as errors:
        server = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=errors)  # fmt: skip
    base, started = f"http://127.0.0.1:{port}", time.monotonic()
    try:
        while time.monotonic() - started < 600 and ready not in log.read_text(encoding="utf-8"):
            time.sleep(0.2)
        yield base, time.monotonic() - started, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


async def login(base: str, token: str) -> str:
    """A web session's cookie for a token, as the login form gets it."""
    async with (
        aiohttp.ClientSession(base, timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as client,
        client.post("/api/v1/session", json={"token": token}, headers={"Origin": base}) as response,
    ):
        response.raise_for_status()
        return response.cookies["ols_session"].value


def uncached(role: str, rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    """A time profile no one asked before: a random range of days (an ISO week of 2020–2026 for the élu)."""
    if Audience.of("bench", role).suppressed:  # calendar periods only
        return "profiles", "/api/v1/profiles/time", {"period": f"{rng.randint(2020, 2026)}-W{rng.randint(1, 52):02d}"}
    start = date(2025, 1, 1) + timedelta(days=rng.randint(0, 500))
    period = f"{start}..{start + timedelta(days=rng.randint(7, 180))}"
    return "profiles", "/api/v1/profiles/time", {"period": period}


def pick(role: str, setup: Setup, rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    """One request of the map, as a reader of ``role`` clicking through periods, families and zooms asks it."""
    if setup.uncached:
        return uncached(role, rng)
    audience = Audience.of("bench", role)
    period = rng.choice(setup.periods)
    family = rng.choice([None, None, None, *(family.code for family in FAMILIES)])
    kind = rng.choices(list(MIX), weights=list(MIX.values()))[0]
    hotspot_grids = [r for r in setup.hotspot_resolutions if r in audience.resolutions]
    if kind == "hotspots" and not hotspot_grids:
        kind = "heatmap"
    if kind == "heatmap":
        params = {"period": period, "resolution": rng.choice(audience.resolutions), "family": family,
                  "outlines": "true"}  # fmt: skip  # as the map page asks (its canvas draws the outlines)
        return kind, "/api/v1/heatmap/cells", params
    if kind == "hotspots":
        params = {"period": period, "resolution": rng.choice(hotspot_grids), "family": family,
                  "significant_only": "true"}  # fmt: skip
        return kind, "/api/v1/hotspots", params
    if kind == "zones":
        return kind, rng.choice(["/api/v1/zones", "/api/v1/zones/compare"]), {"period": period}
    if kind == "profiles":
        return kind, "/api/v1/profiles/time", {"period": period, "family": family}
    z, x, y = rng.choice(setup.tiles)
    return kind, f"/api/v1/tiles/{rng.choice(['heatmap', 'zones'])}/{z}/{x}/{y}.mvt", {"period": period}


@dataclass
class Tally:
    """What one run measured."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    hits: list[float] = field(default_factory=list)
    misses: list[float] = field(default_factory=list)
    timeline: list[tuple[float, float, bool]] = field(default_factory=list)  # (when, latency, from the cache)
    started: float = field(default_factory=time.monotonic)
    statuses: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    health: list[float] = field(default_factory=list)
    health_failures: int = 0
    seconds: float = 0.0

    def note(self, family: str, status: str, took: float, cache: str | None = None) -> None:
        """One answer (or failure) of a route family, and whether the server took it from its cache."""
        self.statuses[family][status] += 1
        if status in ("200", "304"):
            self.latencies[family].append(took)
            (self.hits if cache == "hit" else self.misses).append(took)
            self.timeline.append((time.monotonic() - self.started, took, cache == "hit"))

    def export(self) -> dict[str, Any]:
        """What a worker process measured, in plain types (to send back to the parent)."""
        return {"latencies": dict(self.latencies), "hits": self.hits, "misses": self.misses,
                "timeline": self.timeline, "statuses": {f: dict(s) for f, s in self.statuses.items()},
                "health": self.health, "health_failures": self.health_failures}  # fmt: skip

    def absorb(self, part: dict[str, Any]) -> None:
        """Add what a worker process measured."""
        for family, samples in part["latencies"].items():
            self.latencies[family] += samples
        for family, counts in part["statuses"].items():
            for status, n in counts.items():
                self.statuses[family][status] += n
        self.hits += part["hits"]
        self.misses += part["misses"]
        self.timeline += part["timeline"]
        self.health += part["health"]
        self.health_failures += part["health_failures"]


async def reader(client: aiohttp.ClientSession, role: str, cookie: str, setup: Setup, tally: Tally,
                 deadline: float, think: float, seed: int) -> None:  # fmt: skip
    """One user of the map until the deadline: ask, wait for the answer, think, ask again."""
    rng, etags = random.Random(seed), {}
    if think:
        await asyncio.sleep(rng.uniform(0, think))  # readers arrive over the first think time, not all at once
    while time.monotonic() < deadline:
        family, path, params = pick(role, setup, rng)
        params = {key: value for key, value in params.items() if value is not None}
        key = (path, tuple(sorted(params.items())))
        headers = {"Cookie": f"ols_session={cookie}", "Accept-Encoding": "gzip"}
        if key in etags:
            headers["If-None-Match"] = etags[key]
        started, cache = time.monotonic(), None
        try:
            async with client.get(path, params=params, headers=headers) as response:
                await response.read()  # the whole body, gunzipped, as a browser takes it
                status, cache = str(response.status), response.headers.get("x-cache")
                if response.status == 200 and "etag" in response.headers:
                    etags[key] = response.headers["etag"]
        except TimeoutError:
            status = "timeout"
        except aiohttp.ClientError:
            status = "transport"
        tally.note(family, status, time.monotonic() - started, cache)
        if think:
            await asyncio.sleep(min(rng.expovariate(1 / think), max(0.0, deadline - time.monotonic())))


async def prober(base: str, tally: Tally, deadline: float) -> None:
    """``/health`` every 100 ms on a connection of its own."""
    async with aiohttp.ClientSession(base, timeout=aiohttp.ClientTimeout(total=2.0)) as client:
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                async with client.get("/api/v1/health") as response:
                    await response.read()
                    ok = response.status == 200
            except (TimeoutError, aiohttp.ClientError):
                ok = False
            took = time.monotonic() - started
            tally.health.append(took)
            tally.health_failures += not ok
            await asyncio.sleep(max(0.0, PROBE_EVERY - took))


async def login_all(base: str, setup: Setup, roles: list[str]) -> list[str]:
    """One web session per reader, eight logins at a time."""
    gate = asyncio.Semaphore(8)

    async def one(role: str) -> str:
        async with gate:
            return await login(base, setup.tokens[role])

    return list(await asyncio.gather(*(one(role) for role in roles)))


def run_readers(base: str, setup: Setup, think: float, part: list[tuple[int, str, str]], started: float,
                deadline: float) -> dict[str, Any]:  # fmt: skip
    """A worker process: its share of the readers, on an event loop of its own."""
    tally = Tally(started=started)

    async def go() -> None:
        connector = aiohttp.TCPConnector(limit=len(part) + 8, keepalive_timeout=60)
        async with aiohttp.ClientSession(base, connector=connector, timeout=aiohttp.ClientTimeout(total=TIMEOUT),
                                         cookie_jar=aiohttp.DummyCookieJar()) as client:  # fmt: skip
            await asyncio.gather(*(reader(client, role, cookie, setup, tally, deadline, think, seed)
                                   for seed, role, cookie in part))  # fmt: skip

    uvloop.run(go())
    return tally.export()


def run_prober(base: str, started: float, deadline: float) -> dict[str, Any]:
    """A worker process of its own for the ``/health`` prober: no reader delays its measure."""
    tally = Tally(started=started)
    uvloop.run(prober(base, tally, deadline))
    return tally.export()


def load(base: str, setup: Setup, args: argparse.Namespace, server: int) -> tuple[Tally, float, float]:
    """Log every reader in, then run them (spread over ``args.processes`` processes, each with its own
    event loop, so that the client's own queueing weighs little in the latencies) and the prober for
    ``args.seconds``; with the CPU seconds the client and the server (pid ``server``) used while they ran
    (the logins left out: 200 argon2 checks are 40 s of CPU)."""
    roles = [ROLES[index % len(ROLES)] for index in range(args.clients)]
    cookies = uvloop.run(login_all(base, setup, roles))
    before = (cpu_seconds(), cpu_seconds(server))
    readers = [(seed, role, cookie) for seed, (role, cookie) in enumerate(zip(roles, cookies, strict=True))]
    parts = [readers[index :: args.processes] for index in range(args.processes)]
    started = time.monotonic()
    deadline = started + args.seconds
    tally = Tally(started=started)
    with ProcessPoolExecutor(len(parts) + 1, mp_context=multiprocessing.get_context("fork")) as pool:
        jobs = [pool.submit(run_readers, base, setup, args.think, part, started, deadline) for part in parts]
        jobs.append(pool.submit(run_prober, base, started, deadline))
        for job in jobs:
            tally.absorb(job.result())
    tally.seconds = time.monotonic() - started
    return tally, cpu_seconds() - before[0], cpu_seconds(server) - before[1]


def server_side(log: Path) -> str:
    """The server's own durations (its access log): p99 of the map's routes (logins left out) and of ``/health``."""
    routes: dict[str, list[float]] = defaultdict(list)
    for line in log.read_text(encoding="utf-8").splitlines():
        if line.startswith("{") and '"requête"' in line:
            entry = json.loads(line)
            route = entry.get("route") or ""
            if (
                route.endswith("/health")
                or any(name in route for name in MIX if name != "heatmap")
                or "heatmap" in route
            ):
                routes["health" if route.endswith("/health") else "map"].append(entry["ms"] / 1000)
    return (
        f"server side (access log): map routes p50 {ms(routes['map'], 50):.1f} ms, p99 {ms(routes['map'], 99):.1f} "
        f"ms; /health p99 {ms(routes['health'], 99):.1f} ms, max {ms(routes['health'], 100):.1f} ms"
    )


def ms(samples: list[float], q: float) -> float:
    """The ``q`` percentile of samples in seconds, in milliseconds (NaN when there is none)."""
    return float(np.percentile(samples, q) * 1000) if samples else math.nan


def summary(tally: Tally) -> dict[str, dict[str, float]]:
    """Per route family: answers per second, percentiles, share of 503s, other errors."""
    rows = {}
    for family in [*MIX, "all"]:
        names = list(MIX) if family == "all" else [family]
        counts: dict[str, int] = defaultdict(int)
        for name in names:
            for status, n in tally.statuses[name].items():
                counts[status] += n
        total = sum(counts.values())
        samples = [s for name in names for s in tally.latencies[name]]
        answered = counts["200"] + counts["304"]
        share = 100 / max(1, total)
        rows[family] = {"requests": total, "req/s": answered / tally.seconds, "p50": ms(samples, 50),
                        "p95": ms(samples, 95), "p99": ms(samples, 99), "503 %": share * counts["503"],
                        "errors": total - answered - counts["503"], "304 %": share * counts["304"]}  # fmt: skip
    return rows


def show(mode: str, tally: Tally, warm: float, log: Path) -> dict[str, dict[str, float]]:
    """Print one run's table."""
    rows = summary(tally)
    print(f"\n== limits {mode}: {tally.seconds:.0f} s, server ready and warm after {warm:.1f} s ==")
    print(f"{'family':<10}{'requests':>9}{'ans/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'503 %':>8}"
          f"{'304 %':>8}{'errors':>8}")  # fmt: skip
    for family, row in rows.items():
        if not row["requests"]:
            continue
        print(f"{family:<10}{row['requests']:>9.0f}{row['req/s']:>8.1f}{row['p50']:>9.1f}{row['p95']:>9.1f}"
              f"{row['p99']:>9.1f}{row['503 %']:>8.1f}{row['304 %']:>8.1f}{row['errors']:>8.0f}")  # fmt: skip
    other = {f: {s: n for s, n in tally.statuses[f].items() if s not in ("200", "304", "503")} for f in MIX}
    if any(other.values()):
        print("other answers:", {f: dict(s) for f, s in other.items() if s})
    for name, samples in (("from the cache", tally.hits), ("computed", tally.misses)):
        print(f"{name}: {len(samples)} answers, p50 {ms(samples, 50):.1f} ms, p95 {ms(samples, 95):.1f} ms, "
              f"p99 {ms(samples, 99):.1f} ms")  # fmt: skip
    windows = defaultdict(list)
    for when, took, hit in tally.timeline:
        windows[int(when // WINDOW)].append((took, hit))
    print("by 10 s: " + "; ".join(
        f"{index * WINDOW}-{(index + 1) * WINDOW} s {len(rows)} answers, {sum(not hit for _, hit in rows)} computed, "
        f"p99 {ms([took for took, _ in rows], 99):.0f} ms (cached {ms([took for took, hit in rows if hit], 99):.0f})"
        for index, rows in sorted(windows.items())))  # fmt: skip
    seconds = defaultdict(list)  # the readers' arrival: every URL is new to the server
    for when, took, _ in tally.timeline:
        if when < WINDOW:
            seconds[int(when)].append(took)
    print("first 10 s, by second (p50/p99 ms): " + ", ".join(
        f"{ms(rows, 50):.0f}/{ms(rows, 99):.0f}" for _, rows in sorted(seconds.items())))  # fmt: skip
    health = tally.health
    print(f"/health: {len(health)} probes, p50 {ms(health, 50):.1f} ms, p99 {ms(health, 99):.1f} ms, "
          f"max {max(health) * 1000:.1f} ms, failures {tally.health_failures}")  # fmt: skip
    text = log.read_text(encoding="utf-8")
    print(f"server log: {text.count('erreur non traitée')} unhandled errors, {text.count('préchauffage du cache')} "
          f"warm-ups")  # fmt: skip
    rows["health"] = {"p99": ms(health, 99), "req/s": math.nan}
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0, help="mean think time (s); 0: closed loop")
    parser.add_argument("--modes", default="on,off")
    parser.add_argument("--processes", type=int, default=4, help="client processes the readers are spread over")
    parser.add_argument("--cold", action="store_true", help="start as soon as the first screen is warm")
    parser.add_argument(
        "--uncached",
        action="store_true",
        help="every request a time profile never asked before (issue 19's finding: no cache helps)",
    )
    args = parser.parse_args()
    url = db.database_url()
    db.migrate(url)
    setup = prepare(url)
    setup.uncached = args.uncached
    print(f"{args.clients} readers ({', '.join(ROLES)}), {args.seconds:.0f} s, think {args.think} s; periods "
          f"{', '.join(sorted(setup.periods))}, {len(setup.tiles)} tiles")  # fmt: skip
    results = {}
    for mode in args.modes.split(","):
        log = Path(tempfile.mkstemp(prefix=f"ols-load-{mode}-", suffix=".log")[1])
        with served(url, limits=mode == "on", log=log, cold=args.cold) as (base, warm, pid):
            load_before = os.getloadavg()[0]
            tally, *used = load(base, setup, args, pid)
        results[mode] = show(mode, tally, warm, log)
        print(server_side(log))
        print(f"CPU while the readers ran (logins left out): client {used[0]:.0f} s, server {used[1]:.0f} s, "
              f"{1000 * used[1] / max(1, sum(tally.statuses[f][s] for f in MIX for s in tally.statuses[f])):.1f} ms "
              f"per request; machine load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
              f"(2 cores shared)")  # fmt: skip
    if {"on", "off"} <= results.keys():
        print("\nratio on/off:", ", ".join(
            f"{family} p99 {results['on'][family]['p99'] / results['off'][family]['p99']:.2f}"
            for family in [*MIX, "all", "health"] if not math.isnan(results["on"][family]["p99"])), end="")  # fmt: skip
        print(f"; answers/s {results['on']['all']['req/s'] / results['off']['all']['req/s']:.2f}")


if __name__ == "__main__":
    main()
