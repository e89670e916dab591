"""The strategy's documents: the tableau de bord as an XLSX for the conseil and as a chapter of the annual bilan,
and a meeting's agenda and relevé de décisions as a one-page PDF.

Each is built from what :mod:`~.dashboard` and :mod:`~.meetings` give the reader, so a document never holds
more than its reader may see.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import Connection, select
from weasyprint import HTML

from ols.access.audience import Audience
from ols.publishing.sections import Section, Table, of_observatory
from ols.publishing.tables import neutralise
from ols.store.models import Territory
from ols.strategy.dashboard import dashboard
from ols.strategy.meetings import meeting
from ols.strategy.plan import STATE_LABELS
from ols.wording import number

TEMPLATES = Environment(loader=PackageLoader("ols.publishing", "templates"), autoescape=select_autoescape(["j2"]))
DECISION_STATES = {"open": "ouverte", "done": "réalisée", "dropped": "abandonnée"}
DIRECTION_WORDS = {"up": "à la hausse", "down": "à la baisse"}


def shown_value(item: dict[str, Any]) -> str:
    """A value as printed: French number, « masqué » when hidden by disclosure control."""
    return "masqué" if item["value"] is None else number(item["value"], 0 if float(item["value"]).is_integer() else 1)


def _periods(board: dict[str, Any]) -> list[str]:
    return sorted({v["period"] for axis in board["axes"] for a in axis["actions"] for i in a["indicators"]
                   for v in i["values"]})  # fmt: skip


def indicator_rows(board: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The indicators as a table: headers and one row per indicator (a column per period)."""
    periods = _periods(board)
    headers = ["Fiche", "Indicateur", "Type", "Unité", *periods, "Cible", "Tendance"]
    rows = []
    for axis in board["axes"]:
        for action in axis["actions"]:
            for item in action["indicators"]:
                values = {v["period"]: shown_value(v) for v in item["values"]}
                target = number(item["target"]) if item["target"] is not None else "—"
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
    _sheet(workbook, "Indicateurs", *indicator_rows(board))
    actions = [[axis["code"], a["code"], a["title"], a["pilot"], ", ".join(a["partners"]), a["schedule"],
                a["state_label"], " ; ".join(f"{h['state_label']} le {h['on']}" for h in a["history"])]
               for axis in board["axes"] for a in axis["actions"]]  # fmt: skip
    _sheet(workbook, "Actions", ["Axe", "Fiche", "Intitulé", "Pilote", "Partenaires", "Échéance", "État",
                                 "Historique"], actions)  # fmt: skip
    decisions = [[d["id"], d["text"], d["partner"], d["due_on"] or "", DECISION_STATES[d["state"]]]
                 for d in board["decisions"]]  # fmt: skip
    _sheet(workbook, "Décisions", ["N°", "Décision", "Partenaire en charge", "Échéance", "État"], decisions)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def dashboard_section(board: dict[str, Any]) -> Section:
    """The tableau de bord as a chapter of the annual bilan: the indicators' table and the fiches' states."""
    headers, rows = indicator_rows(board)
    states = ", ".join(f"{number(count)} {STATE_LABELS[state]}{'s' if count > 1 else ''}"
                       for state, count in board["states"].items())  # fmt: skip
    text = (
        f"État des fiches actions : {states}. Tendance : les deux dernières valeurs connues, comparées au sens voulu."
    )
    return Section("Tableau de bord de la stratégie", text, Table("tableau-de-bord", pd.DataFrame(rows,
                   columns=headers)), chapter=True)  # fmt: skip


def _agenda_items(agenda: dict[str, Any]) -> list[dict[str, Any]]:
    def names(key: str) -> list[str]:
        return [f"{item['name']} ({item['code']})" for item in agenda.get(key, [])]

    opened = [f"n° {d['id']} — {d['text']} — {d['partner']}, échéance {d['due_on'] or 'non fixée'} "
              f"(réunion du {d['held_on']})" for d in agenda.get("open_decisions", [])]  # fmt: skip
    doleances = agenda.get("doleances_without_suite")
    return [
        {"title": "Décisions encore ouvertes des réunions précédentes", "lines": opened, "empty": "Aucune."},
        {"title": "Zones entrant en vigilance", "lines": names("entering"), "empty": "Aucune."},
        {"title": "Zones sortant de vigilance", "lines": names("leaving"), "empty": "Aucune."},
        {"title": "Points chauds hors des zones déclarées", "lines": names("hot_outside_declared"), "empty": "Aucun."},
        {"title": "Veille croisée", "lines": [f"{p['name']} : {p['sentence']}" for p in agenda.get("crosswatch", [])],
         "empty": "Aucun lieu signalé."},
        {"title": "Doléances sans suite donnée", "lines": [f"{number(doleances)} doléance(s) sans suite"]
         if doleances else [], "empty": "Aucune."},
    ]  # fmt: skip


def meeting_pdf(record: dict[str, Any], audience: Audience, *, title: str, territory: str) -> bytes:
    """A meeting's agenda and relevé de décisions as a one-page PDF."""
    decisions = [{"id": d["id"], "text": d["text"], "partner": d["partner"], "due": d["due_on"] or "—",
                  "where": " / ".join(filter(None, [d["zone"], d["sector"], d["place"]])) or "—",
                  "state": DECISION_STATES[d["state"]]} for d in record["decisions"]]  # fmt: skip
    html = TEMPLATES.get_template("meeting.html.j2").render(
        title=title, territory=territory, held_on=date.fromisoformat(record["held_on"]).strftime("%d/%m/%Y"),
        state="réunion close" if record["state"] == "closed" else "réunion en cours",
        partners=", ".join(record["partners"]), period=record["agenda"].get("period_label"),
        agenda=_agenda_items(record["agenda"]), decisions=decisions, marking=audience.marking,
        generated=date.today().strftime("%d/%m/%Y"), author=f"{audience.name} ({audience.label})",
    )  # fmt: skip
    return bytes(HTML(string=html).write_pdf())


def meeting_document(connection: Connection, meeting_id: int, audience: Audience) -> bytes:
    """The one-page PDF of a meeting as the audience receives it (the API's and the CLI's one pipeline)."""
    record = meeting(connection, meeting_id, audience)
    name = connection.execute(select(Territory.name).where(Territory.code == record["territory"])).scalar()
    title = f"Cellule de veille {of_observatory(connection)}"
    return meeting_pdf(record, audience, title=title, territory=name or record["territory"])


def dashboard_workbook(connection: Connection, audience: Audience) -> bytes:
    """The tableau de bord as the audience receives it, as an XLSX."""
    return dashboard_xlsx(dashboard(connection, audience))
