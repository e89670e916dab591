"""Reports for the mayor, the cellule de veille and the CLSPD plenary: HTML, PDF and tables.

- weekly (récapitulatif hebdomadaire): counts by family vs the four previous weeks and the same
  week last year, the busiest places of the week, new points de deal (police audiences only);
- monthly (bilan de la cellule de veille): families and categories vs the previous month and the
  same month last year, the semester's zones, the evening share;
- annual (bilan CLSPD): N-2/N-1/N evolution tables by family and by source, the semester maps,
  the zones and their evolution, SSMSI context figures, method notes.

Tables go out as XLSX and as ``;``-separated UTF-8-BOM CSV with formula injection neutralised;
what a report shows follows the audience's role, as everywhere in OLS.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Connection, text
from weasyprint import HTML

from ols.aggregates import IN_PERIOD, period_params
from ols.editions import comparison
from ols.errors import InvalidInputError, NotFoundError
from ols.indicators import local_evolution, official_evolution
from ols.layers import refresh_record
from ols.mapexport import Snapshot, render
from ols.nomenclature import FAMILY_BY_CODE
from ols.periods import Period, parse_period
from ols.privacy import excluded_categories, sees_deal_points, suppress_table, suppressed
from ols.tables import neutralise, to_excel_csv
from ols.users import Principal

TEMPLATES = Environment(loader=PackageLoader("ols", "templates"), autoescape=select_autoescape(["html", "j2"]))
METHOD = ("Faits transmis par les partenaires et harmonisés (nomenclature OLS), sans donnée nominative. "
          "Comptages par période en heure locale (Europe/Paris). Points chauds : Gi* de Getis-Ord sur la grille H3, "
          "inférence par permutations conditionnelles, correction FDR de Benjamini-Hochberg. Les effectifs de 1 à 4 "
          "sont masqués pour les publics autres que la police. Chiffres SSMSI : délinquance enregistrée (source "
          "officielle), donnés pour contexte.")  # fmt: skip


@dataclass
class Table:
    """A table of a report: columns and rows of display values."""

    name: str
    frame: pd.DataFrame

    @property
    def columns(self) -> list[str]:
        """Column headers."""
        return [str(column) for column in self.frame.columns]

    @property
    def rows(self) -> list[list[str]]:
        """Cells as text ("< 5" for a suppressed count, empty for none)."""
        return [["" if pd.isna(value) else str(value) for value in row]
                for row in self.frame.itertuples(index=False)]  # fmt: skip


@dataclass
class Section:
    """A titled part of a report."""

    title: str
    text: str = ""
    table: Table | None = None
    images: list[str] = field(default_factory=list)


def _family_counts(connection: Connection, period: Period, user: Principal) -> dict[str, int]:
    rows = connection.execute(
        text(f"SELECT family, count(*) FROM event WHERE {IN_PERIOD} AND NOT (category = ANY(:excluded)) GROUP BY 1"),
        {**period_params(period, "Europe/Paris"), "excluded": list(excluded_categories(user.role))},
    ).all()
    return dict(rows)


def _suppress(frame: pd.DataFrame, columns: list[str], user: Principal, threshold: int) -> pd.DataFrame:
    if not suppressed(user.role):
        return frame
    records = [{str(key): value for key, value in row.items()} for row in frame.astype(object).to_dict("records")]
    rows = suppress_table(records, columns, threshold)
    shown = pd.DataFrame(rows, columns=frame.columns).astype(dict.fromkeys(columns, object))
    return shown.fillna({column: f"< {threshold}" for column in columns})


def _comparison_table(connection: Connection, periods: list[Period], user: Principal, threshold: int) -> Table:
    counts = {period.name: _family_counts(connection, period, user) for period in periods}
    families = sorted({family for found in counts.values() for family in found})
    frame = pd.DataFrame({"famille": [FAMILY_BY_CODE[f].label for f in families],
                          **{p.label: [counts[p.name].get(f, 0) for f in families] for p in periods}})  # fmt: skip
    total = pd.DataFrame([["Total", *[sum(counts[p.name].values()) for p in periods]]], columns=frame.columns)
    frame = pd.concat([frame, total], ignore_index=True)
    return Table("comparaison", _suppress(frame, [p.label for p in periods], user, threshold))


def _busiest(connection: Connection, period: Period, user: Principal) -> Table:
    rows = connection.execute(
        text("SELECT p.name, count(*) FROM event e JOIN LATERAL (SELECT name, geom FROM place "
             "ORDER BY place.geom <-> e.geom LIMIT 1) p ON true "
             f"WHERE {IN_PERIOD.replace('occurred_at', 'e.occurred_at')} AND NOT (e.category = ANY(:excluded)) "
             "AND ST_DWithin(p.geom::geography, e.geom::geography, 250) GROUP BY 1 ORDER BY 2 DESC LIMIT 5"),
        {**period_params(period, "Europe/Paris"), "excluded": list(excluded_categories(user.role))},
    ).all()  # fmt: skip
    return Table("lieux", pd.DataFrame(rows, columns=["à moins de 250 m de", "faits"]))


def _new_deal_points(connection: Connection, period: Period) -> Table:
    rows = connection.execute(
        text("SELECT label, status, first_reported, reports FROM deal_point "
             "WHERE first_reported >= :start AND first_reported < :end ORDER BY first_reported"),
        {"start": period.start, "end": period.end},
    ).all()  # fmt: skip
    return Table("points_de_deal", pd.DataFrame(rows, columns=["point de deal", "statut", "premier signalement",
                                                               "signalements"]))  # fmt: skip


def weekly(connection: Connection, week: Period, user: Principal, threshold: int) -> list[Section]:
    """Récapitulatif hebdomadaire pour le maire."""
    if week.kind != "week":
        msg = "the weekly report takes an ISO week (2024-W48)"
        raise InvalidInputError(msg)
    periods = [week.previous().previous().previous().previous(), week.previous().previous().previous(),
               week.previous().previous(), week.previous(), week.last_year(), week]  # fmt: skip
    sections = [Section("Faits par famille", "Semaine, quatre semaines précédentes et même semaine l'an dernier.",
                        _comparison_table(connection, periods, user, threshold)),
                Section("Lieux les plus concernés de la semaine", table=_busiest(connection, week, user))]  # fmt: skip
    if sees_deal_points(user.role):
        sections.append(Section("Nouveaux points de deal signalés", table=_new_deal_points(connection, week)))
    return sections


def monthly(connection: Connection, month: Period, user: Principal, threshold: int) -> list[Section]:
    """Bilan mensuel de la cellule de veille."""
    if month.kind != "month":
        msg = "the monthly report takes a month (2024-11)"
        raise InvalidInputError(msg)
    sections = [Section("Faits par famille", "Mois, mois précédent et même mois l'an dernier.",
                        _comparison_table(connection, [month.last_year(), month.previous(), month], user, threshold)),
                Section("Lieux les plus concernés du mois", table=_busiest(connection, month, user))]  # fmt: skip
    semester = parse_period(f"{month.start.year}-S{1 if month.start.month <= 6 else 2}")
    try:
        changes = comparison(connection, semester)
        situations = (("nouvelle", changes["entering"]), ("reconduite", changes["continuing"]))
        zones = pd.DataFrame([{"zone": z["name"], "code": z["code"], "situation": situation}
                              for situation, items in situations for z in items])  # fmt: skip
        sections.append(Section(f"Zones de vigilance du {semester.label}", table=Table("zones", zones)))
    except NotFoundError:
        pass
    if sees_deal_points(user.role):
        sections.append(Section("Nouveaux points de deal signalés", table=_new_deal_points(connection, month)))
    return sections


def _evolution(connection: Connection, year: Period, by: str, user: Principal, threshold: int) -> Table:
    frame = local_evolution(connection, year, by=by, excluded=excluded_categories(user.role))
    counts = [column for column in frame.columns if str(column)[:4].isdigit()]
    frame = frame.drop(columns=[c for c in ("key", "ssmsi") if c in frame.columns])
    heading = {"family": "famille", "category": "catégorie", "source": "source"}[by]
    frame = frame.rename(columns={"label": heading, "evolution": "évolution", "evolution_pct": "évolution %",
                                  "evolution_n2_pct": f"évolution % depuis {counts[0]}",
                                  "rate_per_thousand": "taux ‰ (N)"})  # fmt: skip
    return Table(f"evolution_{by}", _suppress(frame, counts, user, threshold))


def annual(connection: Connection, year: Period, user: Principal, threshold: int) -> list[Section]:
    """Bilan annuel du CLSPD."""
    if year.kind != "year":
        msg = "the annual report takes a year (2024)"
        raise InvalidInputError(msg)
    sections = [
        Section("Évolution par famille", "Faits cumulés de l'observatoire, N-2, N-1 et N.",
                _evolution(connection, year, "family", user, threshold)),
        Section("Évolution par source", table=_evolution(connection, year, "source", user, threshold)),
    ]  # fmt: skip
    for half in ("S1", "S2"):
        semester = parse_period(f"{year.start.year}-{half}")
        try:
            refresh_record(connection, semester)
        except NotFoundError:
            continue
        image = render(connection, Snapshot(semester, ("heatmap", "zones"), 8 if suppressed(user.role) else 9), user,
                       image_format="png")  # fmt: skip
        changes = comparison(connection, semester)
        text_ = (f"{len(changes['entering'])} zone(s) nouvelle(s), {len(changes['leaving'])} sortie(s), "
                 f"{len(changes['hot_outside_declared'])} zone(s) chaude(s) hors zones déclarées.")  # fmt: skip
        sections.append(Section(f"Carte et zones — {semester.label}", text_, images=[base64.b64encode(image).decode()]))
    insee = connection.execute(text("SELECT insee FROM territory WHERE insee IS NOT NULL LIMIT 1")).scalar()
    for scope, code, caption in (("departement", insee[:2] if insee else None, "département"),
                                 ("commune", insee, "commune (taux ‰)")):  # fmt: skip
        if code is None:
            continue
        last = connection.execute(text("SELECT max(year) FROM official_indicator WHERE scope = :s AND code = :c"),
                                  {"s": scope, "c": code}).scalar()  # fmt: skip
        if last is None:
            continue
        frame = official_evolution(connection, scope=scope, code=code, year=min(int(last), year.start.year))
        frame = frame.drop(columns=["key"]).rename(columns={"label": "indicateur SSMSI"})
        sections.append(Section(f"Contexte officiel SSMSI — {caption} {code}", table=Table(f"ssmsi_{scope}", frame)))
    return sections


BUILDERS = {"weekly": weekly, "monthly": monthly, "annual": annual}
TITLES = {"weekly": "Récapitulatif hebdomadaire", "monthly": "Bilan mensuel de la cellule de veille",
          "annual": "Bilan annuel du CLSPD"}  # fmt: skip


def write_report(
    connection: Connection, kind: str, period_name: str, user: Principal, out: Path, *, threshold: int = 5
) -> list[Path]:
    """Write the report as HTML and PDF, and its tables as XLSX and CSV, into ``out``; return the files."""
    period = parse_period(period_name)
    sections = BUILDERS[kind](connection, period, user, threshold)
    territory = ", ".join(connection.execute(text("SELECT name FROM territory ORDER BY code")).scalars())
    html = TEMPLATES.get_template("report.html.j2").render(
        title=f"{TITLES[kind]} — {period.label}", subtitle=period.label, territory=territory, sections=sections,
        generated=f"{datetime.now():%d/%m/%Y %H:%M}", author=f"{user.name} ({user.role})", method=METHOD,
        restricted=not suppressed(user.role),
    )  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{kind}-{period.name}"
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
    return files
