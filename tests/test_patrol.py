"""Patrol plans on the real street graphs: street edges, one-way streets, dwell, shift, rotation, outputs."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import gpxpy
import networkx as nx
import numpy as np
import pytest
from pypdf import PdfReader

from ols.patrols.outputs import to_geojson, to_gpx
from ols.patrols.planning import STRAIGHT_LINE_NOTE, Candidate, Shift, parse_window, plan, rotate
from ols.patrols.sheet import to_pdf
from ols.reference.streets import graph_of, read_edges

WINDOW = parse_window("ven 18:00-23:00")
START = (2.1462, 48.9470)  # near the town hall of Maisons-Laffitte


@pytest.fixture(scope="module")
def laffitte(shared: Path) -> list[object]:
    return read_edges(shared / "street_network" / "maisons_laffitte_osmnx.graphml")  # type: ignore[return-value]


def _candidates(seed: int, count: int = 60) -> list[Candidate]:
    rng = np.random.default_rng(seed)
    points = zip(
        rng.uniform(2.140, 2.162, count), rng.uniform(48.938, 48.953, count), rng.uniform(1, 10, count), strict=True
    )
    return [Candidate(f"c{i}", lon, lat, float(w), f"lieu {i}") for i, (lon, lat, w) in enumerate(points)]


def test_window_parser() -> None:
    assert (WINDOW.weekday, WINDOW.minutes, sorted(WINDOW.hours())) == (4, 300, [18, 19, 20, 21, 22])
    assert parse_window("sam 22:00-02:00").minutes == 240
    with pytest.raises(ValueError, match="ven 18:00-23:00"):
        parse_window("friday evening")


@pytest.mark.parametrize("mode", ["pedestre", "vehicule"])
def test_routes_follow_streets_and_fit_the_shift(laffitte: list[object], mode: str) -> None:
    graph = graph_of(laffitte, mode)  # type: ignore[arg-type]
    directed = graph_of(laffitte, "vehicule")  # type: ignore[arg-type]
    result = plan(_candidates(1), Shift(WINDOW, 2, mode, START, 6, seed=7), graph)
    assert len(result.routes) == 2 and not result.straight_line
    for route in result.routes:
        assert route.stops, "each team gets stops"
        assert route.nodes[0] == route.nodes[-1]  # back to the start
        for u, v in zip(route.nodes, route.nodes[1:], strict=False):
            assert graph.has_edge(u, v)
            if mode == "vehicule":
                assert directed.has_edge(u, v)  # one-way streets only in their direction
        assert all(10 <= stop.dwell_min <= 16 for stop in route.stops)
        assert [stop.position for stop in route.stops] == list(range(1, len(route.stops) + 1))
        assert route.duration_min <= WINDOW.minutes
        assert route.line.coords[0] == route.line.coords[-1]
        stop_nodes = {stop.node for stop in route.stops}
        assert stop_nodes <= set(route.nodes)


def test_driving_respects_one_way_streets(laffitte: list[object]) -> None:
    one_way = [edge for edge in laffitte if edge.oneway]  # type: ignore[attr-defined]
    driving = graph_of(laffitte, "vehicule")  # type: ignore[arg-type]
    walking = graph_of(laffitte, "pedestre")  # type: ignore[arg-type]
    reverse_only_on_foot = [e for e in one_way if not driving.has_edge(e.v, e.u) and walking.has_edge(e.v, e.u)]
    assert len(one_way) > 50 and reverse_only_on_foot
    edge = reverse_only_on_foot[0]
    assert nx.shortest_path_length(driving, edge.v, edge.u, weight="length") > edge.length_m


def test_rotation_spreads_visits_over_nights(laffitte: list[object]) -> None:
    graph = graph_of(laffitte, "pedestre")  # type: ignore[arg-type]
    first = plan(_candidates(2), Shift(WINDOW, 2, "pedestre", START, 6, seed=11), graph)
    visited = {stop.candidate.key: 1 for route in first.routes for stop in route.stops}
    again = plan(_candidates(2), Shift(WINDOW, 2, "pedestre", START, 6, seed=11), graph)
    rotated = plan(rotate(_candidates(2), visited), Shift(WINDOW, 2, "pedestre", START, 6, seed=11), graph)
    keys = lambda p: {s.candidate.key for r in p.routes for s in r.stops}  # noqa: E731
    assert keys(again) == keys(first)  # same seed, same plan: reproducible
    assert len(keys(rotated) & keys(first)) < len(keys(first)) / 2


def test_straight_line_fallback_says_so() -> None:
    result = plan(_candidates(3), Shift(WINDOW, 1, "pedestre", START, 4, seed=1), None)
    assert result.straight_line and STRAIGHT_LINE_NOTE in result.notes
    route = result.routes[0]
    assert len(route.line.coords) == len(route.stops) + 2  # start, each stop, start
    assert to_geojson(result)["notes"] == [STRAIGHT_LINE_NOTE]


def test_outputs_gpx_geojson_pdf(laffitte: list[object]) -> None:
    graph = graph_of(laffitte, "cycliste")  # type: ignore[arg-type]
    result = plan(_candidates(4), Shift(WINDOW, 2, "cycliste", START, 5, seed=5), graph)
    gpx = gpxpy.parse(to_gpx(result))
    assert len(gpx.tracks) == 2 and len(gpx.waypoints) == sum(len(r.stops) for r in result.routes)
    collection = to_geojson(result)
    routes = [f for f in collection["features"] if f["properties"]["kind"] == "route"]
    assert [f["geometry"]["type"] for f in routes] == ["LineString", "LineString"]
    assert routes[0]["geometry"]["coordinates"][0] == routes[0]["geometry"]["coordinates"][-1]
    assert {"order", "arrival", "dwell_min", "reason"} <= set(collection["features"][1]["properties"])
    assert sum(collection["time_share_by_area"]["shares"].values()) == pytest.approx(1.0, abs=0.01)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(to_pdf(result))).pages)
    assert "Équipe 1" in text and "lieu " in text and "Plan de patrouille" in text


def test_montreal_segments_in_mtm8(shared: Path) -> None:
    edges = read_edges(shared / "street_network" / "montreal_spnetwork" / "networks.gpkg", layer="mtl_network")
    graph = graph_of(edges, "pedestre")
    lon, lat = graph.nodes[next(iter(graph.nodes))]["xy"]
    assert -74.0 < lon < -73.4 and 45.4 < lat < 45.7  # reprojected from EPSG:32188
    rng = np.random.default_rng(8)
    xs = np.array([graph.nodes[n]["xy"] for n in list(graph.nodes)[:: max(1, graph.number_of_nodes() // 80)]])
    candidates = [
        Candidate(f"m{i}", x, y, float(w), "test")
        for i, ((x, y), w) in enumerate(zip(xs, rng.uniform(1, 5, len(xs)), strict=True))
    ]
    result = plan(candidates, Shift(WINDOW, 2, "pedestre", tuple(xs[0]), 5, seed=2), graph)
    assert all(route.stops for route in result.routes)


def test_cli_plans_from_files_without_a_territory(database_url: str, shared: Path, tmp_path: Path) -> None:
    places = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
         "properties": {"name": c.key, "weight": c.weight}} for c in _candidates(5, 20)]}  # fmt: skip
    (tmp_path / "places.geojson").write_text(json.dumps(places), encoding="utf-8")
    env = dict(os.environ, OLS_DATABASE_URL=database_url)
    base = [sys.executable, "-m", "cli", "patrol", "plan", "--window", "ven 18:00-23:00", "--teams", "2",
            "--mode", "pedestre", "--start", f"{START[0]},{START[1]}", "--stops", "4", "--dwell", "12", "--seed", "3",
            "--streets", str(shared / "street_network" / "maisons_laffitte_osmnx.graphml"),
            "--candidates", str(tmp_path / "places.geojson")]  # fmt: skip
    for suffix in ("gpx", "geojson", "pdf"):
        out = tmp_path / f"plan.{suffix}"
        result = subprocess.run(
            [*base, "--out", str(out), "--json"], env=env, capture_output=True, text=True, check=True
        )
        assert json.loads(result.stdout)["teams"][0]["stops"] == 4 and out.stat().st_size > 500
    plan_id = json.loads(result.stdout)["plan_id"]
    logged = subprocess.run([sys.executable, "-m", "cli", "patrol", "log", "--plan", str(plan_id), "--team", "1",
                             "--stop", "2"], env=env, capture_output=True, text=True, check=True)  # fmt: skip
    assert "fait" in logged.stdout


def test_osm_xml_extract(tmp_path: Path) -> None:
    """A small OSM XML extract (the documented format): a two-way street and a one-way street."""
    osm = tmp_path / "quartier.osm"
    osm.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><osm version="0.6" generator="ols-test">'
        '<node id="1" lat="50.640" lon="3.100" version="1"/><node id="2" lat="50.640" lon="3.102" version="1"/>'
        '<node id="3" lat="50.641" lon="3.102" version="1"/><node id="4" lat="50.641" lon="3.100" version="1"/>'
        '<way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/></way>'
        '<way id="11" version="1"><nd ref="3"/><nd ref="4"/><nd ref="1"/><tag k="highway" v="residential"/>'
        '<tag k="oneway" v="yes"/></way></osm>',
        encoding="utf-8",
    )
    edges = read_edges(osm)
    assert sorted(edge.oneway for edge in edges) == [False, False, True]
    assert all(200 < edge.length_m < 300 for edge in edges)
    assert graph_of(edges, "vehicule").number_of_edges() < graph_of(edges, "pedestre").number_of_edges() + 1
    assert list(tmp_path.iterdir()) == [osm]  # nothing written beside the user's file
