"""Print-quality map snapshots for the bilan: PNG or PDF, A4 landscape, independent of any tile server.

The snapshot shows what its audience may see (the readers of :mod:`ols.access` cut every layer;
a layer it may not see is not drawn), in Lambert-93 so that the scale bar is true, with title,
period, legend, scale bar, north arrow, sources, method, generation date and the audience's
marking ("DIFFUSION RESTREINTE" when it holds police-level data).
"""

from __future__ import annotations

import io
import json
import logging
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from geoalchemy2 import Geometry
from matplotlib.collections import PatchCollection
from matplotlib.patches import Patch
from matplotlib.patches import Polygon as PolygonPatch
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, Select, cast, func, select

from ols.access.audience import Audience
from ols.access.dealpoints import listing
from ols.access.roles import Layer
from ols.cartography.grid import polygon
from ols.cartography.heatmap import HeatmapQuery, breaks, visible_cells
from ols.cartography.layers import layer_metadata, zones_geojson
from ols.cartography.zones import TO_L93, reproject
from ols.caveats import CAVEATS, TITLE, one_line
from ols.errors import InvalidInputError
from ols.periods import Period
from ols.reference.calendar import local_now
from ols.store.models import Place, Territory

logger = logging.getLogger(__name__)

PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
A4_LANDSCAPE = (11.69, 8.27)
DPI = 200
LAYERS = {"heatmap": Layer.HEATMAP, "zones": Layer.ZONES, "boundary": Layer.BOUNDARY, "places": Layer.PLACES,
          "deal_points": Layer.DEAL_POINTS}  # fmt: skip


@dataclass(frozen=True)
class Snapshot:
    """What to draw (the resolution defaults to the audience's usual one)."""

    period: Period
    layers: tuple[str, ...] = ("heatmap", "zones")
    resolution: int | None = None
    family: str | None = None


def _patches(geom: BaseGeometry) -> list[PolygonPatch]:
    parts = getattr(geom, "geoms", [geom])
    return [PolygonPatch(list(part.exterior.coords), closed=True) for part in parts if part.geom_type == "Polygon"]


def _colour(count: int, limits: list[int]) -> str:
    index = next((i for i, limit in enumerate(limits) if count <= limit), len(limits) - 1)
    return PALETTE[min(index, len(PALETTE) - 1)]


def _draw_heatmap(axes: Any, connection: Connection, spec: Snapshot, audience: Audience) -> list[Patch]:
    shown = visible_cells(connection, HeatmapQuery(spec.period, spec.resolution, spec.family), audience)
    limits = breaks([n for _, n in shown])
    patches, colours = [], []
    for cell, count in shown:
        for patch in _patches(reproject(polygon(cell), TO_L93)):
            patches.append(patch)
            colours.append(_colour(count, limits))
    axes.add_collection(PatchCollection(patches, facecolor=colours, edgecolor="#666666", linewidth=0.2, alpha=0.8))
    legend, low = [], audience.threshold if audience.suppressed else 1
    for index, limit in enumerate(limits):
        legend.append(Patch(facecolor=PALETTE[min(index, 4)], edgecolor="#666666", label=f"{low} – {limit} faits"))
        low = limit + 1
    if audience.suppressed:
        label = f"sans couleur : < {audience.threshold} faits"
        legend.append(Patch(facecolor="white", edgecolor="#666666", label=label))
    return legend


def _draw_zones(axes: Any, connection: Connection, spec: Snapshot, audience: Audience) -> list[Patch]:
    for feature in zones_geojson(connection, spec.period, audience)["features"]:
        computed = feature["properties"]["kind"] == "computed"
        geom = reproject(shape(feature["geometry"]), TO_L93)
        axes.add_collection(PatchCollection(_patches(geom), facecolor="none", linewidth=1.6,
                                            edgecolor="#e66101" if computed else "#5e3c99",
                                            linestyle="--" if computed else "-"))  # fmt: skip
        centre = geom.representative_point()
        axes.annotate(feature["properties"]["name"], (centre.x, centre.y), fontsize=6, ha="center", parse_math=False,
                      color="#5e3c99" if not computed else "#a63603")  # fmt: skip
    return [Patch(facecolor="none", edgecolor="#e66101", linestyle="--", label="Zone de vigilance calculée"),
            Patch(facecolor="none", edgecolor="#5e3c99", label="Zone de vigilance déclarée")]  # fmt: skip


def _scatter(axes: Any, points: list[Any], style: dict[str, Any], label: str) -> list[Patch]:
    if not points:
        return []
    x, y = TO_L93.transform([p[0] for p in points], [p[1] for p in points])
    axes.scatter(x, y, zorder=5, **style)
    return [Patch(facecolor=style["c"], edgecolor="#333333", label=label)]


def _draw_points(
    axes: Any, connection: Connection, points: Select[Any], style: dict[str, Any], label: str
) -> list[Patch]:
    return _scatter(axes, list(connection.execute(points).all()), style, label)


def _places_near_territories() -> Select[Any]:
    """(lon, lat) of the named places within about 200 m of the territories' extent."""
    extent = cast(func.ST_Extent(Territory.geom), Geometry(geometry_type=None, spatial_index=False))
    around = select(func.ST_Expand(extent, 0.002)).scalar_subquery()
    return select(func.ST_X(Place.geom), func.ST_Y(Place.geom)).where(Place.geom.op("&&")(around))


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


def _outline(connection: Connection, audience: Audience) -> Any:
    """The audience's territories as one outline, in Lambert-93."""
    union = select(func.ST_AsGeoJSON(func.ST_Union(Territory.geom))).where(audience.own_territories().clause)
    return reproject(shape(json.loads(connection.execute(union).scalar_one())), TO_L93)


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


def render(connection: Connection, spec: Snapshot, audience: Audience, *, image_format: str) -> bytes:
    """The snapshot as PNG or PDF bytes."""
    drawn = _drawn(spec, audience, image_format)
    resolution = audience.resolution(spec.resolution)
    metadata = layer_metadata(connection, spec.period, family=spec.family or "*", resolution=resolution)
    figure = plt.figure(figsize=A4_LANDSCAPE, dpi=DPI)
    axes = figure.add_axes((0.03, 0.12, 0.72, 0.76))
    legend: list[Patch] = []
    boundary = _outline(connection, audience)
    axes.add_collection(PatchCollection(_patches(boundary), facecolor="#f4f4f4", edgecolor="#222222", linewidth=1.2))
    if "heatmap" in drawn:
        legend += _draw_heatmap(axes, connection, spec, audience)
    if "zones" in drawn:
        legend += _draw_zones(axes, connection, spec, audience)
    if "places" in drawn:
        legend += _draw_points(axes, connection, _places_near_territories(),
                               {"c": "#1f4e9e", "s": 18, "edgecolors": "white"}, "Lieu sensible")  # fmt: skip
    if "deal_points" in drawn:
        points = [feature["geometry"]["coordinates"] for feature in listing(connection, audience)["features"]]
        legend += _scatter(axes, points, {"c": "#f768a1", "s": 30, "edgecolors": "#7a0177"}, "Point de deal")
    west, south, east, north = boundary.bounds
    pad = max(east - west, north - south) * 0.05
    axes.set_xlim(west - pad, east + pad)
    axes.set_ylim(south - pad, north + pad)
    axes.set_aspect("equal")
    axes.set_axis_off()
    _scale_and_north(axes)
    scope = "toutes familles" if not spec.family else f"famille {spec.family}"
    figure.text(0.03, 0.94, f"Observatoire Local de la Sécurité — {metadata['label']}", fontsize=16, fontweight="bold")
    figure.text(0.03, 0.905, f"Carte de chaleur H3 (maille {resolution}), {scope}, zones de vigilance",
                fontsize=10)  # fmt: skip
    figure.legend(handles=legend, loc="upper left", bbox_to_anchor=(0.77, 0.88), title="Légende", fontsize=8,
                  title_fontsize=10, frameon=True)  # fmt: skip
    _caveats(figure)
    footer = (f"Sources : {', '.join(metadata['sources']) or '—'}. Méthode : {one_line()} Projection Lambert-93 "
              f"(EPSG:2154). Généré le {local_now(connection):%d/%m/%Y %H:%M} par {audience.name} "
              f"({audience.label}).")  # fmt: skip
    if audience.suppressed:
        footer += (f" Catégories sensibles exclues ; effectifs inférieurs à {audience.threshold} masqués "
                   f"(zéro compris), autres arrondis à {audience.threshold} près.")  # fmt: skip
    figure.text(0.03, 0.04, footer, fontsize=6.5, wrap=True, parse_math=False)
    if audience.marking:
        figure.text(0.97, 0.95, audience.marking, fontsize=14, color="#b30000", ha="right", fontweight="bold")
    buffer = io.BytesIO()
    figure.savefig(buffer, format=image_format, dpi=DPI)
    plt.close(figure)
    return buffer.getvalue()


def export_map(connection: Connection, spec: Snapshot, audience: Audience, out: Path) -> Path:
    """Write the snapshot to ``out`` (its suffix says PNG or PDF)."""
    out.write_bytes(render(connection, spec, audience, image_format=out.suffix.lstrip(".").lower()))
    logger.info("carte de %s exportée dans %s pour %s (%s)", spec.period.name, out, audience.name, audience.label)
    return out
