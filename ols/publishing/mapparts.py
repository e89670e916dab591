"""The ground of a map export: communes with their inner borders and names, sectors, places by kind.

An intercommunal observatory's map must say which commune is which: every commune the reader sees
is drawn with its border (the borders between member communes too) and its name, on a white halo
so that it stays readable over the heatmap. When the map is cut to a commune or a sector, the
sectors of its commune are outlined and named. Places are drawn by kind, each kind with its own
marker and its French label in the legend.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import cycle
from typing import Any

import matplotlib.patheffects as effects
import shapely
from geoalchemy2 import Geometry
from matplotlib.collections import PatchCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon as PolygonPatch
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, cast, func, select

from ols.access.audience import Audience
from ols.cartography.zones import TO_L93, TO_WGS84, reproject
from ols.reference.areas import Area
from ols.reference.places import kind_label
from ols.store.models import Place, Sector, Territory

HALO = [effects.Stroke(linewidth=3.2, foreground="white")]
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


def label(axes: Any, text: str, at: tuple[float, float], **style: Any) -> None:
    """A name on a white halo: the halo drawn as an outline first, then the name as text (kept as text in a PDF,
    so that it can be searched and read aloud)."""
    axes.annotate(text, at, ha="center", va="center", path_effects=HALO, parse_math=False, **style)
    axes.annotate(text, at, ha="center", va="center", parse_math=False, **{**style, "zorder": style["zorder"] + 0.1})


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


def draw_communes(axes: Any, outlines: list[Outline], view: BaseGeometry) -> None:
    """Each commune filled, its border drawn (the inner borders between communes too), its name on a halo.

    A commune mostly outside the view (a neighbour of the commune asked for) is greyed, its name set on its own
    visible ground, or left out when little of it shows.
    """
    ground = extent(view)
    for outline in outlines:
        shown = outline.geom.intersection(ground)
        own = outline.geom.intersection(view).area >= 0.5 * shown.area if not shown.is_empty else False
        axes.add_collection(PatchCollection(patches(outline.geom), facecolor="#f4f4f4" if own else "#e4e4e4",
                                            edgecolor="#222222", linewidth=1.3, zorder=1))  # fmt: skip
        axes.add_collection(PatchCollection(patches(outline.geom), facecolor="none", edgecolor="#222222",
                                            linewidth=1.3, zorder=4))  # fmt: skip
        if shown.is_empty or shown.area < 0.03 * ground.area:
            continue
        point = (shown.intersection(view) if own else shown).representative_point()
        label(axes, outline.name, (point.x, point.y), fontsize=12 if own else 10, fontweight="bold",
              color="#222222" if own else "#777777", zorder=7)  # fmt: skip


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
