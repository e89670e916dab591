"""Every role and territory scope × every output: the numbers each reader receives, checked against the truth.

A reader below the police must receive exactly the cell-key rounding of the true counts of its
categories and territories (``tests.routes.truth``); the police and the coordinator the true counts
of their territories. Statuses come first: which role may call what.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from ols.access.audience import Audience
from ols.cartography.grid import to_int
from ols.publishing.reports import write_report
from tests.routes.conftest import NEIGHBOUR, PERIOD, ROLES
from tests.routes.truth import SENSITIVE, keyed, published, tile_of

DEMO = "59410"
# name → (role, territories, source of a partner)
READERS: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "coordinator": ("coordinator", (), None),
    "police": ("police", (), None),
    "partner": ("partner", (), "mediation"),
    "elu": ("elu", (), None),
    "public": ("public", (), None),
    "police-neighbour": ("police", (NEIGHBOUR,), None),
    "elu-demo": ("elu", (DEMO,), None),
    "partner-demo": ("partner", (DEMO,), "police-nationale"),
}
FULL = {"coordinator", "police"}
ZONE = {"type": "Polygon", "coordinates": [[[3.105, 50.640], [3.108, 50.640], [3.108, 50.642], [3.105, 50.640]]]}


@pytest.fixture(scope="module")
def token_of(tokens: dict[str, str], scoped_tokens: dict[str, str]) -> dict[str, str]:
    """Every reader's token."""
    return tokens | scoped_tokens


def _audience(name: str) -> Audience:
    role, territories, source = READERS[name]
    return Audience.of(name, role, territories=territories, source=source)


def _get(client: TestClient, token: str, path: str, **params: Any) -> Any:
    response = client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, (path, params, response.text[:300])
    return response.json() if "json" in response.headers.get("content-type", "") else response.content


def _threshold(name: str) -> int | None:
    return None if READERS[name][0] in FULL else 5


def _truth(engine: Engine, name: str, period: str, group: str, where: str = "", *,
           own: bool = False) -> dict[Any, int | None]:  # fmt: skip
    """What reader ``name`` must receive: signalements of facts, or a partner's own facts (``own``)."""
    audience = _audience(name)
    found = keyed(engine, period, group=group, territories=audience.territories, open_only=audience.suppressed,
                  where=where, own=own)  # fmt: skip
    return published(engine, found, threshold=_threshold(name))


def _heat(body: dict[str, Any]) -> dict[int, int | None]:
    return {int(to_int([cell])[0]): count for cell, count in body["cells"]}


# Statuses ---------------------------------------------------------------------------------------

ALL = set(ROLES)
POLICE = {"coordinator", "police"}
READERS_OF_EVENTS = POLICE | {"partner"}
MATRIX: list[tuple[str, str, dict[str, Any], set[str], int]] = [
    ("GET", "/api/v1/periods", {}, ALL, 200),
    ("GET", "/api/v1/heatmap", {"period": PERIOD, "resolution": 9}, READERS_OF_EVENTS, 200),
    ("GET", "/api/v1/heatmap", {"period": PERIOD, "resolution": 8}, ALL, 200),
    ("GET", "/api/v1/heatmap", {"period": PERIOD, "category": "drug_trafficking"}, POLICE, 200),
    ("GET", "/api/v1/hotspots", {"period": PERIOD, "resolution": 9}, READERS_OF_EVENTS, 200),
    ("GET", "/api/v1/hotspots", {"period": PERIOD, "resolution": 8}, ALL, 200),
    ("GET", "/api/v1/emerging-hotspots", {"period": PERIOD}, READERS_OF_EVENTS, 200),
    ("GET", "/api/v1/zones", {"period": PERIOD}, ALL - {"public"}, 200),
    ("GET", "/api/v1/zones/compare", {"period": PERIOD}, ALL - {"public"}, 200),
    ("GET", "/api/v1/deal-points", {}, POLICE, 200),
    ("GET", "/api/v1/events", {"period": PERIOD}, READERS_OF_EVENTS, 200),
    ("GET", "/api/v1/indicators", {"period": "2025", "by": "category"}, ALL, 200),
    ("GET", "/api/v1/indicators", {"period": "2025-01-01..2025-03-31"}, POLICE, 200),
    ("GET", "/api/v1/profiles/time", {"period": PERIOD}, ALL, 200),
    ("GET", "/api/v1/near-repeat", {"period": "2025"}, POLICE, 200),
    ("GET", "/api/v1/crosswatch", {"period": PERIOD}, POLICE, 200),
    ("GET", "/api/v1/tiles/zones/14/8333/5510.mvt", {"period": PERIOD}, ALL - {"public"}, 200),
    ("GET", "/api/v1/tiles/heatmap/14/8333/5510.mvt", {"period": PERIOD, "resolution": 9}, READERS_OF_EVENTS, 200),
    ("GET", "/ogc/collections/zones/items", {}, ALL - {"public"}, 200),
    ("POST", "/api/v1/deal-points", {"label": "x", "lon": 3.11, "lat": 50.64, "reported_on": "2026-03-01"}, POLICE,
     201),
    ("POST", "/api/v1/patrols/plan", {"period": PERIOD, "window": "ven 18:00-23:00", "stops": 3, "start_lon": 3.1098,
                                      "start_lat": 50.6423, "seed": 1}, POLICE, 200),
    ("POST", "/api/v1/zones", {"code": "Z-{role}", "name": "n", "rationale": "r", "owner": "o", "geometry": ZONE},
     {"coordinator"}, 201),
]  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "payload", "allowed", "success"), MATRIX,
                         ids=[f"{m} {p} {sorted(q.items())[:2]}" for m, p, q, _, _ in MATRIX])  # fmt: skip
def test_status_by_role(client: TestClient, tokens: dict[str, str], role: str, method: str, path: str,
                        payload: dict[str, Any], allowed: set[str], success: int) -> None:  # fmt: skip
    headers = {"Authorization": f"Bearer {tokens[role]}"}
    if method == "GET":
        response = client.get(path, params=payload, headers=headers)
    else:
        response = client.request(method, path, json=json.loads(json.dumps(payload).replace("{role}", role)),
                                  headers=headers)  # fmt: skip
    assert response.status_code == (success if role in allowed else 403), response.text[:300]


# Numbers ----------------------------------------------------------------------------------------

FILTERS = [{}, {"family": "property"}, {"family": "drugs"}, {"category": "theft"}, {"source": "police-nationale"}]
WHERE = {"family": "e.family = '{}'", "category": "e.category = '{}'", "source": "s.code = '{}'"}
MERGED = "EXISTS (SELECT 1 FROM event_link l WHERE l.source_id = e.source_id AND l.id = e.id)"


@pytest.mark.parametrize("name", READERS)
def test_heatmap_numbers(client: TestClient, token_of: dict[str, str], api_engine: Engine, name: str) -> None:
    for resolution in _audience(name).resolutions:
        for query in FILTERS:
            where = " AND ".join(WHERE[key].format(value) for key, value in query.items())
            truth = _truth(api_engine, name, PERIOD, f"e.h3_r{resolution}", where, own="source" in query)
            expected = {cell: count for cell, count in truth.items() if count is not None}  # hidden cells: not sent
            body = _get(client, token_of[name], "/api/v1/heatmap/cells", period=PERIOD, resolution=resolution, **query)
            assert _heat(body) == expected, (name, resolution, query)


@pytest.mark.parametrize("name", READERS)
def test_resolutions_and_sensitive_categories_denied(client: TestClient, token_of: dict[str, str], name: str) -> None:
    audience = _audience(name)
    headers = {"Authorization": f"Bearer {token_of[name]}"}
    for resolution in (8, 9, 10):
        status = client.get("/api/v1/heatmap", params={"period": PERIOD, "resolution": resolution}, headers=headers)
        assert status.status_code == (200 if resolution in audience.resolutions else 403)
    for category in SENSITIVE:
        found = client.get("/api/v1/heatmap", params={"period": PERIOD, "category": category}, headers=headers)
        assert found.status_code == (403 if audience.suppressed else 200)


@pytest.mark.parametrize("name", READERS)
def test_hotspot_counts_and_columns(client: TestClient, token_of: dict[str, str], name: str) -> None:
    audience = _audience(name)
    for family in (None, "drugs"):
        params = {"period": PERIOD, "resolution": audience.resolution()} | ({"family": family} if family else {})
        heat = {cell: count for cell, count in _get(client, token_of[name], "/api/v1/heatmap/cells", **params)["cells"]}
        features = _get(client, token_of[name], "/api/v1/hotspots", **params)["features"]
        assert features
        for feature in features:
            properties = feature["properties"]
            assert properties["count"] == heat.get(properties["h3"], audience.nothing)
            assert ("z" in properties) is (not audience.suppressed)


@pytest.mark.parametrize("name", [name for name in READERS if name != "public"])
def test_zone_numbers(client: TestClient, token_of: dict[str, str], api_engine: Engine, name: str) -> None:
    audience = _audience(name)
    features = _get(client, token_of[name], "/api/v1/zones", period=PERIOD)["features"]
    computed = [f["properties"] for f in features if f["properties"]["kind"] == "computed"]
    with api_engine.connect() as connection:
        sql = "SELECT code, cells, resolution FROM zone WHERE kind = 'computed' AND period = :p AND scope = :s"
        rows = connection.execute(text(sql), {"p": PERIOD, "s": audience.scope}).all()
    cells = {code: (members, grid) for code, members, grid in rows}
    for zone in computed:
        members, grid = cells[zone["code"]]
        assert grid == audience.zone_resolution(10)  # an élu's zones are drawn on its own coarse grid
        truth = _truth(api_engine, name, PERIOD, "1", f"e.h3_r{grid} = ANY(ARRAY{members}::bigint[])")
        assert zone["stats"]["events"] == truth.get(1, audience.nothing), (name, zone["code"])
    if audience.territories:
        scope = " OR ".join(f"t.code = '{code}'" for code in audience.territories)
        with api_engine.connect() as connection:
            sql = ("SELECT z.code FROM zone z, territory t WHERE (z.kind = 'declared' OR (z.period = :p AND "
                   f"z.scope = :s AND z.resolution = :r)) AND ({scope}) AND ST_Intersects(z.geom, t.geom)")  # fmt: skip
            found = connection.execute(text(sql), {"p": PERIOD, "s": audience.scope, "r": audience.zone_resolution(10)})
            meeting = set(found.scalars())
        assert {f["properties"]["code"] for f in features} == meeting


@pytest.mark.parametrize("name", READERS)
def test_profile_numbers(client: TestClient, token_of: dict[str, str], api_engine: Engine, name: str) -> None:
    nothing = _audience(name).nothing
    for family in (None, "drugs"):
        extra = {"family": family} if family else {}
        profile = _get(client, token_of[name], "/api/v1/profiles/time", period=PERIOD, **extra)
        where = f"e.family = '{family}'" if family else "TRUE"
        timed = _truth(api_engine, name, PERIOD, "1", f"{where} AND e.time_precision = 'minute'")
        assert profile["timed"] == timed.get(1, nothing)
        month = _truth(api_engine, name, PERIOD, "1", f"{where} AND e.time_precision = 'month'")
        assert profile["date_imprecise"] == month.get(1, nothing)
        hourly = _truth(api_engine, name, PERIOD, "(extract(isodow FROM e.occurred_at AT TIME ZONE 'Europe/Paris')"
                        "::int - 1) * 24 + extract(hour FROM e.occurred_at AT TIME ZONE 'Europe/Paris')::int",
                        f"{where} AND e.time_precision = 'minute'")  # fmt: skip
        grid = [value for row in profile["grid"] for value in row]
        assert grid == [hourly.get(index, nothing) for index in range(7 * 24)], (name, family)


@pytest.mark.parametrize("name", READERS)
def test_indicator_numbers(client: TestClient, token_of: dict[str, str], api_engine: Engine, name: str) -> None:
    nothing = _audience(name).nothing
    merged = _truth(api_engine, name, "2025", "1", MERGED, own=True)
    for by, group in (("family", "e.family"), ("source", "s.code")):
        rows = _get(client, token_of[name], "/api/v1/indicators", period="2025", by=by)["rows"]
        truth = _truth(api_engine, name, "2025", group, own=by == "source")  # a partner's row: its own facts
        total = _truth(api_engine, name, "2025", "1") | {"merged": merged.get(1, nothing)}
        for row in rows:
            key = row["key"] if row["key"] == "merged" else 1
            expected = total.get(key, nothing) if row["key"] in ("total", "merged") else truth.get(row["key"], nothing)
            assert row["2025"] == expected, (name, by, row["key"])
            if row["2025"] is None:
                assert row["rate_per_thousand"] is None and row["evolution"] is None


@pytest.mark.parametrize("name", READERS)
def test_tiles_and_ogc_carry_the_heatmap_numbers(client: TestClient, token_of: dict[str, str], name: str) -> None:
    audience = _audience(name)
    resolution = audience.resolution()
    heat = {cell: count for cell, count in _get(client, token_of[name], "/api/v1/heatmap/cells", period=PERIOD,
                                               resolution=resolution)["cells"]}  # fmt: skip
    x, y = tile_of(3.11, 50.64, 14)
    tile = mapbox_vector_tile.decode(_get(client, token_of[name], f"/api/v1/tiles/heatmap/14/{x}/{y}.mvt",
                                          period=PERIOD, resolution=resolution))  # fmt: skip
    shown = {f["properties"]["h3"]: f["properties"].get("count") for f in tile.get("heatmap", {}).get("features", [])}
    assert shown or audience.territories == (NEIGHBOUR,)
    assert all(heat[cell] == count for cell, count in shown.items())
    ogc = _get(client, token_of[name], "/ogc/collections/hexagones/items", limit=10_000)["features"]
    assert {f["properties"]["h3"]: f["properties"]["count"] for f in ogc} == heat


@pytest.mark.parametrize("name", READERS)
def test_raw_events(client: TestClient, token_of: dict[str, str], name: str) -> None:
    audience = _audience(name)
    response = client.get("/api/v1/events", params={"period": PERIOD},
                          headers={"Authorization": f"Bearer {token_of[name]}"})  # fmt: skip
    if READERS[name][0] in ("elu", "public"):
        assert response.status_code == 403
        return
    properties = [f["properties"] for f in response.json()["features"]]
    assert properties
    assert not audience.suppressed or not {p["category"] for p in properties} & set(SENSITIVE)
    if audience.own_source:
        assert {p["source"] for p in properties} == {audience.own_source}
    if audience.territories:
        assert {p["territory"] for p in properties} == set(audience.territories)


@pytest.mark.parametrize("name", ["elu", "elu-demo", "police-neighbour"])
def test_report_numbers(api_engine: Engine, tmp_path: Path, name: str) -> None:
    nothing = _audience(name).nothing
    with api_engine.begin() as connection:
        files = write_report(connection, "monthly", "2026-03", _audience(name), tmp_path)
    table = pd.read_csv(next(path for path in files if path.name.endswith("comparaison.csv")), sep=";",
                        encoding="utf-8-sig", dtype=str).set_index("famille")  # fmt: skip
    from ols.nomenclature import FAMILY_BY_CODE

    truth = _truth(api_engine, name, "2026-03", "e.family")
    labels = {family.label: code for code, family in FAMILY_BY_CODE.items()}
    for label, value in table["mars 2026"].items():
        expected = (
            _truth(api_engine, name, "2026-03", "1").get(1, nothing)
            if label == "Total"
            else truth.get(labels[label], nothing)
        )
        assert value == ("< 5" if expected is None else str(expected)), (name, label)
    words = next(path for path in files if path.suffix == ".html").read_text(encoding="utf-8")
    assert ("catégories sensibles" in words) is _audience(name).suppressed
