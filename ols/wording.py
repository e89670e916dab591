"""Plain French for every code and number a person reads: classes, trends, statuses, chances, figures.

The API, the files and the database keep short English codes (``hot_99``, ``persistent_hot``,
``insufficient``); whatever a person reads (the map's legend, a report, an export, the command
line) goes through this one module, so that a code never reaches a French reader and the same
code is always said the same way. Numbers are written as a French reader writes them: a narrow
no-break space between thousands, a decimal comma, a space before ``%`` (1 234,5 ; 3,6 %).
"""

from __future__ import annotations

import math
from datetime import date

CLASS_LABELS: dict[str, str] = {
    "hot_99": "point chaud très marqué",
    "hot_95": "point chaud marqué",
    "hot_90": "point chaud à confirmer",
    "cold_99": "point froid très marqué",
    "cold_95": "point froid marqué",
    "cold_90": "point froid à confirmer",
    "not_significant": "pas de regroupement notable",
    "insufficient": "données insuffisantes",
}
CLASS_ORDER = tuple(CLASS_LABELS)
CONFIDENCE = {"99": 1, "95": 5, "90": 10}  # chances out of 100 that a class of that level is chance

PATTERN_LABELS: dict[str, str] = {
    "new_hot": "nouveau point chaud",
    "consecutive_hot": "point chaud depuis peu, sans interruption",
    "intensifying_hot": "point chaud qui s'intensifie",
    "persistent_hot": "point chaud persistant",
    "diminishing_hot": "point chaud qui s'atténue",
    "sporadic_hot": "point chaud intermittent",
    "oscillating_hot": "point chaud qui alterne avec un point froid",
    "historical_hot": "ancien point chaud",
    "new_cold": "nouveau point froid",
    "consecutive_cold": "point froid depuis peu, sans interruption",
    "intensifying_cold": "point froid qui s'accentue",
    "persistent_cold": "point froid persistant",
    "diminishing_cold": "point froid qui s'atténue",
    "sporadic_cold": "point froid intermittent",
    "oscillating_cold": "point froid qui alterne avec un point chaud",
    "historical_cold": "ancien point froid",
    "no_pattern": "pas de tendance notable",
}
STATUS_LABELS: dict[str, str] = {"computed": "calculé", "insufficient": "données insuffisantes"}
UNKNOWN = "classe non reconnue"


def class_label(code: str | None) -> str:
    """A hot-spot class in French (``hot_99`` → « point chaud très marqué »)."""
    return CLASS_LABELS.get(code or "", UNKNOWN)


def pattern_label(code: str | None) -> str:
    """An emerging hot-spot pattern in French (``persistent_hot`` → « point chaud persistant »)."""
    return PATTERN_LABELS.get(code or "", UNKNOWN)


def status_label(code: str | None) -> str:
    """A layer's status in French."""
    return STATUS_LABELS.get(code or "", UNKNOWN)


def number(value: float | int | None, decimals: int = 0) -> str:
    """A number as a French reader writes it: 1 234 ; 1 234,5 (empty for none)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")
    return text.replace("-", "\u2212")


def percent(value: float | None, decimals: int = 1, *, signed: bool = False) -> str:
    """A percentage in French: 3,6 % ; with ``signed``, +3,6 % or −2,1 %."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    sign = "+" if signed and value > 0 else ""
    return f"{sign}{number(value, decimals)}\u00a0%"


def chance(q: float | None) -> str:
    """An FDR-corrected p-value in words, for a reader who never met one."""
    if q is None or math.isnan(q):
        return "aucun test n'a été fait : trop peu de faits pour conclure"
    for level in (1, 5, 10):
        if q <= level / 100:
            chances = "moins d'une chance" if level == 1 else f"moins de {level} chances"
            return f"{chances} sur 100 que ce regroupement soit dû au hasard"
    return (f"environ {number(min(q, 1.0) * 100)} chances sur 100 que ce regroupement soit dû au hasard : "
            "on ne peut pas l'en distinguer")  # fmt: skip


def class_meaning(code: str | None) -> str:
    """What a class says, in one French sentence."""
    if code in (None, "insufficient"):
        return "Trop peu de faits autour de cette cellule pour dire si elle se distingue du reste du territoire."
    if code == "not_significant":
        return "Les faits de cette cellule et de ses voisines ne se distinguent pas du hasard."
    kind, level = str(code).split("_")
    where = "plus" if kind == "hot" else "moins"
    chances = "moins d'une chance" if CONFIDENCE[level] == 1 else f"moins de {CONFIDENCE[level]} chances"
    return (f"La cellule et ses voisines comptent nettement {where} de faits que la moyenne du territoire, "
            f"avec {chances} sur 100 que ce soit dû au hasard.")  # fmt: skip


NEAR_REPEAT_SUBJECTS = {"residential_burglary": "un cambriolage de logement"}


def near_repeat_subject(category: str, label: str) -> str:
    """« un cambriolage de logement »: the fact a near-repeat sentence starts from."""
    return NEAR_REPEAT_SUBJECTS.get(category, f"un fait « {label.lower()} »")


def near_repeat_sentence(subject: str, radius_m: float, ratio: float, days: int) -> str:
    """The Knox result as the sentence every reader gets (map, API, command line, reports): « Après un cambriolage
    de logement, le risque dans un rayon de 200 m reste 2,1 fois plus élevé pendant 14 jours »."""
    return (f"Après {subject}, le risque dans un rayon de {number(radius_m)} m reste {number(ratio, 1)} fois plus "
            f"élevé pendant {days} jours (comparé à des dates tirées au hasard).")  # fmt: skip


def no_near_repeat_sentence(subject: str, events: int) -> str:
    """The Knox result when no band is significantly above chance."""
    return (f"Pas de répétition mise en évidence : après {subject}, le risque alentour n'est pas plus élevé que ne "
            f"le donnerait le hasard ({number(events)} faits datés).")  # fmt: skip


def risk_area_sentence(subject: str, day: date, radius_m: float, until: date) -> str:
    """One risk area of the map: « Après un cambriolage de logement le 03/06/2026 : risque plus élevé dans un rayon
    de 100 m jusqu'au 10/06/2026. »"""
    return (f"Après {subject} le {day:%d/%m/%Y} : risque plus élevé dans un rayon de {number(radius_m)} m "
            f"jusqu'au {until:%d/%m/%Y}.")  # fmt: skip
