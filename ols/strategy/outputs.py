"""The strategy's documents: the tableau de bord as an XLSX for the conseil and as a chapter of the annual bilan,
and a meeting's agenda and relevé de décisions as a one-page PDF.

Each is built from what :mod:`~.dashboard` and :mod:`~.meetings` give the reader, so a document never holds
more than its reader may see.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import Connection, select
from weasyprint import HTML

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.periods import Period
from ols.publishing.sections import Section, Table, of_observatory
from ols.publishing.tables import neutralise
from ols.store.models import Source, Territory, Zone
from ols.strategy.dashboard import dashboard
from ols.strategy.meetings import meeting
from ols.strategy.plan import STATE_LABELS
from ols.wording import number

TEMPLATES = Environment(loader=PackageLoader("ols.publishing", "templates"), autoescape=select_autoescape(["j2"]))
DECISION_STATES = {"open": "ouverte", "done": "réalisée", "dropped": "abandonnée"}
PLURALS = {"a_lancer": "à lancer", "en_cours": "en cours", "realisee": "réalisées", "abandonnee": "abandonnées"}


def shown_value(item: dict[str, Any]) -> str:
    """A value as printed: French number, « masqué » when hidden by disclosure control."""
    return "masqué" if item["value"] is None else number(item["value"], 0 if float(item["value"]).is_integer() else 1)


def _periods(board: dict[str, Any]) -> list[str]:
    return sorted({v["period"] for axis in board["axes"] for a in axis["actions"] for i in a["indicators"]
                   for v in i["values"]})  # fmt: skip


def _cell(item: dict[str, Any]) -> float | str:
    """A value as a spreadsheet cell: the number itself, « masqué » when hidden."""
    return "masqué" if item["value"] is None else float(item["value"])


Cell = Callable[[dict[str, Any]], Any]


def indicator_rows(board: dict[str, Any], until: str | None = None, *,
                   cell: Cell = shown_value) -> tuple[list[str], list[list[Any]]]:  # fmt: skip
    """The indicators as a table: headers and one row per indicator (a column per period, up to ``until``), each
    value written by ``cell`` (French text by default)."""
    periods = [period for period in _periods(board) if until is None or period <= until]
    headers = ["Fiche", "Indicateur", "Type", "Unité", *periods, "Cible", "Tendance"]
    rows = []
    for axis in board["axes"]:
        for action in axis["actions"]:
            for item in action["indicators"]:
                values = {v["period"]: cell(v) for v in item["values"]}
                target = cell({"value": item["target"]}) if item["target"] is not None else "—"
                rows.append([action["code"], item["name"], item["kind_label"], item["unit"],
                             *(values.get(p, "—") for p in periods), target, item["trend"]])  # fmt: skip
    return headers, rows


def _sheet(workbook: Workbook, title: str, headers: list[str], rows: list[list[Any]]) -> None:
    sheet = workbook.create_sheet(title)
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([neutralise(value) for value in row])
    for column in sheet.columns:
        width = max(len(str(cell.value or "")) for cell in column)
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(8, width + 2))


def dashboard_xlsx(board: dict[str, Any]) -> bytes:
    """The tableau de bord as a workbook: indicators, state of the fiches actions, decisions."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(workbook, "Indicateurs", *indicator_rows(board, cell=_cell))
    actions = [[axis["code"], a["code"], a["title"], a["pilot"], ", ".join(a["partners"]), a["schedule"],
                a["state_label"], " ; ".join(f"{h['state_label']} le {french_date(h['on'])}" for h in a["history"])]
               for axis in board["axes"] for a in axis["actions"]]  # fmt: skip
    _sheet(workbook, "Actions", ["Axe", "Fiche", "Intitulé", "Pilote", "Partenaires", "Échéance", "État",
                                 "Historique"], actions)  # fmt: skip
    decisions = [[d["id"], d["text"], d["partner_name"] or d["partner"], french_date(d["due_on"]),
                  DECISION_STATES[d["state"]]] for d in board["decisions"]]  # fmt: skip
    _sheet(workbook, "Décisions", ["N°", "Décision", "Partenaire en charge", "Échéance", "État"], decisions)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def strategy_chapter(connection: Connection, audience: Audience, year: Period) -> list[Section]:
    """The tableau de bord up to ``year`` as a chapter of the annual bilan: none without a strategy, or for a
    reader who does not receive it."""
    if not audience.may(Layer.DASHBOARD):
        return []
    board = dashboard(connection, audience)
    return [dashboard_section(board, until=year.name)] if board["axes"] else []


def dashboard_section(board: dict[str, Any], until: str | None = None) -> Section:
    """The tableau de bord as a chapter: the indicators' table (up to ``until``) and the fiches' states."""
    headers, rows = indicator_rows(board, until)
    states = ", ".join(f"{number(count)} {(PLURALS if count > 1 else STATE_LABELS)[state]}"
                       for state, count in board["states"].items())  # fmt: skip
    text = (
        f"État des fiches actions : {states}. Tendance : les deux dernières valeurs connues, comparées au sens voulu."
    )
    return Section("Tableau de bord de la stratégie", text, Table("tableau-de-bord", pd.DataFrame(rows,
                   columns=headers)), chapter=True)  # fmt: skip


def french_date(iso: str | None) -> str:
    """An ISO date as a French reader writes it (30/06/2026), « non fixée » for none."""
    return date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else "non fixée"


def _agenda_items(agenda: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    def zones(key: str) -> list[str]:
        return [f"{item['name']} ({item['code']})" for item in agenda.get(key, [])]

    opened = [f"n° {d['id']} — {d['text']} — {names.get(d['partner'], d['partner'])}, échéance "
              f"{french_date(d['due_on'])} (réunion du {french_date(d['held_on'])})"
              for d in agenda.get("open_decisions", [])]  # fmt: skip
    doleances = agenda.get("doleances_without_suite")
    return [
        {"title": "Décisions encore ouvertes des réunions précédentes", "lines": opened, "empty": "Aucune."},
        {"title": "Zones entrant en vigilance", "lines": zones("entering"), "empty": "Aucune."},
        {"title": "Zones sortant de vigilance", "lines": zones("leaving"), "empty": "Aucune."},
        {"title": "Points chauds hors des zones déclarées", "lines": zones("hot_outside_declared"), "empty": "Aucun."},
        {"title": "Veille croisée", "lines": [p["sentence"] for p in agenda.get("crosswatch", [])],
         "empty": "Aucun lieu signalé."},
        {"title": "Doléances sans suite donnée", "lines": [f"{number(doleances)} doléance(s) sans suite"]
         if doleances else [], "empty": "Aucune."},
    ]  # fmt: skip


def meeting_pdf(record: dict[str, Any], audience: Audience, *, title: str, territory: str,
                names: dict[str, str]) -> bytes:  # fmt: skip
    """A meeting's agenda and relevé de décisions as a one-page PDF (``names``: the partners' names by code, the
    declared zones' by ``zone:<code>``)."""
    decisions = [{"id": d["id"], "text": d["text"], "partner": names.get(d["partner"], d["partner"]),
                  "due": french_date(d["due_on"]),
                  "where": " / ".join(filter(None, [names.get(f"zone:{d['zone']}", d["zone"]), d["sector"],
                                                    d["place"]])) or "—",
                  "state": DECISION_STATES[d["state"]]} for d in record["decisions"]]  # fmt: skip
    html = TEMPLATES.get_template("meeting.html.j2").render(
        title=title, territory=territory, held_on=french_date(record["held_on"]),
        state="réunion close" if record["state"] == "closed" else "réunion en cours",
        partners=", ".join(names.get(code, code) for code in record["partners"]),
        period=record["agenda"].get("period_label"),
        agenda=_agenda_items(record["agenda"], names), decisions=decisions, marking=audience.marking,
        generated=date.today().strftime("%d/%m/%Y"), author=f"{audience.name} ({audience.label})",
    )  # fmt: skip
    return bytes(HTML(string=html).write_pdf())


def meeting_document(connection: Connection, meeting_id: int, audience: Audience) -> bytes:
    """The one-page PDF of a meeting as the audience receives it (the API's and the CLI's one pipeline)."""
    record = meeting(connection, meeting_id, audience)
    name = connection.execute(select(Territory.name).where(Territory.code == record["territory"])).scalar()
    title = f"Cellule de veille {of_observatory(connection)}"
    names = {row.code: row.name for row in connection.execute(select(Source.code, Source.name))}
    declared = select(Zone.code, Zone.name).where(Zone.kind == "declared")
    names |= {f"zone:{row.code}": row.name for row in connection.execute(declared)}
    return meeting_pdf(record, audience, title=title, territory=name or record["territory"], names=names)


def dashboard_workbook(connection: Connection, audience: Audience) -> bytes:
    """The tableau de bord as the audience receives it, as an XLSX."""
    return dashboard_xlsx(dashboard(connection, audience))
