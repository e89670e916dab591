"""What a report adds around its tables so that a reader can trust them: explanation boxes and notes.

- an explanation box (« Pourquoi cette zone ? ») for each of the semester's top zones, from the
  same service as the API and the map (:mod:`ols.cartography.explain`);
- for a version whose audience does not receive every category, which categories each family
  leaves out and why, so that an élu comparing his bilan with the coordinator's knows why a
  family's figure differs;
- the veille croisée of the month as named places;
- the cells of a table as a French reader writes them (1 234 ; 3,6).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection

from ols.access.audience import Audience
from ols.access.roles import Layer
from ols.analysis.crosswatch import crosswatch
from ols.cartography.explain import Question, explain
from ols.cartography.layers import zones_geojson
from ols.cartography.refresh import Context
from ols.nomenclature import CATEGORY_BY_CODE, FAMILY_BY_CODE
from ols.periods import Period
from ols.reference.areas import Area
from ols.wording import number

TOP_ZONES = 3
CROSSWATCH_GROUPS = [["gathering", "drug_trafficking"], ["residential_burglary"], ["vehicle_arson"]]
CROSSWATCH_RESOLUTION = 10
CROSSWATCH_PERMUTATIONS = 199


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
    """The veille croisée of the month as named places (never a cell id), for the audiences that receive it."""
    if not audience.may(Layer.CROSSWATCH):
        return None
    result = crosswatch(connection, month, Context.load(connection).area, CROSSWATCH_GROUPS, audience,
                        resolution=CROSSWATCH_RESOLUTION, permutations=CROSSWATCH_PERMUTATIONS)  # fmt: skip
    places: dict[str, dict[str, Any]] = {}
    for row in result["flagged"]:  # strongest first: a place keeps its strongest cell's sentence
        place = places.setdefault(row["place"] or "lieu sans nom", {"hexagones": 0, "constat": row["sentence"],
                                                                    "p": row["p_fdr"]})  # fmt: skip
        place["hexagones"] += 1
    rows = [{"près de": name, "hexagones": found["hexagones"], "constat": found["constat"],
             "risque que ce soit le hasard": chance_short(found["p"])} for name, found in places.items()]  # fmt: skip
    return pd.DataFrame(rows, columns=["près de", "hexagones", "constat", "risque que ce soit le hasard"])


def chance_short(q: float) -> str:
    """A corrected p-value in a table cell: « moins de 5 sur 100 »."""
    level = next((level for level in (1, 5, 10) if q <= level / 100), None)
    if level is None:
        return f"environ {number(q * 100)} sur 100"
    return "moins de 1 sur 100" if level == 1 else f"moins de {level} sur 100"


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
