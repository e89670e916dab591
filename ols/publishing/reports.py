"""Reports for the mayor, the cellule de veille and the plenary of the CLSPD, CISPD or EPCI: HTML, PDF and tables.

- weekly (récapitulatif hebdomadaire): counts by family vs the four previous weeks and the same
  week last year, the busiest places of the week, new points de deal (police audiences only);
- monthly (bilan de la cellule de veille): families and categories vs the previous month and the
  same month last year, the semester's zones, the evening share;
- annual (bilan annuel, :mod:`ols.publishing.annual`): N-2/N-1/N evolution tables by family and
  by source, the semester maps, the zones and their evolution, SSMSI context figures, method
  notes; for an intercommunal observatory, one chapter per member commune.

Each is titled after the observatory (:mod:`ols.publishing.sections`) and may be cut to one
commune or sector (an :class:`~ols.reference.areas.Area`).

Tables go out as XLSX and as ``;``-separated UTF-8-BOM CSV with formula injection neutralised;
what a report shows follows the audience's role, as everywhere in OLS.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd
from geoalchemy2 import Geography
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Connection, cast, func, select, true
from weasyprint import HTML

from ols.access.audience import Audience
from ols.access.disclosure import MODULUS, cell_key
from ols.access.roles import Layer
from ols.cartography.aggregates import in_period
from ols.cartography.comparison import comparison
from ols.cartography.layers import refresh_record
from ols.caveats import CAVEATS, METHOD_TITLE, TITLE, method_paragraphs, refresh_method
from ols.errors import InvalidInputError, NotFoundError
from ols.merging import counted
from ols.nomenclature import CATEGORY_BY_CODE, FAMILY_BY_CODE
from ols.periods import Period, parse_period
from ols.publishing.annual import annual
from ols.publishing.boxes import crosswatch_frame, left_out_note, near_repeat_note
from ols.publishing.sections import Section, Table, of_observatory, semester_boxes, shown
from ols.publishing.tables import neutralise, to_excel_csv
from ols.reference.areas import Area
from ols.reference.calendar import calendar_of, local_now
from ols.store.models import DealPoint, Event, Place, Territory

logger = logging.getLogger(__name__)

TEMPLATES = Environment(
    loader=PackageLoader("ols.publishing", "templates"), autoescape=select_autoescape(["html", "j2"])
)

METHOD = ("Faits transmis par les partenaires et harmonisés (nomenclature OLS), sans donnée nominative. "
          "Comptages par période en heure locale ({timezone}). Points chauds : Gi* de Getis-Ord sur la grille H3, "
          "inférence par permutations conditionnelles, correction FDR de Benjamini-Hochberg. Chiffres SSMSI : "
          "délinquance enregistrée (source officielle), donnés pour contexte.")  # fmt: skip
CROSSWATCH_TEXT = ("Lieux où rassemblements et trafic de stupéfiants, cambriolages de logements et incendies de "
                   "véhicules se concentrent ensemble plus que le hasard ne le donnerait (aucun lieu : rien de "
                   "notable ce mois-ci).")  # fmt: skip
GEOGRAPHY = Geography(geometry_type=None, spatial_index=False)
BUSY_METRES = 250


def disclosure_note(audience: Audience) -> str | None:
    """What a version for a suppressed audience leaves out, and how its figures are protected (in French)."""
    if not audience.suppressed:
        return None
    left_out = ", ".join(CATEGORY_BY_CODE[code].label.lower() for code in audience.excluded_categories)
    base = audience.threshold
    return (f"Version {audience.label} : les catégories sensibles ({left_out}) sont réservées à la police et au "
            "coordonnateur et ne figurent dans aucun chiffre de ce document, totaux compris. Pour qu'aucun fait ne "
            f"puisse être reconnu, les effectifs inférieurs à {base}, zéro compris, sont masqués (« < {base} ») et "
            f"les autres sont arrondis à un multiple de {base} (arrondi aléatoire et cohérent, méthode de la clé "
            "de cellule de l'ONS et de l'Australian Bureau of Statistics) : les totaux peuvent différer de "
            "quelques unités de la somme des lignes, et des chiffres de la version police.")  # fmt: skip


def _family_counts(
    connection: Connection, period: Period, audience: Audience, area: Area
) -> dict[str, tuple[int, int]]:
    """(count, cell key) of the audience's facts of the period in the area, per family."""
    rows = connection.execute(
        select(Event.family, func.count(), cell_key(Event.__table__))
        .where(
            in_period(Event.occurred_at, audience.period(period), calendar_of(connection).timezone),
            audience.facts(Event.__table__).clause,
            area.facts(Event.__table__),
            counted(Event.__table__),
        )
        .group_by(Event.family)
    ).all()
    return {family: (int(n), int(key)) for family, n, key in rows}


def _comparison_table(connection: Connection, periods: list[Period], audience: Audience, area: Area) -> Table:
    counts = {period.name: _family_counts(connection, period, audience, area) for period in periods}
    families = list(FAMILY_BY_CODE)  # every family, so that a row's presence tells nothing
    columns: dict[str, Any] = {}
    for period in periods:
        found = counts[period.name]
        cells = [found.get(f, (0, 0)) for f in families]
        cells.append((sum(n for n, _ in found.values()), sum(k for _, k in found.values()) % MODULUS))
        published = audience.publish(connection, [n for n, _ in cells], [k for _, k in cells])
        columns[period.label] = pd.array(published, dtype="Int64")
    frame = pd.DataFrame({"famille": [*(FAMILY_BY_CODE[f].label for f in families), "Total"], **columns})
    return Table("comparaison", shown(frame, [p.label for p in periods], audience))


def _busiest(connection: Connection, period: Period, audience: Audience, area: Area) -> Table:
    """The five places with the most facts (of the area) within 250 m, as the audience receives the counts."""
    nearest = select(Place.name, Place.geom).order_by(Place.geom.op("<->")(Event.geom)).limit(1).lateral("p")
    near = func.ST_DWithin(cast(nearest.c.geom, GEOGRAPHY), cast(Event.geom, GEOGRAPHY), BUSY_METRES)
    rows = connection.execute(
        select(nearest.c.name, func.count(), cell_key(Event.__table__))
        .select_from(Event)
        .join(nearest, true())
        .where(
            in_period(Event.occurred_at, audience.period(period), calendar_of(connection).timezone),
            audience.facts(Event.__table__).clause,
            area.facts(Event.__table__),
            counted(Event.__table__),
            near,
        )
        .group_by(nearest.c.name)
    ).all()
    published = audience.publish(connection, [row[1] for row in rows], [row[2] for row in rows])
    names = [row[0] for row in rows]
    kept = [(name, count) for name, count in zip(names, published, strict=True) if count is not None]
    ranked = sorted(kept, key=lambda item: -item[1])[:5]
    frame = pd.DataFrame(ranked, columns=["à moins de 250 m de", "faits"])
    return Table("lieux", shown(frame, ["faits"], audience))


def _new_deal_points(connection: Connection, period: Period, audience: Audience, area: Area) -> Table:
    rows = connection.execute(
        select(DealPoint.label, DealPoint.status, DealPoint.first_reported, DealPoint.reports)
        .where(
            DealPoint.first_reported >= period.start,
            DealPoint.first_reported < period.end,
            audience.within(DealPoint.__table__).clause,
            area.meets(DealPoint.geom),
        )
        .order_by(DealPoint.first_reported)
    ).all()
    return Table("points_de_deal", pd.DataFrame(rows, columns=["point de deal", "statut", "premier signalement",
                                                               "signalements"]))  # fmt: skip


def weekly(connection: Connection, week: Period, audience: Audience, area: Area | None = None) -> list[Section]:
    """Récapitulatif hebdomadaire pour le maire (of the whole observatory, or of one commune or sector)."""
    area = area or Area()
    if week.kind != "week":
        msg = "le récapitulatif hebdomadaire porte sur une semaine ISO (2024-W48)"
        raise InvalidInputError(msg)
    periods = [week.previous().previous().previous().previous(), week.previous().previous().previous(),
               week.previous().previous(), week.previous(), week.last_year(), week]  # fmt: skip
    said = ("Semaine, quatre semaines précédentes et même semaine l'an dernier.", left_out_note(audience))
    sections = [Section("Faits par famille", " ".join(filter(None, said)),
                        _comparison_table(connection, periods, audience, area)),
                Section("Lieux les plus concernés de la semaine",
                        table=_busiest(connection, week, audience, area))]  # fmt: skip
    if audience.may(Layer.DEAL_POINTS):
        sections.append(Section("Nouveaux points de deal signalés",
                                table=_new_deal_points(connection, week, audience, area)))  # fmt: skip
    return sections


def monthly(connection: Connection, month: Period, audience: Audience, area: Area | None = None) -> list[Section]:
    """Bilan mensuel de la cellule de veille (of the whole observatory, or of one commune or sector)."""
    area = area or Area()
    if month.kind != "month":
        msg = "le bilan mensuel porte sur un mois (2024-11)"
        raise InvalidInputError(msg)
    said = " ".join(filter(None, ("Mois, mois précédent et même mois l'an dernier.", left_out_note(audience))))
    months = [month.last_year(), month.previous(), month]
    sections = [
        Section("Faits par famille", said, _comparison_table(connection, months, audience, area)),
        Section("Lieux les plus concernés du mois", table=_busiest(connection, month, audience, area)),
    ]
    semester = parse_period(f"{month.start.year}-S{1 if month.start.month <= 6 else 2}")
    if audience.may(Layer.ZONES):
        changes = comparison(connection, semester, audience, area)
        situations = (("nouvelle", changes["entering"]), ("reconduite", changes["continuing"]))
        zones = pd.DataFrame([{"zone": z["name"], "code": z["code"], "situation": situation}
                              for situation, items in situations for z in items])  # fmt: skip
        sections.append(Section(f"Zones de vigilance du {semester.label}", table=Table("zones", zones),
                                boxes=semester_boxes(connection, semester, audience, area)))  # fmt: skip
    crossed = crosswatch_frame(connection, month, audience)
    if crossed is not None:
        sections.append(Section("Veille croisée du mois", CROSSWATCH_TEXT, table=Table("veille_croisee", crossed)))
    risk = near_repeat_note(connection, month, audience)
    if risk is not None:
        sections.append(Section("Risque de répétition des cambriolages", risk))
    if audience.may(Layer.DEAL_POINTS):
        sections.append(Section("Nouveaux points de deal signalés",
                                table=_new_deal_points(connection, month, audience, area)))  # fmt: skip
    return sections


def _territories(connection: Connection, audience: Audience, area: Area) -> list[tuple[str, str | None]]:
    """(name, INSEE code) of the audience's territories within the area."""
    rows = connection.execute(
        select(Territory.name, Territory.insee)
        .where(audience.own_territories().clause, area.territories())
        .order_by(Territory.code)
    )
    return [(name, insee) for name, insee in rows]


def _method_text(connection: Connection, period: Period) -> tuple[str, ...]:
    """The method as the report's period was computed (its refresh's figures), else with the settings in force."""
    try:
        return refresh_method(refresh_record(connection, period)["method"])
    except NotFoundError:
        return method_paragraphs()


BUILDERS = {"weekly": weekly, "monthly": monthly, "annual": annual}
TITLES = {"weekly": "Récapitulatif hebdomadaire", "monthly": "Bilan mensuel de la cellule de veille",
          "annual": "Bilan annuel"}  # fmt: skip


def title_of(connection: Connection, kind: str, period: Period, area: Area) -> str:
    """« Bilan annuel du CISPD Loos–Haubourdin–Emmerin — année 2025 », « … — Loos — … » for one commune."""
    where = "" if area.whole else f" — {area.label(connection)}"
    return f"{TITLES[kind]} {of_observatory(connection)}{where} — {period.label}"


def write_report(
    connection: Connection, kind: str, period_name: str, audience: Audience, out: Path, *, area: Area | None = None
) -> list[Path]:
    """Write the report (of the whole observatory, or of one commune or sector) as HTML and PDF, and its tables as
    XLSX and CSV, into ``out``; return the files."""
    period, area = parse_period(period_name), area or Area()
    sections = BUILDERS[kind](connection, period, audience, area)
    territory = ", ".join(name for name, _ in _territories(connection, audience, area))
    html = TEMPLATES.get_template("report.html.j2").render(
        title=title_of(connection, kind, period, area), subtitle=period.label, territory=territory, sections=sections,
        generated=f"{local_now(connection):%d/%m/%Y %H:%M}", author=f"{audience.name} ({audience.label})",
        method=METHOD.format(timezone=calendar_of(connection).timezone), caveats=CAVEATS, caveats_title=TITLE,
        method_title=METHOD_TITLE, method_paragraphs=_method_text(connection, period),
        marking=audience.marking, disclosure=disclosure_note(audience),
    )  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{kind}-{period.name}" + ("" if area.whole else "-" + "-".join((*area.communes, *area.sectors)))
    files = [out / f"{stem}.html", out / f"{stem}.pdf", out / f"{stem}.xlsx"]
    files[0].write_text(html, encoding="utf-8")
    HTML(string=html).write_pdf(files[1])
    tables = [section.table for section in sections if section.table is not None]
    with pd.ExcelWriter(files[2], engine="openpyxl") as workbook:
        for table in tables:
            table.frame.map(neutralise).to_excel(workbook, sheet_name=table.name[:31], index=False)
    for table in tables:
        path = out / f"{stem}-{table.name}.csv"
        path.write_text(to_excel_csv(table.frame), encoding="utf-8")
        files.append(path)
    logger.info("rapport %s de %s écrit dans %s pour %s (%s)", kind, period.name, out, audience.name, audience.label)
    return files
