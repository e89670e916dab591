"""Pydantic's refusals in French: what a value must be, one phrase per kind of error.

Pydantic words its errors in English ("Field required", "Input should be a valid integer"). The
settings (``OLS_*``), the mappings and the API's checks of a request all say them to a user, so
each kind of error has its French phrase here; a kind without one is named by its code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def _choices(ctx: dict[str, Any]) -> str:
    return str(ctx["expected"]).replace(" or ", " ou ")


PHRASES: dict[str, Callable[[dict[str, Any]], str]] = {
    "missing": lambda ctx: "manque",
    "extra_forbidden": lambda ctx: "est une clé inconnue (faute de frappe ?)",
    "greater_than_equal": lambda ctx: f"doit être au moins {ctx['ge']}",
    "greater_than": lambda ctx: f"doit dépasser {ctx['gt']}",
    "less_than_equal": lambda ctx: f"doit être au plus {ctx['le']}",
    "less_than": lambda ctx: f"doit être sous {ctx['lt']}",
    "int_parsing": lambda ctx: "doit être un nombre entier",
    "int_from_float": lambda ctx: "doit être un nombre entier",
    "int_type": lambda ctx: "doit être un nombre entier",
    "float_parsing": lambda ctx: "doit être un nombre",
    "float_type": lambda ctx: "doit être un nombre",
    "bool_parsing": lambda ctx: "doit valoir true ou false",
    "date_parsing": lambda ctx: "doit être une date AAAA-MM-JJ",
    "date_from_datetime_parsing": lambda ctx: "doit être une date AAAA-MM-JJ",
    "literal_error": lambda ctx: f"doit valoir {_choices(ctx)}",
    "enum": lambda ctx: f"doit valoir {_choices(ctx)}",
    "string_type": lambda ctx: "doit être du texte",
    "string_pattern_mismatch": lambda ctx: f"doit suivre la forme {ctx['pattern']}",
    "string_too_short": lambda ctx: f"doit compter au moins {ctx['min_length']} caractères",
    "string_too_long": lambda ctx: f"doit compter au plus {ctx['max_length']} caractères",
    "too_short": lambda ctx: f"doit compter au moins {ctx['min_length']} élément(s)",
    "too_long": lambda ctx: f"doit compter au plus {ctx['max_length']} élément(s)",
    "list_type": lambda ctx: "doit être une liste",
    "dict_type": lambda ctx: "doit être un dictionnaire (clé: valeur)",
    "model_type": lambda ctx: "doit être un dictionnaire (clé: valeur)",
    "model_attributes_type": lambda ctx: "doit être un dictionnaire (clé: valeur)",
    "json_invalid": lambda ctx: "n'est pas du JSON valide",
    "value_error": lambda ctx: str(ctx["error"]),
}
PLACES = {"body", "query", "path", "header", "cookie", "form"}  # the API's first element of a location


def phrase(error: dict[str, Any]) -> str:
    """What the refused value must be, in French."""
    said = PHRASES.get(error["type"])
    return said(error.get("ctx", {})) if said else f"est refusée ({error['type']})"


def where(location: Sequence[int | str]) -> str:
    """The refused value's place, ``« location.lon »`` (the API's ``body``/``query`` left out)."""
    parts = [str(part) for part in location]
    if parts and parts[0] in PLACES:
        parts = parts[1:]
    return f"« {'.'.join(parts)} »" if parts else "la valeur"


def describe(errors: Sequence[Any]) -> str:
    """Every refused value, in French: ``« date » manque ; « csv.encoding » : encodage inconnu …``."""
    said = []
    for error in errors:
        place, text = where(error["loc"]), phrase(error)
        said.append(f"{place} : {text}" if error["type"] == "value_error" else f"{place} {text}")
    return " ; ".join(said)
