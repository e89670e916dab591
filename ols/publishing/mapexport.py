"""Print-quality map snapshots for the bilan: PNG or PDF, A4 or A3 landscape, independent of any tile server.

The snapshot shows what its audience may see (the readers of :mod:`ols.access` cut every layer;
a layer it may not see is not drawn), in Lambert-93 so that the scale bar is true, with title,
period, legend, scale bar, north arrow, the partners' names, the method in words, who made it and
when, and the audience's marking ("DIFFUSION RESTREINTE" when it holds police-level data). The
loaded streets are drawn under the layers, the communes' borders over them, the zones' names on a
white halo set off the communes' names; the map fills its frame, its cells whole.
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
from sqlalchemy import Connection, select

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
    declutter,
    draw_communes,
    draw_places,
    draw_sectors,
    draw_streets,
    extent,
    filling,
    label,
    patches,
    scale_and_north,
    sectors,
    street_lines,
)
from ols.reference.areas import Area
from ols.reference.calendar import local_now
from ols.store.models import Source

logger = logging.getLogger(__name__)

PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
PAPERS = {"A4": (11.69, 8.27), "A3": (16.54, 11.69)}  # landscape, inches
RESOLUTIONS = (200, 300)  # dots per inch of a PNG
HEAT_ALPHA = 0.75  # the streets under the heatmap show through it
LAYERS = {"heatmap": Layer.HEATMAP, "zones": Layer.ZONES, "boundary": Layer.BOUNDARY, "places": Layer.PLACES,
          "deal_points": Layer.DEAL_POINTS}  # fmt: skip


@dataclass(frozen=True)
class Snapshot:
    """What to draw (the resolution defaults to the audience's usual one), of the whole observatory or of one of
    its communes or sectors (``area``), on which paper (A4 or A3, landscape) at which resolution (dpi), and the
    name of the person it is published by (``author``; the audience's name when None)."""

    period: Period
    layers: tuple[str, ...] = ("heatmap", "zones")
    resolution: int | None = None
    family: str | None = None
    area: Area = field(default_factory=Area)
    paper: str = "A4"
    dpi: int = 200
    author: str | None = None


@dataclass
class Drawn:
    """What the map drew: the legend entries, the communes' names (``fixed``), the zones' names (set off the
    communes') and the ground the frame must hold whole (the heatmap's cells, in Lambert-93)."""

    legend: list[Any] = field(default_factory=list)
    fixed: list[tuple[Any, Any]] = field(default_factory=list)
    names: list[tuple[Any, Any]] = field(default_factory=list)
    reach: list[BaseGeometry] = field(default_factory=list)


def _colour(count: int, limits: list[int]) -> str:
    index = next((i for i, limit in enumerate(limits) if count <= limit), len(limits) - 1)
    return PALETTE[min(index, len(PALETTE) - 1)]


def _draw_heatmap(
    axes: Any, connection: Connection, spec: Snapshot, audience: Audience, view: BaseGeometry | None
) -> tuple[list[Patch], list[BaseGeometry]]:
    """The heatmap's cells (those meeting the area asked for, ``view`` in WGS84): its legend and the cells drawn
    (Lambert-93)."""
    shown = visible_cells(connection, HeatmapQuery(spec.period, spec.resolution, spec.family), audience)
    if view is not None:
        shown = [(cell, count) for cell, count in shown if polygon(cell).intersects(view)]
    limits = breaks([n for _, n in shown])
    hexagons, colours, cells = [], [], [reproject(polygon(cell), TO_L93) for cell, _ in shown]
    for cell, (_, count) in zip(cells, shown, strict=True):
        for patch in patches(cell):
            hexagons.append(patch)
            colours.append(_colour(count, limits))
    axes.add_collection(PatchCollection(hexagons, facecolor=colours, edgecolor="#666666", linewidth=0.2,
                                        alpha=HEAT_ALPHA, zorder=2))  # fmt: skip
    legend, low = [], audience.threshold if audience.suppressed else 1
    for index, limit in enumerate(limits):
        said = f"{low} fait" + ("s" if low > 1 else "") if low == limit else f"{low} à {limit} faits"
        legend.append(Patch(facecolor=PALETTE[min(index, 4)], edgecolor="#666666", label=said))
        low = limit + 1
    if audience.suppressed:
        label = f"sans couleur : < {audience.threshold} faits"
        legend.append(Patch(facecolor="white", edgecolor="#666666", label=label))
    return legend, cells


def _draw_zones(axes: Any, connection: Connection, spec: Snapshot, audience: Audience, drawn: Drawn) -> None:
    """The zones (of the area asked for) with their names, dark on a wide white halo (never dark red on the
    heatmap's dark red); the legend of the kinds drawn."""
    kinds: set[str] = set()
    for feature in zones_geojson(connection, spec.period, audience, spec.area)["features"]:
        computed = feature["properties"]["kind"] == "computed"
        kinds.add(feature["properties"]["kind"])
        geom = reproject(shape(feature["geometry"]), TO_L93)
        axes.add_collection(PatchCollection(patches(geom), facecolor="none", linewidth=1.6,
                                            edgecolor="#e66101" if computed else "#5e3c99",
                                            linestyle="--" if computed else "-"))  # fmt: skip
        centre = geom.representative_point()
        first, _, near = str(feature["properties"]["name"]).partition(" (")  # « n°1 » over « (près de … »
        name = "\n".join([first, *textwrap.wrap(f"({near}", 40)]) if near else first
        drawn.names.append(label(axes, name, (centre.x, centre.y), fontsize=6.5, color="#3f007d" if not computed
                                 else "#5a1a00", zorder=6, halo=4.5))  # fmt: skip
    legend = {
        "computed": Patch(facecolor="none", edgecolor="#e66101", linestyle="--", label="Zone de vigilance calculée"),
        "declared": Patch(facecolor="none", edgecolor="#5e3c99", label="Zone de vigilance déclarée"),
    }
    drawn.legend += [patch for kind, patch in legend.items() if kind in kinds]


def _scatter(axes: Any, points: list[Any], style: dict[str, Any], label: str) -> list[Patch]:
    if not points:
        return []
    x, y = TO_L93.transform([p[0] for p in points], [p[1] for p in points])
    axes.scatter(x, y, zorder=5, **style)
    return [Patch(facecolor=style["c"], edgecolor="#333333", label=label)]


def _drawn(spec: Snapshot, audience: Audience, image_format: str) -> set[str]:
    """The layers to draw: those asked for that the audience may see (the paper and resolution checked)."""
    unknown = [layer for layer in spec.layers if layer not in LAYERS]
    if unknown or image_format not in ("png", "pdf"):
        msg = f"couches parmi {', '.join(LAYERS)} et format png ou pdf (reçu : {', '.join(unknown) or image_format})"
        raise InvalidInputError(msg)
    if spec.paper not in PAPERS or spec.dpi not in RESOLUTIONS:
        msg = f"papier A4 ou A3 et résolution de 200 ou 300 dpi (reçu : {spec.paper}, {spec.dpi} dpi)"
        raise InvalidInputError(msg)
    return {layer for layer in spec.layers if audience.may(LAYERS[layer])}


def _caveats(figure: Any, top: float) -> None:
    """The caveats of :mod:`ols.caveats`, under the legend (``top``, a fraction of the page's height): no map leaves
    without them."""
    lines: list[str] = []
    for caveat in CAVEATS:
        lines += [*textwrap.wrap(caveat, 60), ""]
    figure.text(0.765, top, TITLE, fontsize=7.5, fontweight="bold", va="top", parse_math=False)
    figure.text(0.765, top - 0.025, "\n".join(lines), fontsize=5.6, va="top", parse_math=False, linespacing=1.25)


def _ground(axes: Any, connection: Connection, spec: Snapshot, audience: Audience) -> tuple[BaseGeometry, str, Drawn]:
    """Communes (inner borders and names) and, for a commune or a sector, its sectors; the view (Lambert-93),
    its name, the legend of the sectors and the communes' names. The view is the area asked for, else the
    audience's communes."""
    outlines = communes(connection, audience)
    if not outlines:
        msg = "aucun territoire chargé : chargez les communes de l'observatoire (ols territory load)"
        raise InvalidInputError(msg)
    whole = shapely.union_all([outline.geom for outline in outlines])
    asked = None if spec.area.whole else spec.area.geometry(connection)
    view = whole if asked is None else reproject(asked, TO_L93).intersection(whole)
    names = draw_communes(axes, outlines, view)
    if asked is not None:
        axes.add_collection(PatchCollection(patches(view), facecolor="none", edgecolor="#000000", linewidth=2.4,
                                            zorder=4.2))  # fmt: skip
    legend = draw_sectors(axes, sectors(connection, audience, spec.area), view)
    return view, spec.area.label(connection), Drawn(legend, fixed=names)


def _frame(axes: Any, view: BaseGeometry, reach: list[BaseGeometry]) -> BaseGeometry:
    """The map's extent: the view and the cells drawn (``reach``, whole) with a margin, widened to fill the map's
    frame (a narrow sector shows its surroundings rather than leaving the north arrow over it), true to scale, with
    its scale bar and north arrow; the ground shown (Lambert-93)."""
    west, south, east, north = filling(axes, extent(shapely.box(*shapely.total_bounds([view, *reach]))).bounds)
    axes.set_xlim(west, east)
    axes.set_ylim(south, north)
    axes.set_aspect("equal", adjustable="box")
    axes.set_axis_off()
    axes.apply_aspect()  # the limits as drawn, for the scale bar
    scale_and_north(axes)
    return shapely.box(west, south, east, north)


def _layers(
    axes: Any, connection: Connection, spec: Snapshot, audience: Audience, view: BaseGeometry, drawn: Drawn
) -> None:
    """The layers the audience may see that were asked for, added to ``drawn``."""
    if "heatmap" in spec.layers:
        asked = None if spec.area.whole else reproject(view, TO_WGS84)
        legend, drawn.reach = _draw_heatmap(axes, connection, spec, audience, asked)
        drawn.legend += legend
    if "zones" in spec.layers:
        _draw_zones(axes, connection, spec, audience, drawn)
    if "places" in spec.layers:
        drawn.legend += draw_places(axes, connection, view)
    if "deal_points" in spec.layers:
        points = [feature["geometry"]["coordinates"] for feature in listing(connection, audience)["features"]]
        drawn.legend += _scatter(axes, points, {"c": "#f768a1", "s": 30, "edgecolors": "#7a0177"}, "Point de deal")


def draw(connection: Connection, spec: Snapshot, audience: Audience, *, image_format: str = "png") -> Figure:
    """The snapshot as a Matplotlib figure (A4 or A3 landscape, Lambert-93 axes), to save or to inspect."""
    spec = replace(spec, layers=tuple(sorted(_drawn(spec, audience, image_format))))
    resolution = audience.resolution(spec.resolution)
    metadata = layer_metadata(connection, spec.period, family=spec.family or "*", resolution=resolution)
    figure = plt.figure(figsize=PAPERS[spec.paper], dpi=spec.dpi)
    axes = figure.add_axes((0.01, 0.085, 0.745, 0.80))
    view, place, drawn = _ground(axes, connection, spec, audience)
    _layers(axes, connection, spec, audience, view, drawn)
    drawn.legend[:0] = draw_streets(axes, street_lines(connection, _frame(axes, view, drawn.reach)))
    declutter(axes, drawn.fixed, drawn.names)
    scope = "toutes familles" if not spec.family else f"famille {spec.family}"
    figure.text(0.015, 0.945, f"Observatoire Local de la Sécurité — {metadata['label']}", fontsize=16,
                fontweight="bold")  # fmt: skip
    figure.text(0.015, 0.905, f"{place} — carte de chaleur H3 (maille {resolution}), {scope}, zones de vigilance",
                fontsize=10, parse_math=False)  # fmt: skip
    legend = figure.legend(handles=drawn.legend, loc="upper left", bbox_to_anchor=(0.76, 0.885), title="Légende",
                           fontsize=8, title_fontsize=10, frameon=True)  # fmt: skip
    bottom = legend.get_window_extent().y0 / figure.bbox.height
    _caveats(figure, bottom - 0.03)
    figure.text(0.015, 0.015, _filled(figure, _footer(connection, metadata, audience, spec.author), 6.5),
                fontsize=6.5, parse_math=False)  # fmt: skip
    if audience.marking:
        figure.text(0.985, 0.945, audience.marking, fontsize=14, color="#b30000", ha="right", fontweight="bold")
    return figure


def render(connection: Connection, spec: Snapshot, audience: Audience, *, image_format: str) -> bytes:
    """The snapshot as PNG or PDF bytes."""
    figure = draw(connection, spec, audience, image_format=image_format)
    buffer = io.BytesIO()
    options: dict[str, Any] = {"pil_kwargs": {"compress_level": 3}} if image_format == "png" else {}  # faster
    figure.savefig(buffer, format=image_format, dpi=spec.dpi, **options)
    plt.close(figure)
    return buffer.getvalue()


def _filled(figure: Figure, text: str, size: float) -> str:
    """``text`` wrapped to the page's width at ``size`` points, from the width of its first 200 characters
    (Matplotlib's own wrapping measures the line again at every word: seconds for a footer)."""
    sample = figure.text(0, 0, text[:200], fontsize=size, parse_math=False)
    per_character = sample.get_window_extent().width / len(text[:200])
    sample.remove()
    return textwrap.fill(text, int(figure.bbox.width * 0.96 / per_character), break_on_hyphens=False)  # Getis-Ord whole


def partner_names(connection: Connection, codes: list[str]) -> list[str]:
    """The partners' names for their source codes (a code no longer in ``source`` stays as it is), by name."""
    names: dict[str, str] = dict(
        connection.execute(select(Source.code, Source.name).where(Source.code.in_(codes))).all()
    )
    return sorted(names.get(code) or code for code in codes)


def _footer(connection: Connection, metadata: dict[str, Any], audience: Audience, author: str | None) -> str:
    """Partners, method in words, projection, who published the map (``author``, else the audience's name) and
    when, and what was protected."""
    sources = ", ".join(partner_names(connection, list(metadata["sources"]))) or "—"
    footer = (f"Sources : {sources}. Méthode : {one_line(metadata['method'])} Projection Lambert-93 (EPSG:2154). "
              f"Généré le {local_now(connection):%d/%m/%Y à %H:%M} par {author or audience.name} "
              f"({audience.label}).")  # fmt: skip
    if audience.suppressed:
        footer += (f" Catégories sensibles exclues ; effectifs inférieurs à {audience.threshold} masqués "
                   f"(zéro compris), autres arrondis à {audience.threshold} près.")  # fmt: skip
    return footer


def export_map(connection: Connection, spec: Snapshot, audience: Audience, out: Path) -> Path:
    """Write the snapshot to ``out`` (its suffix says PNG or PDF)."""
    out.write_bytes(render(connection, spec, audience, image_format=out.suffix.lstrip(".").lower()))
    logger.info("carte de %s exportée dans %s pour %s (%s)", spec.period.name, out, audience.name, audience.label)
    return out
