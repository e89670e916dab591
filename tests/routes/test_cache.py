"""The response cache: every map answer revalidates by ETag, is kept per audience, and goes stale with its data.

On a database of its own (a commune, its facts, one refreshed semester), so that the changes these
tests make (facts ingested, zones drawn, points de deal reported) never reach the other tests'
counts. A change made through this API shows in its very next answer; one made elsewhere (an
``ols ingest`` in a shell) within a second; and only where it counts: new facts change the time
profile and the indicators at once, the heatmap when the semester is refreshed.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from api.cache import ResponseCache, encode
from api.main import create_app
from api.serving import STAMP_SECONDS
from api.warmup import QUIET_SECONDS
from etl.ingest import ingest_file
from etl.mapping import load_mapping
from ols.access.users import create_user, disable_user
from ols.cartography.refresh import refresh
from ols.periods import parse_period
from ols.reference.territories import read_boundary
from ols.settings import ApiSettings, CartographySettings
from tests.helpers import police_nationale_csv
from tests.routes.conftest import NEIGHBOUR, PERIOD, _load_neighbour
from tests.routes.test_load import locked
from tests.routes.truth import tile_of

FAST = CartographySettings(permutations=99)
X, Y = tile_of(3.141, 50.648, 14)
MAP = [
    ("/api/v1/heatmap", {"period": PERIOD}),
    ("/api/v1/heatmap/cells", {"period": PERIOD, "resolution": 9}),
    ("/api/v1/hotspots", {"period": PERIOD, "significant_only": "true"}),
    ("/api/v1/zones", {"period": PERIOD}),
    ("/api/v1/zones/compare", {"period": PERIOD}),
    (f"/api/v1/tiles/heatmap/14/{X}/{Y}.mvt", {"period": PERIOD}),
    (f"/api/v1/tiles/zones/14/{X}/{Y}.mvt", {"period": PERIOD}),
    ("/api/v1/indicators", {"period": PERIOD}),
    ("/api/v1/profiles/time", {"period": PERIOD}),
    ("/api/v1/territories", {}),
    ("/api/v1/places", {}),
    ("/api/v1/deal-points", {}),
    ("/api/v1/near-repeat", {"period": PERIOD}),
]
SQUARE = {"type": "Polygon", "coordinates": [[[3.13, 50.64], [3.15, 50.64], [3.15, 50.655], [3.13, 50.655],
                                              [3.13, 50.64]]]}  # fmt: skip


@pytest.fixture(scope="module")
def commune(
    template_url: str, server_url: str, shared: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """Villeneuve-d'Ascq with 600 facts, its semester refreshed, in a database of its own."""
    name = f"ols_cache_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE ols_test_template"))
    engine = create_engine(make_url(server_url).set(database=name))
    _load_neighbour(engine, shared, tmp_path_factory.mktemp("commune"))
    refresh(engine, parse_period(PERIOD), settings=FAST)
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(scope="module")
def users(commune: Engine) -> dict[str, str]:
    """Tokens: the coordinator, two police officers (one audience), an élu."""
    with commune.begin() as connection:
        return {name: create_user(connection, f"cache-{name}", role=name.rstrip("2")) for name in
                ("coordinator", "police", "police2", "elu")}  # fmt: skip


@pytest.fixture(scope="module")
def api(commune: Engine, users: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app on that database, its cache cold."""
    settings = ApiSettings(zones_dir=tmp_path_factory.mktemp("zones"), session_attempts_per_minute=1000)
    with TestClient(create_app(engine=commune, settings=settings, warm_up=False)) as client:
        for token in users.values():  # each token's argon2 check, once
            assert client.get("/api/v1/session", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        yield client


def _get(api: TestClient, token: str, path: str, params: dict[str, Any], etag: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} | ({"If-None-Match": etag} if etag else {})
    return api.get(path, params=params, headers=headers)


@pytest.mark.parametrize(("path", "params"), MAP, ids=[path.split("/api/v1/")[1][:20] for path, _ in MAP])
def test_every_map_answer_revalidates_with_its_etag(
    api: TestClient, users: dict[str, str], path: str, params: dict[str, Any]
) -> None:
    first = _get(api, users["coordinator"], path, params)
    assert first.status_code == 200 and first.headers["etag"], first.text[:200]
    assert first.headers["cache-control"] == "private, max-age=0, must-revalidate"
    assert first.headers["x-cache"] == "miss"
    again = _get(api, users["coordinator"], path, params, first.headers["etag"])
    assert again.status_code == 304 and not again.content and again.headers["x-cache"] == "hit"
    third = _get(api, users["coordinator"], path, params)
    assert third.content == first.content and third.headers["x-cache"] == "hit"


def test_audiences_never_share_an_answer_but_one_audience_does(api: TestClient, users: dict[str, str]) -> None:
    params = {"period": PERIOD}
    police, police2, elu = (_get(api, users[name], "/api/v1/heatmap/cells", params) for name in ("police", "police2",
                                                                                                   "elu"))  # fmt: skip
    assert police.headers["etag"] == police2.headers["etag"] and police.content == police2.content
    assert elu.headers["etag"] != police.headers["etag"]
    assert elu.json()["metadata"]["rounded_to"] == 5 and police.json()["metadata"]["rounded_to"] is None
    assert _get(api, users["elu"], "/api/v1/heatmap/cells", params, police.headers["etag"]).status_code == 200


def test_a_cached_answer_costs_no_query(api: TestClient, users: dict[str, str], commune: Engine) -> None:
    for path, params in MAP[:5]:
        assert _get(api, users["police"], path, params).status_code == 200
    with locked(commune, "event"), locked(commune, "cell_count"), locked(commune, "zone"), locked(commune, "hotspot"):
        started = time.monotonic()
        answers = [_get(api, users["police"], path, params).status_code for path, params in MAP[:5]]
        took = time.monotonic() - started
    assert answers == [200] * 5 and took < 1.0, (answers, took)


def test_a_zone_drawn_or_removed_shows_in_the_next_answer(api: TestClient, users: dict[str, str]) -> None:
    coordinator = users["coordinator"]
    before = _get(api, coordinator, "/api/v1/zones", {"period": PERIOD})
    zone = {"code": "Z-cache", "name": "Zone du cache", "rationale": "test", "owner": "test", "geometry": SQUARE}
    created = api.post("/api/v1/zones", json=zone, headers={"Authorization": f"Bearer {coordinator}"})
    assert created.status_code == 201, created.text
    after = _get(api, coordinator, "/api/v1/zones", {"period": PERIOD}, before.headers["etag"])
    assert after.status_code == 200
    assert len(after.json()["features"]) == len(before.json()["features"]) + 1
    api.delete("/api/v1/zones/Z-cache", headers={"Authorization": f"Bearer {coordinator}"})
    gone = _get(api, coordinator, "/api/v1/zones", {"period": PERIOD})
    assert [f["properties"]["code"] for f in gone.json()["features"]] == [
        f["properties"]["code"] for f in before.json()["features"]
    ]


def test_a_deal_point_reported_or_changed_shows_in_the_next_answer(api: TestClient, users: dict[str, str]) -> None:
    police = {"Authorization": f"Bearer {users['police']}"}
    before = api.get("/api/v1/deal-points", headers=police).json()["features"]
    point = {"label": "Square du cache", "lon": 3.142, "lat": 50.649, "reported_on": "2026-03-02"}
    point_id = api.post("/api/v1/deal-points", json=point, headers=police).json()["id"]
    listed = api.get("/api/v1/deal-points", headers=police).json()["features"]
    assert len(listed) == len(before) + 1
    api.patch(f"/api/v1/deal-points/{point_id}", json={"status": "demantele"}, headers=police)
    after = {f["properties"]["label"]: f["properties"]["status"]
             for f in api.get("/api/v1/deal-points", headers=police).json()["features"]}  # fmt: skip
    assert after["Square du cache"] == "demantele"


def test_facts_ingested_elsewhere_show_within_a_second_and_only_where_they_count(
    api: TestClient, users: dict[str, str], commune: Engine, shared: Path, tmp_path: Path
) -> None:
    police = users["police"]
    profile = _get(api, police, "/api/v1/profiles/time", {"period": PERIOD})
    indicators = _get(api, police, "/api/v1/indicators", {"period": PERIOD})
    heatmap = _get(api, police, "/api/v1/heatmap/cells", {"period": PERIOD})
    boundary = read_boundary(shared / "boundaries" / "communes-59-nord.geojson", commune=NEIGHBOUR)
    path = police_nationale_csv(tmp_path / "more.csv", boundary.geom, count=200, seed=7)
    path.write_text(path.read_text(encoding="cp1252").replace("VA-", "VB-"), encoding="cp1252")  # new facts
    report = ingest_file(commune, path, source_code="police-nationale", mapping=load_mapping("police_nationale"),
                         ingested_by="test")  # fmt: skip
    assert report.accepted > 0
    time.sleep(STAMP_SECONDS + 0.1)  # changes made by another process are read at most a second later
    assert _get(api, police, "/api/v1/profiles/time", {"period": PERIOD}, profile.headers["etag"]).status_code == 200
    assert _get(api, police, "/api/v1/indicators", {"period": PERIOD}, indicators.headers["etag"]).status_code == 200
    assert _get(api, police, "/api/v1/heatmap/cells", {"period": PERIOD}, heatmap.headers["etag"]).status_code == 304
    refresh(commune, parse_period(PERIOD), settings=FAST)
    time.sleep(STAMP_SECONDS + 0.1)
    fresh = _get(api, police, "/api/v1/heatmap/cells", {"period": PERIOD}, heatmap.headers["etag"])
    assert fresh.status_code == 200
    assert sum(count for _, count in fresh.json()["cells"]) > sum(count for _, count in heatmap.json()["cells"])


def test_the_cache_is_bounded_by_the_bytes_it_holds_least_recently_used_first() -> None:
    entries = {name: encode((name,), "s", bytes(range(256)) * 12) for name in "abcd"}  # ~3 kB each, and its gzip
    bound = 3 * entries["a"].size + 100
    cache = ResponseCache(max_bytes=bound)
    for name in "abc":
        cache.put((name,), entries[name])
    assert len(cache) == 3 and cache.bytes == sum(entries[name].size for name in "abc") <= bound
    assert cache.get(("a",), "s") is not None  # a is now the most recently used
    cache.put(("d",), entries["d"])
    assert cache.get(("b",), "s") is None and all(cache.get((name,), "s") for name in "acd")
    assert cache.get(("a",), "another stamp") is None
    cache.put(("huge",), encode(("huge",), "s", bytes(range(256)) * 50))
    assert cache.get(("huge",), "s") is None and len(cache) == 3 and cache.bytes <= bound


def test_the_warm_up_answers_the_whole_map_before_its_readers_click(
    commune: Engine, users: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    settings = ApiSettings(zones_dir=tmp_path_factory.mktemp("warm"), session_attempts_per_minute=1000)
    app = create_app(engine=commune, settings=settings)
    clicks = [
        ("/api/v1/heatmap/cells", {"period": PERIOD, "resolution": 8, "family": "drugs", "outlines": "true"}),
        ("/api/v1/hotspots", {"period": PERIOD, "resolution": 8, "family": "property", "significant_only": "true"}),
        ("/api/v1/profiles/time", {"period": PERIOD, "family": "public_order"}),
        ("/api/v1/zones/compare", {"period": PERIOD}),
        (f"/api/v1/tiles/heatmap/14/{X}/{Y}.mvt", {"period": PERIOD}),
    ]
    with TestClient(app) as client:
        deadline = time.monotonic() + 120
        assert client.get("/api/v1/health").json()["warming"] is True
        while time.monotonic() < deadline and not (app.state.warm_up.task and app.state.warm_up.task.done()):
            time.sleep(0.2)
        assert client.get("/api/v1/health").json()["warming"] is False
        for role in ("police", "elu"):
            answers = [_get(client, users[role], path, params) for path, params in clicks]
            assert [(a.status_code, a.headers["x-cache"]) for a in answers] == [(200, "hit")] * len(clicks), role


def _apart(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine on its own loop in its own thread (a browser test may have left a loop running here)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def test_the_wide_warm_up_gives_way_while_readers_ask(
    commune: Engine, users: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A map opened while the server warmed its whole map waited half a second for its page and scripts (the
    warm-up's work shares the process): every request is heard, and the wide part waits for a quiet second."""
    settings = ApiSettings(zones_dir=tmp_path_factory.mktemp("quiet"), session_attempts_per_minute=1000)
    app = create_app(engine=commune, settings=settings, warm_up=False)
    with TestClient(app) as client:
        warm_up = app.state.warm_up
        before = warm_up.heard_at
        health = client.get("/api/v1/health").json()
        assert health["warming"] is False and warm_up.heard_at == before  # a prober is not a reader
        assert _get(client, users["police"], "/api/v1/periods", {}).status_code == 200
        assert warm_up.heard_at > before
        with pytest.raises(TimeoutError):
            _apart(asyncio.wait_for(warm_up.give_way(), QUIET_SECONDS / 2))
        time.sleep(QUIET_SECONDS)
        _apart(asyncio.wait_for(warm_up.give_way(), QUIET_SECONDS / 2))


# Replay: a URL asked again by the same audience is answered from the cache without routing it -------------------


def _session(api: TestClient, token: str) -> dict[str, str]:
    """The cookie header of a new web session (as the map page holds it)."""
    opened = api.post("/api/v1/session", json={"token": token}, headers={"Origin": "http://testserver"})
    api.cookies.clear()
    return {"Cookie": f"ols_session={opened.cookies['ols_session']}"}


def _routed(api: TestClient, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths that reach a route's :meth:`Answers.serve` from now on (a replayed request never does)."""
    answers = api.app.state.answers  # type: ignore[attr-defined]
    serve, routed = answers.serve, []

    async def counted(request: Any, audience: Any, answer: Any) -> Any:
        routed.append(request.url.path)
        return await serve(request, audience, answer)

    monkeypatch.setattr(answers, "serve", counted)
    return routed


def _counts(response: Any) -> list[int | None]:
    return [count for _, count in response.json()["cells"]]


def test_a_url_asked_again_is_replayed_with_the_numbers_of_its_audience_only(
    api: TestClient, users: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    jars = {name: _session(api, users[name]) for name in ("police", "police2", "elu")}
    params = {"period": PERIOD, "resolution": 8, "family": "property"}
    first = {name: api.get("/api/v1/heatmap/cells", params=params, headers=jars[name]) for name in ("police", "elu")}
    routed = _routed(api, monkeypatch)
    again = {name: api.get("/api/v1/heatmap/cells", params=params, headers=jar) for name, jar in jars.items()}
    assert routed == []  # the three were answered without routing: police2 shares the police's audience
    for name, response in again.items():
        assert response.status_code == 200 and response.headers["x-cache"] == "hit", name
        assert response.content == first["elu" if name == "elu" else "police"].content, name
    police, elu = _counts(again["police"]), _counts(again["elu"])
    assert any(count is not None and count % 5 for count in police)  # the police read exact counts
    assert all(count is None or count % 5 == 0 for count in elu)  # the élu, rounded to 5 or hidden
    assert sum(count or 0 for count in police) != sum(count or 0 for count in elu)
    other = api.get("/api/v1/heatmap/cells", params=params | {"resolution": 9}, headers=jars["police"])
    assert other.status_code == 200 and routed == ["/api/v1/heatmap/cells"]  # another URL is routed


def test_a_url_served_to_one_audience_is_never_replayed_to_another_that_may_not_read_it(
    api: TestClient, users: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    coordinator, elu = (_session(api, users[name]) for name in ("coordinator", "elu"))
    for _ in range(2):
        assert api.get("/api/v1/crosswatch", params={"period": PERIOD}, headers=coordinator).status_code == 200
    routed = _routed(api, monkeypatch)
    refused = api.get("/api/v1/crosswatch", params={"period": PERIOD}, headers=elu)
    assert refused.status_code == 403 and b"features" not in refused.content
    assert api.get("/api/v1/crosswatch", params={"period": PERIOD}).status_code == 401  # no session: no answer
    assert routed == ["/api/v1/crosswatch"]  # the élu's request went to the route, which refused it


def test_a_replayed_url_is_refused_at_once_to_a_disabled_user_and_a_closed_session(
    api: TestClient, commune: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with commune.begin() as connection:
        tokens = {name: create_user(connection, f"cache-replay-{name}", role="elu") for name in ("off", "out")}
    jars = {name: _session(api, token) for name, token in tokens.items()}
    params = {"period": PERIOD, "resolution": 8}
    for jar in jars.values():
        assert api.get("/api/v1/heatmap/cells", params=params, headers=jar).status_code == 200
    routed = _routed(api, monkeypatch)
    for jar in jars.values():
        assert api.get("/api/v1/heatmap/cells", params=params, headers=jar).status_code == 200
    assert routed == []
    with commune.begin() as connection:
        disable_user(connection, "cache-replay-off")
    closed = api.delete("/api/v1/session", headers=jars["out"] | {"Origin": "http://testserver"})
    assert closed.status_code == 204
    for name, jar in jars.items():
        assert api.get("/api/v1/heatmap/cells", params=params, headers=jar).status_code == 401, name


def test_long_urls_are_never_remembered_and_a_strange_cookie_is_a_401(
    api: TestClient, users: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An attacker varying a long query string (unknown parameters are ignored by the routes) fills nothing."""
    jar = _session(api, users["elu"])
    params = {"period": PERIOD, "resolution": 8, "pad": "x" * 600}
    assert api.get("/api/v1/heatmap/cells", params=params, headers=jar).status_code == 200
    routed = _routed(api, monkeypatch)
    assert api.get("/api/v1/heatmap/cells", params=params, headers=jar).status_code == 200
    assert routed == ["/api/v1/heatmap/cells"]
    served = api.app.state.answers.served  # type: ignore[attr-defined]
    assert all(len(path) + len(query) <= 512 for path, query in served)
    for cookie in ("ols_session=a.é".encode(), b"ols_session=.", b"ols_session=x"):  # hmac once raised on the first
        answer = api.get("/api/v1/heatmap/cells", params=params, headers={"Cookie": cookie})  # type: ignore[dict-item]
        assert answer.status_code == 401, cookie
