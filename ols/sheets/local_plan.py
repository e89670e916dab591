"""The schéma local de tranquillité publique of a commune: its sheets gathered behind a summary table and a
coordination plan (which means, where and when).

The plan is a reading of the sheets, not a decision: for each place or sector it names the busiest slot, says
whether mediation is absent when facts occur and whether cameras watch it, and suggests the means that match
(médiation, présence policière, vidéoprotection, aménagement). The partners decide.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from ols.access.audience import Audience
from ols.reference.calendar import local_now
from ols.sheets.content import Sheet, build_sheet, busiest
from ols.sheets.render import TEMPLATES, note, sheet_html
from ols.sheets.subject import commune_subjects, find_subject
from ols.wording import number


def _total(sheet: Sheet) -> int | None:
    """The subject's facts in the period's semester, from the published family counts (None: all hidden)."""
    shown = [family["counts"][-1] for family in sheet.families if family["counts"][-1] is not None]
    return sum(shown) if shown else None


def _means(sheet: Sheet) -> str:
    """The means the sheet points to, in words."""
    means = []
    mediation = sheet.mediation
    unattended = sum(n or 0 for n in mediation.unattended) if mediation else 0
    if unattended:
        means.append("présence de la médiation ou de la police municipale aux heures sensibles")
    if not sheet.cameras:
        means.append("étude d'une couverture de vidéoprotection")
    if any(a["rating"] != "calme" for a in sheet.ambiance):
        means.append("point en cellule de veille (ambiance signalée tendue ou dégradée)")
    return " ; ".join(means) or "veille ordinaire"


def summary_row(sheet: Sheet) -> dict[str, Any]:
    """One line of the summary table and coordination plan."""
    ratings = ", ".join(sorted({a["rating"] for a in sheet.ambiance})) or "—"
    return {"name": sheet.subject.name, "what": sheet.subject.what, "facts": sheet.audience.count_label(_total(sheet)),
            "when": busiest(sheet.grid, sheet.audience.sheet_hours) or "—", "cameras": number(len(sheet.cameras)),
            "ambiance": ratings, "means": _means(sheet)}  # fmt: skip


def local_plan_html(connection: Connection, commune: str, period: str, audience: Audience) -> str:
    """The schéma local of a commune as one HTML document: summary, plan, then every sheet."""
    name, subjects = commune_subjects(connection, commune)
    sheets = [build_sheet(connection, find_subject(connection, kind, code, audience), period, audience)
              for kind, code in subjects]  # fmt: skip
    parts = [sheet_html(connection, sheet, standalone=False) for sheet in sheets]
    return TEMPLATES.get_template("local_plan.html.j2").render(
        commune=name, period=sheets[0].period.label if sheets else period, audience=audience,
        rows=[summary_row(sheet) for sheet in sheets], parts=parts, note=note(sheets[0]) if sheets else None,
        generated=f"{local_now(connection):%d/%m/%Y %H:%M}",
    )  # fmt: skip
