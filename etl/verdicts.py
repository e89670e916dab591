"""Per-row verdicts of validation, and the helpers that build per-row columns from partner cells.

A row gets the first reason that applies, with the column concerned and a message naming the
offending value (shortened to :data:`DETAIL_CHARS` characters: a message never grows with the
file), so that the partner can correct its export.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

REASONS = {
    "missing_label": "libellé absent",
    "unknown_label": "libellé inconnu de la table de correspondance",
    "nominative_data": "donnée nominative",
    "missing_date": "date absente",
    "invalid_date": "date ou heure illisible",
    "impossible_date": "date impossible (future ou antérieure à 1990)",
    "missing_coordinates": "coordonnées absentes",
    "invalid_coordinates": "coordonnées invalides",
    "geocoding_failed": "adresse non trouvée dans la BAN",
    "unknown_place": "lieu inconnu",
    "outside_territory": "hors territoire",
    "malformed_row": "ligne mal formée",
    "invalid_geometry": "géométrie illisible",
    "too_long": "cellule trop longue",
    "invalid_text": "caractère interdit",
}
DETAIL_CHARS = 120
PerRow = pd.Categorical | np.ndarray


class Verdicts:
    """The first rejection reason of each row, with its column and message."""

    def __init__(self, size: int) -> None:
        self.reason = np.full(size, None, dtype=object)
        self.column = np.full(size, None, dtype=object)
        self.message = np.full(size, None, dtype=object)
        self.ok = np.ones(size, dtype=bool)

    def reject(
        self, mask: np.ndarray, reason: str, column: str | None, detail: pd.Series | np.ndarray | str | None = None
    ) -> None:
        """Reject the rows of ``mask`` that have no reason yet (``detail`` adds the offending value)."""
        target = np.asarray(mask, dtype=bool) & self.ok
        if not target.any():
            return
        self.ok &= ~target
        self.reason[target] = reason
        self.column[target] = column
        base = REASONS[reason]
        if detail is None:
            self.message[target] = base
        elif isinstance(detail, str):
            self.message[target] = f"{base}: {_short(detail)}"
        else:
            values = detail[target]
            self.message[target] = [f"{base}: {_short(str(text))}" for text in values]

    def take(self, issues: pd.DataFrame) -> None:
        """Reject the rows a reader could place but not read (``reason``, ``column``, ``detail``; None where read)."""
        reasons = issues["reason"].to_numpy(dtype=object)
        columns = issues["column"].to_numpy(dtype=object)
        details = issues["detail"].to_numpy(dtype=object)
        for reason, column in dict.fromkeys(zip(reasons, columns, strict=True)):
            if reason is not None:
                mask = np.array([r == reason and c == column for r, c in zip(reasons, columns, strict=True)])
                self.reject(mask, str(reason), column, details)


def _short(text: str) -> str:
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"


def per_unique(values: pd.Series, function: Callable[[str], object]) -> np.ndarray:
    """Apply ``function`` once per distinct value (partner columns repeat a lot)."""
    codes, uniques = pd.factorize(values, sort=False)
    results = np.array([function(str(value)) for value in uniques] + [None], dtype=object)
    return results[codes]


def categorical(codes: np.ndarray, values: list[str | None]) -> pd.Categorical:
    """Per-row values from the values of distinct codes (-1: none), without hashing a row again."""
    categories = list(dict.fromkeys(value for value in values if value is not None))
    position = {value: index for index, value in enumerate(categories)}
    recoded = np.array([-1 if value is None else position[value] for value in values] + [-1], dtype=np.int32)
    return from_codes(recoded[codes], categories)


def from_codes(codes: np.ndarray, categories: Iterable[object]) -> pd.Categorical:
    """Per-row values from category codes (-1: none)."""
    return cast(pd.Categorical, pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(list(categories))))


def constant(value: str, size: int) -> pd.Categorical:
    """The same value on ``size`` rows, one byte each."""
    return from_codes(np.zeros(size, dtype=np.int8), [value])


def arrow_text(values: pd.Series) -> pa.Array:
    """The cells as an Arrow string array, trimmed (zero-copy for Arrow-backed columns)."""
    return pc.utf8_trim_whitespace(pa.array(values.astype(str), type=pa.string()))
