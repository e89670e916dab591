"""A sheet as HTML and PDF (WeasyPrint): a small map, the tables and the hour × weekday grid in shades of grey
with its numbers printed, so that it reads on a black-and-white print.

The map draws the loaded streets, the outline of the place's ground or of the sector, the cameras' coverage,
mediation against the facts by place (hatched cells where mediation was present, labelled with its hours and
usual block; black pentagons, with their number, where facts occurred without a mediator: the cells and counts
of :class:`~ols.sheets.mediation.MediationPlace`, cut and published for the reader), and, for the readers who may
see each fact (:attr:`Audience.sheet_points`), the facts by family. Every symbol differs by shape or hatching, not
by colour alone, so that the map reads in black and white.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import h3
import matplotlib.pyplot as plt
import shapely
from jinja2 import Environment, PackageLoader, select_autoescape
from matplotlib.collections import PatchCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from shapely.geometry import Point, Polygon
from sqlalchemy import Connection, func, select
from weasyprint import HTML

from ols.analysis.profiles import WEEKDAYS
from ols.cartography.zones import TO_L93, TO_WGS84, reproject
from ols.coverage.shares import active
from ols.nomenclature import FAMILY_BY_CODE
from ols.publishing.mapparts import MARKERS, draw_streets, filling, label, patches, scale_and_north, street_lines
from ols.reference.calendar import calendar_of, local_now
from ols.sheets.content import Sheet, _scope
from ols.store.models import Camera, Event
from ols.wording import number

TEMPLATES = Environment(loader=PackageLoader("ols.sheets", "templates"), autoescape=select_autoescape(["html", "j2"]))
SHADES = ("#ffffff", "#e0e0e0", "#b0b0b0", "#707070", "#303030")
MARGIN = 120.0  # metres of ground drawn around the subject


def _facts_by_family(connection: Connection, sheet: Sheet) -> dict[str, list[tuple[float, float]]]:
    """Each fact's position by family, for readers who may see facts one by one."""
    timezone = calendar_of(connection).timezone
    rows = connection.execute(select(Event.family, func.ST_X(Event.geom), func.ST_Y(Event.geom))
                              .where(*_scope(sheet.subject, sheet.period, sheet.audience, timezone))).all()  # fmt: skip
    found: dict[str, list[tuple[float, float]]] = {}
    for family, lon, lat in rows:
        found.setdefault(family, []).append((float(lon), float(lat)))
    return found


def _cameras(connection: Connection, sheet: Sheet, view: Any) -> list[Any]:
    rows = connection.execute(
        select(func.ST_AsBinary(Camera.coverage)).where(
            active(sheet.period), func.ST_Intersects(Camera.coverage, func.ST_GeomFromText(view.wkt, 4326))
        )
    ).scalars()
    return [reproject(shapely.from_wkb(bytes(row)), TO_L93) for row in rows]


MEDIATION_LABEL = "Présence de la médiation (heures, tranche habituelle)"
UNATTENDED_LABEL = "Faits sans médiateur présent (nombre)"


def _mediation(axes: Any, sheet: Sheet, ground: Any) -> list[Any]:
    """Mediation's cells (hatched, with their hours) and the facts without a mediator (black pentagons, with their
    number) that lie on the map; the legend's handles of what was drawn."""
    places = [p for p in (sheet.mediation.places if sheet.mediation else [])
              if ground.contains(Point(*TO_L93.transform(p.lon, p.lat)))]  # fmt: skip
    handles: list[Any] = []
    present = [p for p in places if p.presence_hours]
    if present:
        cells = [reproject(Polygon([(lon, lat) for lat, lon in h3.cell_to_boundary(p.cell)]), TO_L93) for p in present]
        axes.add_collection(PatchCollection([q for c in cells for q in patches(c)], facecolor="none", hatch="////",
                                            edgecolor="#404040", linewidth=0.8, zorder=3))  # fmt: skip
        for place in present:
            x, y = TO_L93.transform(place.lon, place.lat)
            label(axes, f"{number(place.presence_hours or 0)} h, {place.usual_block}", (x, y), fontsize=6,
                  xytext=(0, 9), textcoords="offset points", zorder=6)  # fmt: skip
        handles.append(Patch(facecolor="white", edgecolor="#404040", hatch="////", label=MEDIATION_LABEL))
    alone = [p for p in places if p.unattended]
    if alone:
        xs, ys = TO_L93.transform([p.lon for p in alone], [p.lat for p in alone])
        handles.append(axes.scatter(xs, ys, s=70, marker="p", color="black", edgecolors="white", linewidths=0.8,
                                    zorder=6, label=UNATTENDED_LABEL))  # fmt: skip
        for x, y, place in zip(xs, ys, alone, strict=True):
            label(axes, number(place.unattended or 0), (x, y), fontsize=6, fontweight="bold", xytext=(0, -9),
                  textcoords="offset points", zorder=6)  # fmt: skip
    return handles


def map_png(connection: Connection, sheet: Sheet) -> str:
    """The sheet's map as a base64 PNG."""
    outline = reproject(sheet.subject.outline, TO_L93)
    ground = outline.buffer(MARGIN)
    figure, axes = plt.subplots(figsize=(5.2, 4.0), dpi=150)
    axes.set_axis_off()
    handles = draw_streets(axes, street_lines(connection, ground))
    cones = _cameras(connection, sheet, reproject(ground, TO_WGS84))
    if cones:
        axes.add_collection(PatchCollection([p for c in cones for p in patches(c)], facecolor="#4393c3", alpha=0.25,
                                            edgecolor="#2166ac", linewidth=0.6, zorder=2))  # fmt: skip
        handles.append(Line2D([], [], color="#4393c3", linewidth=6, alpha=0.5, label="Champ des caméras"))
    axes.add_collection(PatchCollection(patches(outline), facecolor="none", edgecolor="black", linewidth=1.6,
                                        linestyle="--", zorder=4))  # fmt: skip
    handles.append(Line2D([], [], color="black", linestyle="--", label=sheet.subject.what.capitalize()))
    handles += _mediation(axes, sheet, ground)
    if sheet.audience.sheet_points:
        for (family, points), (marker, colour) in zip(
            _facts_by_family(connection, sheet).items(), MARKERS, strict=False
        ):
            xs, ys = TO_L93.transform([p[0] for p in points], [p[1] for p in points])
            label = FAMILY_BY_CODE[family].label if family in FAMILY_BY_CODE else family
            handles.append(axes.scatter(xs, ys, s=9, marker=marker, color=colour, zorder=5, label=label))
    west, south, east, north = filling(axes, ground.bounds)
    axes.set_xlim(west, east)
    axes.set_ylim(south, north)
    axes.set_aspect("equal")
    scale_and_north(axes)
    axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def shaded(grid: list[list[int | None]]) -> list[list[dict[str, Any]]]:
    """The grid's cells with their text (« < 5 » hidden) and a grey level of five (white: none, black: most)."""
    top = max((c or 0 for row in grid for c in row), default=0)
    return [[{"text": "·" if c is None else number(c), "level": min(4, 1 + 4 * c // (top + 1)) if c and top else 0}
             for c in row] for row in grid]  # fmt: skip


def note(sheet: Sheet) -> str | None:
    """What a suppressed reader's sheet leaves out and how its counts are protected (no category named)."""
    audience = sheet.audience
    if not audience.suppressed:
        return None
    base = audience.threshold
    return (f"Version {audience.label} : les catégories sensibles, réservées à la police et au coordonnateur, ne "
            f"figurent dans aucun chiffre. Les effectifs inférieurs à {base}, zéro compris, sont masqués (« · » dans "
            f"la grille, « < {base} » ailleurs) et les autres arrondis à un multiple de {base} ; la grille "
            f"horaire est par tranches de {audience.sheet_hours} heures ; la carte ne montre pas les faits "
            "un à un.")  # fmt: skip


def sheet_html(connection: Connection, sheet: Sheet, *, with_map: bool = True, standalone: bool = True) -> str:
    """The sheet as HTML: a whole page (``standalone``) or a part of the schéma local."""
    template = TEMPLATES.get_template("sheet.html.j2")
    return template.render(
        sheet=sheet, subject=sheet.subject, audience=sheet.audience,
        map=map_png(connection, sheet) if with_map else None,
        mediation_legend=(MEDIATION_LABEL, UNATTENDED_LABEL), grid=shaded(sheet.grid), weekdays=WEEKDAYS,
        shades=SHADES, note=note(sheet), standalone=standalone,
        count=sheet.audience.count_label, number=number, generated=f"{local_now(connection):%d/%m/%Y %H:%M}",
    )  # fmt: skip


def to_pdf(html: str) -> bytes:
    """An HTML sheet or schéma local as PDF."""
    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]
