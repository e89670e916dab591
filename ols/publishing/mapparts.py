"""The ground of a map export: streets, communes with their inner borders and names, sectors, places by kind.

An intercommunal observatory's map must say which commune is which: every commune the reader sees
is drawn with its border (the borders between member communes too) and its name, on a white halo
so that it stays readable over the heatmap. When the map is cut to a commune or a sector, the
sectors of its commune are outlined and named. Places are drawn by kind, each kind with its own
marker and its French label in the legend. The streets of the loaded networks are drawn in light
grey under everything else, so that a reader finds their way without any tile server; the
communes' borders go on top of the heatmap, dark blue on a white casing, seen over every class.
The scale bar, the north arrow and the framing of a true-to-scale map are shared with the patrol
sheet (:mod:`ols.patrols.sheet`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import cycle
from typing import Any

import matplotlib.patheffects as effects
import numpy as np
import shapely
from geoalchemy2 import Geometry
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon as PolygonPatch
from shapely.geometry import LineString, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, cast, func, select

from ols.access.audience import Audience
from ols.cartography.zones import TO_L93, TO_WGS84, reproject
from ols.reference.areas import Area
from ols.reference.places import kind_label
from ols.reference.streets import streets_within
from ols.store.models import Place, Sector, Territory
from ols.wording import number

BORDER = "#08306b"  # dark blue: apart from every class of the yellow-to-red heat ramp, for colour-blind readers too
STREET = "#a0a0a0"
MAJOR_ROADS = ("motorway", "trunk", "primary", "secondary", "tertiary")
MARKERS = tuple(zip("o^sDvPX*", ("#1f4e9e", "#1b7837", "#762a83", "#b35806", "#2166ac", "#8c510a", "#01665e",
                                 "#c51b7d"), strict=True))  # fmt: skip


@dataclass(frozen=True)
class Outline:
    """A named polygon in Lambert-93: a commune or a sector."""

    name: str
    geom: BaseGeometry
    top: bool = True


def patches(geom: BaseGeometry) -> list[PolygonPatch]:
    """Matplotlib patches of a (multi)polygon's outer rings."""
    parts = getattr(geom, "geoms", [geom])
    return [PolygonPatch(list(part.exterior.coords), closed=True) for part in parts if part.geom_type == "Polygon"]


def label(axes: Any, text: str, at: tuple[float, float], *, halo: float = 3.2, **style: Any) -> tuple[Any, Any]:
    """A name on a white halo (``halo`` points wide): the halo drawn as an outline first, then the name as text
    (kept as text in a PDF, so that it can be searched and read aloud). Both annotations, for :func:`declutter`."""
    outline = [effects.Stroke(linewidth=halo, foreground="white")]
    under = axes.annotate(text, at, ha="center", va="center", path_effects=outline, parse_math=False, **style)
    name = axes.annotate(text, at, ha="center", va="center", parse_math=False,
                         **{**style, "zorder": style["zorder"] + 0.1})  # fmt: skip
    return under, name


OFFSETS = ((0, 0), (0, -18), (0, 18), (0, -32), (0, 32), (0, -46), (0, 46), (60, -24), (-60, 24), (60, 24),
           (-60, -24), (0, -60), (0, 60))  # fmt: skip


def declutter(axes: Any, fixed: list[tuple[Any, Any]], movable: list[tuple[Any, Any]]) -> None:
    """Move each ``movable`` label (a zone's) off the ``fixed`` ones (the communes' names) and off the labels
    already placed: the first of a few offsets (points) that overlaps none, else the one that overlaps least."""
    renderer = axes.figure.canvas.get_renderer()
    taken = [pair[1].get_window_extent(renderer) for pair in fixed]

    def overlap(pair: tuple[Any, Any], offset: tuple[int, int]) -> float:
        """The label moved to ``offset``; the area it shares with the labels taken."""
        for annotation in pair:
            annotation.xyann = offset
            annotation.set_anncoords("offset points")
        box = pair[1].get_window_extent(renderer).expanded(1.04, 1.15)
        widths = (max(0.0, min(box.x1, o.x1) - max(box.x0, o.x0)) for o in taken)
        heights = (max(0.0, min(box.y1, o.y1) - max(box.y0, o.y0)) for o in taken)
        return float(sum(w * h for w, h in zip(widths, heights, strict=True)))

    for pair in movable:
        best = min(OFFSETS, key=lambda offset: (overlap(pair, offset) > 0, overlap(pair, offset)))
        overlap(pair, best)
        taken.append(pair[1].get_window_extent(renderer))


def street_lines(connection: Connection, ground: BaseGeometry) -> list[tuple[LineString, bool]]:
    """The streets of the loaded networks within ``ground`` (Lambert-93), in Lambert-93, each with whether it is a
    main road (drawn wider); none when no network is loaded."""
    found = streets_within(connection, reproject(ground, TO_WGS84).bounds)
    if not found:
        return []
    lines = shapely.transform(np.array([line for line, _, _ in found]), TO_L93.transform, interleaved=False)
    return [(line, any(road in str(highway) for road in MAJOR_ROADS))
            for line, (_, highway, _) in zip(lines, found, strict=True)]  # fmt: skip


def draw_streets(axes: Any, lines: list[tuple[LineString, bool]], *, zorder: float = 1.5) -> list[Any]:
    """The streets as light grey lines (main roads wider) under the layers; the legend entry when there are any."""
    if not lines:
        return []
    segments = [np.asarray(line.coords)[:, :2] for line, _ in lines]
    widths = [1.3 if major else 0.7 for _, major in lines]
    axes.add_collection(LineCollection(segments, colors=STREET, linewidths=widths, capstyle="round", zorder=zorder))
    return [Line2D([], [], color=STREET, linewidth=1.1, label="Rues")]


def communes(connection: Connection, audience: Audience) -> list[Outline]:
    """The communes the audience sees (its area's territories), in Lambert-93."""
    rows = connection.execute(
        select(Territory.name, func.ST_AsGeoJSON(Territory.geom))
        .where(audience.own_territories().clause)
        .order_by(Territory.code)
    )
    return [Outline(name, reproject(shape(json.loads(geom)), TO_L93)) for name, geom in rows]


def sectors(connection: Connection, audience: Audience, area: Area) -> list[Outline]:
    """The sectors of the communes of ``area`` (none for the whole observatory), in Lambert-93."""
    if area.whole:
        return []
    rows = connection.execute(
        select(Sector.name, Sector.parent_id, func.ST_AsGeoJSON(Sector.geom))
        .join(Territory, Territory.id == Sector.territory_id)
        .where(area.territories(), audience.own_territories().clause)
        .order_by(Sector.code)
    )
    return [Outline(name, reproject(shape(json.loads(geom)), TO_L93), parent is None) for name, parent, geom in rows]


def extent(view: BaseGeometry) -> BaseGeometry:
    """The ground the map shows: the view's bounds with a 5 % margin (Lambert-93)."""
    west, south, east, north = view.bounds
    pad = max(east - west, north - south) * 0.05
    return shapely.box(west - pad, south - pad, east + pad, north + pad)


def draw_communes(axes: Any, outlines: list[Outline], view: BaseGeometry) -> list[tuple[Any, Any]]:
    """Each commune filled, its border drawn (the inner borders between communes too), its name on a halo; the
    names drawn.

    A commune mostly outside the view (a neighbour of the commune asked for) is greyed, its name set on its own
    visible ground, or left out when little of it shows.
    """
    ground, names = extent(view), []
    for outline in outlines:
        shown = outline.geom.intersection(ground)
        own = outline.geom.intersection(view).area >= 0.5 * shown.area if not shown.is_empty else False
        axes.add_collection(PatchCollection(patches(outline.geom), facecolor="#f4f4f4" if own else "#e4e4e4",
                                            edgecolor="#222222", linewidth=1.3, zorder=1))  # fmt: skip
        for colour, width, zorder in (("white", 3.4, 4.0), (BORDER, 1.4, 4.1)):  # over the heatmap, on a casing
            axes.add_collection(PatchCollection(patches(outline.geom), facecolor="none", edgecolor=colour,
                                                linewidth=width, zorder=zorder))  # fmt: skip
        if shown.is_empty or shown.area < 0.03 * ground.area:
            continue
        point = (shown.intersection(view) if own else shown).representative_point()
        names.append(label(axes, outline.name, (point.x, point.y), fontsize=12 if own else 10, fontweight="bold",
                           color="#222222" if own else "#777777", zorder=7))  # fmt: skip
    return names


def draw_sectors(axes: Any, outlines: list[Outline], view: BaseGeometry) -> list[Any]:
    """Sector outlines (dotted) and the names of the top-level ones; the legend entry when there are any."""
    if not outlines:
        return []
    for outline in outlines:
        width = 0.9 if outline.top else 0.5
        axes.add_collection(PatchCollection(patches(outline.geom), facecolor="none", edgecolor="#555555",
                                            linewidth=width, linestyle=":", zorder=3))  # fmt: skip
        inside = outline.geom.intersection(view)
        if outline.top and not inside.is_empty:
            point = inside.representative_point()
            label(
                axes,
                outline.name,
                (point.x, point.y),
                fontsize=6.5,
                color="#444444",
                zorder=6,
                xytext=(0, -14),
                textcoords="offset points",
            )  # under a commune's name set at the same point
    return [Line2D([], [], color="#555555", linestyle=":", linewidth=1.0, label="Limite de secteur")]


def draw_places(axes: Any, connection: Connection, view: BaseGeometry) -> list[Any]:
    """The named places within about 200 m of the view, one marker per kind; the legend entries (French kinds)."""
    west, south, east, north = reproject(view, TO_WGS84).bounds
    envelope = cast(func.ST_MakeEnvelope(west, south, east, north, 4326), Geometry(geometry_type=None,
                                                                                     spatial_index=False))  # fmt: skip
    rows = connection.execute(
        select(Place.kind, func.ST_X(Place.geom), func.ST_Y(Place.geom))
        .where(Place.geom.op("&&")(func.ST_Expand(envelope, 0.002)))
        .order_by(Place.kind)
    ).all()
    legend = []
    for (kind, points), (marker, colour) in zip(_by_kind(rows).items(), cycle(MARKERS), strict=False):
        x, y = TO_L93.transform([p[0] for p in points], [p[1] for p in points])
        axes.scatter(x, y, marker=marker, c=colour, s=22, edgecolors="white", linewidths=0.6, zorder=5)
        legend.append(Line2D([], [], marker=marker, color="none", markerfacecolor=colour, markeredgecolor="white",
                             markersize=7, label=kind_label(kind).capitalize()))  # fmt: skip
    return legend


def _by_kind(rows: Sequence[Any]) -> dict[str, list[tuple[float, float]]]:
    found: dict[str, list[tuple[float, float]]] = {}
    for kind, lon, lat in rows:
        found.setdefault(str(kind), []).append((float(lon), float(lat)))
    return found


def scale_and_north(axes: Any) -> None:
    """A true scale bar at the bottom left and a north arrow at the top right, on white so that they read over the
    map (Lambert-93's north is the page's up to within a degree over a commune)."""
    west, east = axes.get_xlim()
    south, north = axes.get_ylim()
    width = east - west
    length = next((n for n in (5000, 2000, 1000, 500, 200, 100, 50, 20) if n <= width / 4), 10)
    x0, y0 = west + width * 0.03, south + (north - south) * 0.04
    for colour, line_width in (("white", 6), ("black", 3)):
        axes.plot([x0, x0 + length], [y0, y0], color=colour, linewidth=line_width, zorder=8, solid_capstyle="butt")
    label(axes, f"{number(length)} m", (x0 + length / 2, y0 + (north - south) * 0.025), fontsize=8, zorder=8)
    axes.annotate("N", xy=(0.965, 0.96), xytext=(0.965, 0.87), xycoords="axes fraction", ha="center", fontsize=12,
                  fontweight="bold", zorder=8, bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none"},
                  arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5})  # fmt: skip


def filling(axes: Any, bounds: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """``bounds`` widened about their centre to the shape of the axes' box, so that a true-to-scale map fills it
    (Matplotlib would widen them itself, with a warning that reached the command line)."""
    west, south, east, north = bounds
    box = axes.get_position()
    width, height = axes.figure.get_size_inches()
    shape = (box.height * height) / (box.width * width)
    span_x, span_y = max(east - west, (north - south) / shape), max(north - south, (east - west) * shape)
    middle_x, middle_y = (west + east) / 2, (south + north) / 2
    return middle_x - span_x / 2, middle_y - span_y / 2, middle_x + span_x / 2, middle_y + span_y / 2
