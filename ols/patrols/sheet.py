"""The printable patrol plan (A4 PDF): the routes over the streets, each stop named and timed, scale, north, marking.

A team reads the sheet in a car or on foot, without a screen: the streets of the loaded network
(or of the file the plan was routed on) are drawn under the routes, each stop carries its number
and planned time on the map and its name (the nearest named place, else the nearest named street)
in the list under it; the legend sits under the map so that it covers no stop. A plan says where
and when the police municipale patrols: every page is marked "DIFFUSION RESTREINTE".
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import shapely
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.collections import LineCollection
from pyproj import Transformer
from shapely.geometry import LineString, Point
from sqlalchemy import Connection, func, select

from ols.patrols.planning import Plan, Stop
from ols.publishing.mapparts import STREET, filling, label, scale_and_north
from ols.reference.streets import Edge, streets_within
from ols.store.models import Place
from ols.wording import number

MARKING = "DIFFUSION RESTREINTE"
MODE_LABELS = {"pedestre": "pédestre", "cycliste": "cycliste", "vehicule": "véhicule"}
COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e")
PLACE_REACH_M = 150.0  # a place further than this from a stop does not name it
STREET_REACH_M = 80.0
A4_PORTRAIT = (8.27, 11.69)


@dataclass(frozen=True)
class Backdrop:
    """What the sheet draws under the routes (street lines, WGS84) and the stops' names by candidate key."""

    streets: list[LineString] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)


def _points(result: Plan) -> list[tuple[float, float]]:
    points = [result.start, *[(s.candidate.lon, s.candidate.lat) for r in result.routes for s in r.stops]]
    return points + [point for route in result.routes for point in route.line.coords]


def _box(result: Plan, margin: float = 0.004) -> tuple[float, float, float, float]:
    """The plan's bounds (start, stops, routes) widened by ``margin`` degrees (about 300 m), WGS84."""
    west, south, east, north = shapely.MultiPoint(_points(result)).bounds
    return west - margin, south - margin, east + margin, north + margin


def _own_streets(edges: list[Edge], box: tuple[float, float, float, float]) -> list[tuple[LineString, str | None]]:
    """The streets of the file a plan was routed on within ``box``, each street once (not both directions)."""
    area = shapely.box(*box)
    return [(e.geom, e.name) for e in edges if (e.oneway or e.u <= e.v) and e.geom.intersects(area)]


def _metres(result: Plan) -> Transformer:
    """A projection in metres centred on the start (true distances over a commune, anywhere on the globe)."""
    lon, lat = result.start
    return Transformer.from_crs(4326, f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m", always_xy=True)


def _place_name(connection: Connection, stop: Stop) -> str | None:
    """The named place nearest the stop, if within :data:`PLACE_REACH_M`."""
    point = func.ST_SetSRID(func.ST_MakePoint(stop.candidate.lon, stop.candidate.lat), 4326)
    row = connection.execute(
        select(Place.name, func.ST_DistanceSphere(Place.geom, point)).order_by(Place.geom.op("<->")(point)).limit(1)
    ).first()
    return str(row[0]) if row is not None and row[1] <= PLACE_REACH_M else None


def _street_names(stops: list[Stop], streets: list[tuple[LineString, str | None]], metres: Transformer) -> list[str]:
    """The name of the named street nearest each stop (within :data:`STREET_REACH_M`), else ""."""
    named = [(line, name) for line, name in streets if name and name not in ("None", "nan")]
    if not named:
        return ["" for _ in stops]
    lines = shapely.transform(np.array([line for line, _ in named]), metres.transform, interleaved=False)
    tree = shapely.STRtree(lines)
    found = []
    for stop in stops:
        point = Point(metres.transform(stop.candidate.lon, stop.candidate.lat))
        nearest = tree.query_nearest(point, max_distance=STREET_REACH_M)
        found.append(named[int(nearest[0])][1] or "" if len(nearest) else "")
    return found


def backdrop(connection: Connection, result: Plan, edges: list[Edge] | None = None) -> Backdrop:
    """The streets around a plan (those of ``edges`` when the plan was routed on a file, else the loaded networks')
    and each stop's name: the nearest named place, else the nearest named street, else none."""
    box = _box(result)
    if edges is not None:
        streets = _own_streets(edges, box)
    else:
        streets = [(line, name) for line, _, name in streets_within(connection, box)]
    stops = [stop for route in result.routes for stop in route.stops]
    by_street = _street_names(stops, streets, _metres(result))
    names = {
        stop.candidate.key: _place_name(connection, stop) or street
        for stop, street in zip(stops, by_street, strict=True)
    }
    return Backdrop([line for line, _ in streets], {key: name for key, name in names.items() if name})


def _draw_map(axes: Any, result: Plan, ground: Backdrop) -> None:
    """Streets (grey), routes and numbered, timed stops (a team's colour), the start; framed, with scale and north."""
    metres = _metres(result)
    if ground.streets:
        lines = shapely.transform(np.array(ground.streets), metres.transform, interleaved=False)
        axes.add_collection(LineCollection(
            [np.asarray(line.coords)[:, :2] for line in lines], colors=STREET, linewidths=0.7, zorder=1))  # fmt: skip
        axes.plot([], [], color=STREET, linewidth=1, label="Rues")
    for route in result.routes:
        colour = COLOURS[(route.team - 1) % len(COLOURS)]
        coords = np.asarray(route.line.coords)
        xs, ys = metres.transform(coords[:, 0], coords[:, 1])
        axes.plot(xs, ys, color=colour, linewidth=1.8, label=f"Équipe {route.team}", zorder=2)
        for stop in route.stops:
            x, y = metres.transform(stop.candidate.lon, stop.candidate.lat)
            axes.scatter(x, y, color=colour, s=45, zorder=3, edgecolors="white", linewidths=0.8)
            label(axes, f"{stop.position} · {stop.arrival}", (x, y), fontsize=7, color="#111111", zorder=4,
                  xytext=(0, 8), textcoords="offset points")  # fmt: skip
    axes.scatter(*metres.transform(*result.start), marker="*", s=180, color="black", zorder=5, label="Départ / retour")
    west, south, east, north = shapely.MultiPoint([metres.transform(*p) for p in _points(result)]).bounds
    pad = max(east - west, north - south, 400.0) * 0.08 + max(0.0, 400.0 - max(east - west, north - south)) / 2
    west, south, east, north = filling(axes, (west - pad, south - pad, east + pad, north + pad))
    axes.set_xlim(west, east)
    axes.set_ylim(south, north)
    axes.set_aspect("equal", adjustable="box")
    axes.set_xticks([])
    axes.set_yticks([])
    axes.apply_aspect()
    scale_and_north(axes)


def _stop_lines(route: Any, ground: Backdrop, *, reasons: bool) -> list[str]:
    """Each stop of a team: number, planned time, dwell, name (and the reason, on the team's own page)."""
    lines = []
    for stop in route.stops:
        name = ground.names.get(stop.candidate.key, "lieu sans nom")
        lines.append(f"{stop.position:>2}. {stop.arrival}  {name}  ({stop.dwell_min} min)"
                     + (f" — {stop.candidate.reason}" if reasons else ""))  # fmt: skip
    return lines


def _header(figure: Any, text: str) -> None:
    figure.text(0.05, 0.965, text, fontsize=12, fontweight="bold", va="top", parse_math=False)
    figure.text(0.95, 0.965, MARKING, fontsize=11, color="#b30000", fontweight="bold", ha="right", va="top")


def _first_page(result: Plan, ground: Backdrop) -> Any:
    """The map, its legend under it, then each team's stops with their names and times."""
    figure = plt.figure(figsize=A4_PORTRAIT)
    _header(figure, f"Plan de patrouille — {result.window.text} — {MODE_LABELS.get(result.mode, result.mode)}")
    axes = figure.add_axes((0.05, 0.31, 0.9, 0.63))
    _draw_map(axes, result, ground)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.005), ncol=4, fontsize=8, frameon=False)
    for index, route in enumerate(result.routes):  # three teams a row
        text = "\n".join([f"Équipe {route.team}", *_stop_lines(route, ground, reasons=False)])
        figure.text(0.05 + index % 3 * 0.31, 0.265 - index // 3 * 0.12, text, fontsize=6.5, va="top",
                    parse_math=False, linespacing=1.3)  # fmt: skip
    if result.notes:
        figure.text(0.05, 0.03, " ; ".join(result.notes), fontsize=8, color="#b30000", parse_math=False)
    return figure


def to_pdf(result: Plan, ground: Backdrop | None = None) -> bytes:
    """A printable A4: the routes on their streets on one page, then each team's stops with times, names and
    reasons; every page marked."""
    ground = ground or Backdrop()
    buffer = io.BytesIO()
    with PdfPages(buffer) as pdf:
        figure = _first_page(result, ground)
        pdf.savefig(figure)
        plt.close(figure)
        for route in result.routes:
            figure = plt.figure(figsize=A4_PORTRAIT)
            length = number(route.distance_m / 1000, 1)
            _header(
                figure, f"Équipe {route.team} — {len(route.stops)} arrêts, {length} km, {route.duration_min:.0f} min"
            )
            lines = _stop_lines(route, ground, reasons=True)
            figure.text(0.06, 0.9, "\n".join(lines), fontsize=9, va="top", wrap=True, parse_math=False)
            pdf.savefig(figure)
            plt.close(figure)
    return buffer.getvalue()
