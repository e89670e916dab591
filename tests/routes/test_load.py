"""Bounded work under load, with real concurrent clients against uvicorn and real slow queries.

A query is made slow the way a real one gets stuck: another transaction holds a lock on the table
it reads (a long refresh, a migration). Issue 19's findings, each reproduced here: clients of a
stuck analysis route queued without limit (200 clients got nothing for 15 s), ``/health`` waited
behind them (42 s), and a request its client had abandoned was still computed.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import Connection, Engine, create_engine, text

from api.main import create_app
from ols.settings import ApiSettings, LoadSettings
from tests.routes.conftest import PERIOD, serve_app

T = TypeVar("T")
MONTHS = [f"2026-0{month}" for month in range(1, 7)] + [f"2025-{month:02d}" for month in range(7, 13)]
WEEKS = [f"2026-W{week:02d}" for week in range(1, 31)]


@contextmanager
def locked(engine: Engine, table: str) -> Iterator[Connection]:
    """A transaction holding ``table`` exclusively: every query reading it waits (until ``rollback``)."""
    with engine.connect() as connection:
        connection.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        yield connection
        connection.rollback()


@contextmanager
def served(engine: Engine, **load: Any) -> Iterator[str]:
    """A fresh app (cold cache, no warm-up) with these load settings, under uvicorn."""
    app = create_app(engine=engine, settings=ApiSettings(), load=LoadSettings(**load), warm_up=False)
    with serve_app(app) as base:
        yield base


def waiting_on_locks(engine: Engine) -> int:
    """Backends of the test database waiting for a lock (read on a connection of its own, out of any snapshot)."""
    watcher = create_engine(engine.url, isolation_level="AUTOCOMMIT")
    with watcher.connect() as connection:
        count = connection.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND wait_event_type = 'Lock'"),
            {"db": engine.url.database},
        ).scalar_one()
    watcher.dispose()
    return int(count)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end on a thread of its own (Playwright's sync API may hold this thread's loop)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _timed(client: httpx.AsyncClient, path: str, **options: Any) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    response = await client.get(path, **options)
    return time.monotonic() - started, response


def test_a_stuck_route_refuses_at_once_beyond_its_limit_instead_of_queueing(
    api_engine: Engine, tokens: dict[str, str]
) -> None:
    async def burst(base: str, holder: Connection) -> tuple[list[tuple[float, httpx.Response]], list[Any], Any]:
        async with httpx.AsyncClient(base_url=base, headers=_headers(tokens["coordinator"]), timeout=30) as client:
            assert (await client.get("/api/v1/session")).status_code == 200  # the token's argon2 check, done once
            tasks = [asyncio.create_task(_timed(client, f"/api/v1/profiles/time?period={m}")) for m in MONTHS]
            done, pending = await asyncio.wait(tasks, timeout=3)
            # at the limit, the gate refuses before any authentication: even a bad token gets the 503
            gate = await _timed(client, f"/api/v1/profiles/time?period={PERIOD}", headers=_headers("ols_faux_jeton"))
            holder.rollback()  # the lock goes: the admitted requests end
            return [task.result() for task in done], [await task for task in pending], gate

    with (
        served(api_engine, max_requests=2, analysis_concurrency=1, retry_after_s=4) as base,
        locked(api_engine, "event") as holder,
    ):
        refused, admitted, gate = run(burst(base, holder))
    assert len(refused) == len(MONTHS) - 2 and len(admitted) == 2
    for took, response in [*refused, gate]:
        assert response.status_code == 503 and response.headers["retry-after"] == "4"
        assert response.json()["detail"].startswith("trop d'analyses en cours"), response.text
        assert took < 1.0, f"a refusal took {took:.2f} s"
    assert [response.status_code for _, response in admitted] == [200, 200]


@pytest.mark.parametrize("limits", [True, False], ids=["limits", "no-limits"])
def test_health_answers_at_once_while_analyses_are_stuck(
    api_engine: Engine, tokens: dict[str, str], limits: bool
) -> None:
    async def probe(base: str, holder: Connection) -> tuple[list[float], list[int], list[int]]:
        async with httpx.AsyncClient(base_url=base, headers=_headers(tokens["police"]), timeout=60) as client:
            assert (await client.get("/api/v1/session")).status_code == 200
            stuck = [asyncio.create_task(client.get(f"/api/v1/profiles/time?period={week}")) for week in WEEKS]
            await asyncio.sleep(1.0)
            probes = []
            for _ in range(10):
                took, response = await _timed(client, "/api/v1/health")
                assert response.status_code == 200, response.text
                probes.append(took)
            early = [task.result().status_code for task in stuck if task.done()]
            holder.rollback()
            return probes, early, [(await task).status_code for task in stuck]

    with (
        served(api_engine, load_limits=limits, analysis_concurrency=2, max_requests=8) as base,
        locked(api_engine, "event") as holder,
    ):
        probes, early, statuses = run(probe(base, holder))
    assert max(probes) < 0.5, f"/health took up to {max(probes):.2f} s behind stuck analyses"
    if limits:
        assert early == [503] * (len(WEEKS) - 8) and statuses.count(200) == 8
    else:
        assert early == [] and statuses == [200] * len(WEEKS)


def test_a_client_that_leaves_cancels_its_query(api_engine: Engine, tokens: dict[str, str]) -> None:
    request = (f"GET /api/v1/profiles/time?period={PERIOD} HTTP/1.1\r\nHost: test\r\n"
               f"Authorization: Bearer {tokens['coordinator']}\r\n\r\n").encode()  # fmt: skip
    with served(api_engine) as base, locked(api_engine, "event"):
        assert waiting_on_locks(api_engine) == 0
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as client:
            client.sendall(request)
            asked = time.monotonic()
            while not waiting_on_locks(api_engine) and time.monotonic() - asked < 5:
                time.sleep(0.05)
            assert waiting_on_locks(api_engine) == 1, "the query should wait for the lock before the client leaves"
        left = time.monotonic()
        while waiting_on_locks(api_engine) and time.monotonic() - left < 5:
            time.sleep(0.05)
        gone_after = time.monotonic() - left
    assert gone_after < 1.0, f"the abandoned query was still running {gone_after:.1f} s after its client left"


def test_a_request_over_its_budget_is_answered_503_and_its_query_cancelled(
    api_engine: Engine, tokens: dict[str, str]
) -> None:
    with served(api_engine, request_budget_ms=600, retry_after_s=2) as base, locked(api_engine, "event"):
        started = time.monotonic()
        response = httpx.get(f"{base}/api/v1/indicators", params={"period": "2026-S1"},
                             headers=_headers(tokens["police"]), timeout=30)  # fmt: skip
        took = time.monotonic() - started
        time.sleep(0.3)
        still = waiting_on_locks(api_engine)
    assert response.status_code == 503 and response.headers["retry-after"] == "2"
    assert "temps alloué" in response.json()["detail"]
    assert 0.5 < took < 2.0, took
    assert still == 0


def test_a_map_export_has_its_own_budget_and_says_which(api_engine: Engine, tokens: dict[str, str]) -> None:
    """A print-quality export outlasts a layer's budget: it is cut at its own (here 1,2 s), and its 503 names that."""
    with served(api_engine, request_budget_ms=300, export_budget_ms=1200, retry_after_s=2) as base, \
            locked(api_engine, "cell_count"):  # fmt: skip  # the heatmap's counts: an export reads no raw fact
        started = time.monotonic()
        response = httpx.get(f"{base}/api/v1/exports/map", params={"period": PERIOD, "layers": "heatmap"},
                             headers=_headers(tokens["elu"]), timeout=30)  # fmt: skip
        took = time.monotonic() - started
    assert response.status_code == 503, response.text[:200]
    assert "(1,2 s)" in response.json()["detail"]
    assert 1.1 < took < 3.0, took
