"""What a report adds around its tables so that a reader can trust them: explanation boxes and notes.

- an explanation box (« Pourquoi cette zone ? ») for each of the semester's top zones, from the
  same service as the API and the map (:mod:`ols.cartography.explain`);
- for a version whose audience does not receive every category, which categories each family
  leaves out and why, so that an élu comparing his bilan with the coordinator's knows why a
  family's figure differs;
- the veille croisée of the month as named places, and the near-repeat risk of burglaries in the
  sentence the map and the command line give;
- the cells of a table as a French reader writes them (1 234 ; 3,6).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Connection

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.analysis.crosswatch import watch_places
from ols.analysis.nearrepeat import near_repeat
from ols.cartography.explain import Question, explain
from ols.cartography.layers import zones_geojson
from ols.nomenclature import CATEGORY_BY_CODE, FAMILY_BY_CODE
from ols.periods import Period, parse_period
from ols.reference.areas import Area
from ols.wording import number

TOP_ZONES = 3


@dataclass
class Box:
    """A framed explanation: a title and its sentences."""

    title: str
    sentences: list[str]


def zone_boxes(
    connection: Connection, semester: Period, audience: Audience, top: int = TOP_ZONES, area: Area | None = None
) -> list[Box]:
    """« Pourquoi cette zone ? » for the semester's computed zones with the most facts (of those meeting ``area``),
    as the audience sees them."""
    if not audience.may(Layer.ZONES):
        return []
    features = [f["properties"] for f in zones_geojson(connection, semester, audience, area)["features"]
                if f["properties"]["kind"] == "computed"]  # fmt: skip
    ranked = sorted(features, key=lambda p: -(p["stats"].get("events") or 0))[:top]
    boxes = []
    for zone in ranked:
        found = explain(connection, Question(semester, zone=zone["code"]), audience)
        boxes.append(Box(f"Pourquoi cette zone ? — {zone['name']}", found["sentences"]))
    return boxes


def crosswatch_frame(connection: Connection, month: Period, audience: Audience) -> pd.DataFrame | None:
    """The veille croisée of the month as named places (never a cell id), for the audiences that receive it: the
    places the map shows (:func:`ols.analysis.crosswatch.watch_places`)."""
    if not audience.may(Layer.CROSSWATCH):
        return None
    rows = [{"près de": f["properties"]["name"], "hexagones": f["properties"]["cells"],
             "constat": f["properties"]["sentence"], "risque que ce soit le hasard": f["properties"]["chance"]}
            for f in watch_places(connection, month, audience)["features"]]  # fmt: skip
    return pd.DataFrame(rows, columns=["près de", "hexagones", "constat", "risque que ce soit le hasard"])


def near_repeat_note(connection: Connection, month: Period, audience: Audience) -> str | None:
    """The near-repeat risk of burglaries over the six months ending with ``month``, in the sentence of the map and
    the command line, with the risk areas open at the month's end (police audiences; None for the others)."""
    if not audience.may(Layer.NEAR_REPEAT):
        return None
    last = month.end - timedelta(days=1)
    start = date(month.start.year - (month.start.month <= 5), (month.start.month - 6) % 12 + 1, 1)
    found = near_repeat(connection, parse_period(f"{start}..{last}"), audience, as_of=last)
    areas = len(found["risk_zones"]["features"])
    return (f"{found['sentence']} Calculé sur les six mois du {start:%d/%m/%Y} au {last:%d/%m/%Y} ; "
            f"{number(areas)} zone(s) de risque ouverte(s) au {last:%d/%m/%Y}.")  # fmt: skip


def left_out_note(audience: Audience) -> str | None:
    """Which categories each family leaves out in this version, and why (None when nothing is left out)."""
    by_family: dict[str, list[str]] = {}
    for code in audience.excluded_categories:
        category = CATEGORY_BY_CODE[code]
        by_family.setdefault(FAMILY_BY_CODE[category.family].label, []).append(category.label.lower())
    if not by_family:
        return None
    parts = "; ".join(f"{family} sans {', '.join(labels)}" for family, labels in sorted(by_family.items()))
    return (f"Dans cette version, {parts} : ces catégories sensibles sont réservées à la police et au coordonnateur. "
            "Les chiffres de ces familles, et leur évolution, peuvent donc différer de ceux de la version police "
            "(et même changer de sens).")  # fmt: skip


def cell_text(value: Any) -> str:
    """A table cell as a French reader writes it: 1 234 ; 3,6 ; −2 (text as it is)."""
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, numbers.Integral):
        return number(int(value))
    if isinstance(value, numbers.Real):
        return number(float(value), 1)
    return str(value)
