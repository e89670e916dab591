"""Print-quality map snapshots for the bilan: PNG or PDF, A4 landscape, independent of any tile server.

The snapshot shows what its audience may see (the readers of :mod:`ols.access` cut every layer;
a layer it may not see is not drawn), in Lambert-93 so that the scale bar is true, with title,
period, legend, scale bar, north arrow, sources, method, generation date and the audience's
marking ("DIFFUSION RESTREINTE" when it holds police-level data).
"""

from __future__ import annotations

import io
import logging
import textwrap
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import shapely
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection

from ols.access.audience import Audience
from ols.access.dealpoints import listing
from ols.access.roles import Layer
from ols.cartography.grid import polygon
from ols.cartography.heatmap import HeatmapQuery, breaks, visible_cells
from ols.cartography.layers import layer_metadata, zones_geojson
from ols.cartography.zones import TO_L93, TO_WGS84, reproject
from ols.caveats import CAVEATS, TITLE, one_line
from ols.errors import InvalidInputError
from ols.periods import Period
from ols.publishing.mapparts import (
    communes,
    draw_communes,
    draw_places,
    draw_sectors,
    extent,
    label,
    patches,
    sectors,
)
from ols.reference.areas import Area
from ols.reference.calendar import local_now

logger = logging.getLogger(__name__)

PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
A4_LANDSCAPE = (11.69, 8.27)
DPI = 200
LAYERS = {"heatmap": Layer.HEATMAP, "zones": Layer.ZONES, "boundary": Layer.BOUNDARY, "places": Layer.PLACES,
          "deal_points": Layer.DEAL_POINTS}  # fmt: skip


@dataclass(frozen=True)
class Snapshot:
    """What to draw (the resolution defaults to the audience's usual one), of the whole observatory or of one of
    its communes or sectors (``area``)."""

    period: Period
    layers: tuple[str, ...] = ("heatmap", "zones")
    resolution: int | None = None
    family: str | None = None
    area: Area = field(default_factory=Area)


def _colour(count: int, limits: list[int]) -> str:
    index = next((i for i, limit in enumerate(limits) if count <= limit), len(limits) - 1)
    return PALETTE[min(index, len(PALETTE) - 1)]


def _draw_heatmap(
    axes: Any, connection: Connection, spec: Snapshot, audience: Audience, view: BaseGeometry | None
) -> list[Patch]:
    """The heatmap's cells (those meeting the area asked for, ``view`` in WGS84) and its legend."""
    shown = visible_cells(connection, HeatmapQuery(spec.period, spec.resolution, spec.family), audience)
    if view is not None:
        shown = [(cell, count) for cell, count in shown if polygon(cell).intersects(view)]
    limits = breaks([n for _, n in shown])
    hexagons, colours = [], []
    for cell, count in shown:
        for patch in patches(reproject(polygon(cell), TO_L93)):
            hexagons.append(patch)
            colours.append(_colour(count, limits))
    axes.add_collection(PatchCollection(hexagons, facecolor=colours, edgecolor="#666666", linewidth=0.2, alpha=0.8))
    legend, low = [], audience.threshold if audience.suppressed else 1
    for index, limit in enumerate(limits):
        said = f"{low} fait" + ("s" if low > 1 else "") if low == limit else f"{low} à {limit} faits"
        legend.append(Patch(facecolor=PALETTE[min(index, 4)], edgecolor="#666666", label=said))
        low = limit + 1
    if audience.suppressed:
        label = f"sans couleur : < {audience.threshold} faits"
        legend.append(Patch(facecolor="white", edgecolor="#666666", label=label))
    return legend


def _draw_zones(axes: Any, connection: Connection, spec: Snapshot, audience: Audience) -> list[Patch]:
    """The zones (of the area asked for) with their names; the legend of the kinds drawn."""
    kinds: set[str] = set()
    for feature in zones_geojson(connection, spec.period, audience, spec.area)["features"]:
        computed = feature["properties"]["kind"] == "computed"
        kinds.add(feature["properties"]["kind"])
        geom = reproject(shape(feature["geometry"]), TO_L93)
        axes.add_collection(PatchCollection(patches(geom), facecolor="none", linewidth=1.6,
                                            edgecolor="#e66101" if computed else "#5e3c99",
                                            linestyle="--" if computed else "-"))  # fmt: skip
        centre = geom.representative_point()
        name = str(feature["properties"]["name"]).replace(" (", "\n(", 1)  # « n°1 » over « (près de …) »
        label(axes, name, (centre.x, centre.y), fontsize=6, color="#5e3c99" if not computed else "#a63603", zorder=6)
    legend = {
        "computed": Patch(facecolor="none", edgecolor="#e66101", linestyle="--", label="Zone de vigilance calculée"),
        "declared": Patch(facecolor="none", edgecolor="#5e3c99", label="Zone de vigilance déclarée"),
    }
    return [patch for kind, patch in legend.items() if kind in kinds]


def _scatter(axes: Any, points: list[Any], style: dict[str, Any], label: str) -> list[Patch]:
    if not points:
        return []
    x, y = TO_L93.transform([p[0] for p in points], [p[1] for p in points])
    axes.scatter(x, y, zorder=5, **style)
    return [Patch(facecolor=style["c"], edgecolor="#333333", label=label)]


def _scale_and_north(axes: Any) -> None:
    west, east = axes.get_xlim()
    south, north = axes.get_ylim()
    width = east - west
    length = next(n for n in (5000, 2000, 1000, 500, 200, 100) if n <= width / 4)
    x0, y0 = west + width * 0.04, south + (north - south) * 0.05
    axes.plot([x0, x0 + length], [y0, y0], color="black", linewidth=3)
    axes.text(x0 + length / 2, y0 + (north - south) * 0.015, f"{length:,} m".replace(",", " "), ha="center", fontsize=8)
    axes.annotate("N", xy=(0.96, 0.93), xytext=(0.96, 0.83), xycoords="axes fraction", ha="center", fontsize=12,
                  fontweight="bold", arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5})  # fmt: skip


def _drawn(spec: Snapshot, audience: Audience, image_format: str) -> set[str]:
    """The layers to draw: those asked for that the audience may see."""
    unknown = [layer for layer in spec.layers if layer not in LAYERS]
    if unknown or image_format not in ("png", "pdf"):
        msg = f"couches parmi {', '.join(LAYERS)} et format png ou pdf (reçu : {', '.join(unknown) or image_format})"
        raise InvalidInputError(msg)
    return {layer for layer in spec.layers if audience.may(LAYERS[layer])}


def _caveats(figure: Any) -> None:
    """The caveats of :mod:`ols.caveats`, under the legend: no map leaves without them."""
    lines: list[str] = []
    for caveat in CAVEATS:
        lines += [*textwrap.wrap(caveat, 62), ""]
    figure.text(0.77, 0.47, TITLE, fontsize=7.5, fontweight="bold", va="top", parse_math=False)
    figure.text(0.77, 0.45, "\n".join(lines), fontsize=5.6, va="top", parse_math=False, linespacing=1.25)


def _ground(
    axes: Any, connection: Connection, spec: Snapshot, audience: Audience
) -> tuple[BaseGeometry, str, list[Any]]:
    """Communes (inner borders and names) and, for a commune or a sector, its sectors; the view (Lambert-93),
    its name and the legend of the sectors. The view is the area asked for, else the audience's communes."""
    outlines = communes(connection, audience)
    if not outlines:
        msg = "aucun territoire chargé : chargez les communes de l'observatoire (ols territory load)"
        raise InvalidInputError(msg)
    whole = shapely.union_all([outline.geom for outline in outlines])
    asked = None if spec.area.whole else spec.area.geometry(connection)
    view = whole if asked is None else reproject(asked, TO_L93).intersection(whole)
    draw_communes(axes, outlines, view)
    if asked is not None:
        axes.add_collection(PatchCollection(patches(view), facecolor="none", edgecolor="#000000", linewidth=2.4,
                                            zorder=4))  # fmt: skip
    legend = draw_sectors(axes, sectors(connection, audience, spec.area), view)
    return view, spec.area.label(connection), legend


def _frame(axes: Any, view: BaseGeometry) -> None:
    """The map's extent: the view with a margin, widened to fill the map's frame (a narrow sector shows its
    surroundings rather than leaving the north arrow over it), true to scale, with its scale bar and north arrow."""
    west, south, east, north = _filling(axes, extent(view).bounds)
    axes.set_xlim(west, east)
    axes.set_ylim(south, north)
    axes.set_aspect("equal", adjustable="box")
    axes.set_axis_off()
    axes.apply_aspect()  # the limits as drawn, for the scale bar
    _scale_and_north(axes)


def _filling(axes: Any, bounds: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """``bounds`` widened about their centre to the shape of the axes' box, so that a true-to-scale map fills it
    (Matplotlib would widen them itself, with a warning that reached the command line)."""
    west, south, east, north = bounds
    box = axes.get_position()
    width, height = axes.figure.get_size_inches()
    shape = (box.height * height) / (box.width * width)
    span_x, span_y = max(east - west, (north - south) / shape), max(north - south, (east - west) * shape)
    middle_x, middle_y = (west + east) / 2, (south + north) / 2
    return middle_x - span_x / 2, middle_y - span_y / 2, middle_x + span_x / 2, middle_y + span_y / 2


def _layers(axes: Any, connection: Connection, spec: Snapshot, audience: Audience, view: BaseGeometry) -> list[Any]:
    """The layers the audience may see that were asked for; their legend entries."""
    drawn, legend = spec.layers, list[Any]()
    if "heatmap" in drawn:
        asked = None if spec.area.whole else reproject(view, TO_WGS84)
        legend += _draw_heatmap(axes, connection, spec, audience, asked)
    if "zones" in drawn:
        legend += _draw_zones(axes, connection, spec, audience)
    if "places" in drawn:
        legend += draw_places(axes, connection, view)
    if "deal_points" in drawn:
        points = [feature["geometry"]["coordinates"] for feature in listing(connection, audience)["features"]]
        legend += _scatter(axes, points, {"c": "#f768a1", "s": 30, "edgecolors": "#7a0177"}, "Point de deal")
    return legend


def draw(connection: Connection, spec: Snapshot, audience: Audience, *, image_format: str = "png") -> Figure:
    """The snapshot as a Matplotlib figure (A4 landscape, Lambert-93 axes), to save or to inspect."""
    spec = replace(spec, layers=tuple(sorted(_drawn(spec, audience, image_format))))
    resolution = audience.resolution(spec.resolution)
    metadata = layer_metadata(connection, spec.period, family=spec.family or "*", resolution=resolution)
    figure = plt.figure(figsize=A4_LANDSCAPE, dpi=DPI)
    axes = figure.add_axes((0.03, 0.12, 0.72, 0.76))
    view, place, legend = _ground(axes, connection, spec, audience)
    legend += _layers(axes, connection, spec, audience, view)
    _frame(axes, view)
    scope = "toutes familles" if not spec.family else f"famille {spec.family}"
    figure.text(0.03, 0.94, f"Observatoire Local de la Sécurité — {metadata['label']}", fontsize=16, fontweight="bold")
    figure.text(0.03, 0.905, f"{place} — carte de chaleur H3 (maille {resolution}), {scope}, zones de vigilance",
                fontsize=10, parse_math=False)  # fmt: skip
    figure.legend(handles=legend, loc="upper left", bbox_to_anchor=(0.77, 0.88), title="Légende", fontsize=8,
                  title_fontsize=10, frameon=True)  # fmt: skip
    _caveats(figure)
    figure.text(0.03, 0.04, _footer(connection, metadata, audience), fontsize=6.5, wrap=True, parse_math=False)
    if audience.marking:
        figure.text(0.97, 0.95, audience.marking, fontsize=14, color="#b30000", ha="right", fontweight="bold")
    return figure


def render(connection: Connection, spec: Snapshot, audience: Audience, *, image_format: str) -> bytes:
    """The snapshot as PNG or PDF bytes."""
    figure = draw(connection, spec, audience, image_format=image_format)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=image_format, dpi=DPI)
    plt.close(figure)
    return buffer.getvalue()


def _footer(connection: Connection, metadata: dict[str, Any], audience: Audience) -> str:
    """Sources, method, projection, who generated the map and when, and what was protected."""
    footer = (f"Sources : {', '.join(metadata['sources']) or '—'}. Méthode : {one_line(metadata['method'])} "
              f"Projection Lambert-93 (EPSG:2154). Généré le {local_now(connection):%d/%m/%Y %H:%M} par "
              f"{audience.name} ({audience.label}).")  # fmt: skip
    if audience.suppressed:
        footer += (f" Catégories sensibles exclues ; effectifs inférieurs à {audience.threshold} masqués "
                   f"(zéro compris), autres arrondis à {audience.threshold} près.")  # fmt: skip
    return footer


def export_map(connection: Connection, spec: Snapshot, audience: Audience, out: Path) -> Path:
    """Write the snapshot to ``out`` (its suffix says PNG or PDF)."""
    out.write_bytes(render(connection, spec, audience, image_format=out.suffix.lstrip(".").lower()))
    logger.info("carte de %s exportée dans %s pour %s (%s)", spec.period.name, out, audience.name, audience.label)
    return out
