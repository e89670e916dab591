"""Normalised keys for names written in many ways: streets, places, partner labels.

"Av. J. Jaurès", "AVENUE JEAN JAURES" and "avenue Jean-Jaurès" must meet, so keys drop accents,
case, punctuation and the French particles, and expand the usual street-type abbreviations
(as the BAN's ``nom_afnor`` does).
"""

from __future__ import annotations

import re
import unicodedata

STREET_TYPES = {
    "ALL": "ALLEE",
    "AV": "AVENUE",
    "AVE": "AVENUE",
    "BD": "BOULEVARD",
    "BLD": "BOULEVARD",
    "BOUL": "BOULEVARD",
    "CHE": "CHEMIN",
    "CH": "CHEMIN",
    "CRS": "COURS",
    "CITE": "CITE",
    "IMP": "IMPASSE",
    "PL": "PLACE",
    "PLA": "PLACE",
    "PROM": "PROMENADE",
    "QU": "QUAI",
    "R": "RUE",
    "RES": "RESIDENCE",
    "RTE": "ROUTE",
    "SQ": "SQUARE",
    "SENT": "SENTIER",
    "FBG": "FAUBOURG",
    "PAS": "PASSAGE",
    "RPT": "ROND POINT",
    "ST": "SAINT",
    "STE": "SAINTE",
    "GAL": "GENERAL",
    "GEN": "GENERAL",
    "MAL": "MARECHAL",
    "PDT": "PRESIDENT",
}
PARTICLES = {"DE", "DU", "DES", "LA", "LE", "LES", "L", "D", "AU", "AUX", "ET"}
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")


def fold(text: str) -> str:
    """Upper case without accents, ligatures or punctuation, single-spaced."""
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "OE"))
    ascii_text = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NON_ALNUM.sub(" ", ascii_text.upper()).strip()


def name_key(text: str) -> str:
    """Key of a place or a label: folded, particles kept (``"Hôtel de ville"`` → ``"HOTEL DE VILLE"``)."""
    return fold(text)


def street_key(text: str) -> str:
    """Key of a street name: folded, abbreviations expanded, particles dropped."""
    words = [STREET_TYPES.get(word, word) for word in fold(text).split()]
    return " ".join(word for word in words if word not in PARTICLES)
