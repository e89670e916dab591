"""Row-level checks of the cells a mapping reads, and the bounded copy of a rejected row kept for the partner.

A label, reference, attribute or other read cell longer than its limit (``OLS_MAX_LABEL_CHARS``,
``OLS_MAX_REF_CHARS``, ``OLS_MAX_ATTRIBUTE_CHARS``, ``OLS_MAX_CELL_CHARS``) rejects its row
(``too_long``), as does a read cell holding the NUL character (``invalid_text``), which no
PostgreSQL text can hold. A rejected row keeps the cells the mapping reads, each cut to
:data:`RAW_CHARS` characters with an ellipsis and its NUL characters shown as U+FFFD: enough for
the partner to find and fix the row, never the megabytes a cell may hold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.mapping import Mapping
from etl.verdicts import Verdicts
from ols.settings import IngestLimits

RAW_CHARS = 200
NUL = "\x00"
SHOWN_NUL = "\ufffd"


def cell_limits(mapping: Mapping, limits: IngestLimits) -> dict[str, tuple[int, str]]:
    """Each column the mapping reads, with its length limit and the setting that sets it."""
    bounds = dict.fromkeys(mapping.used_columns(), (limits.max_cell_chars, "OLS_MAX_CELL_CHARS"))
    bounds.update(dict.fromkeys(mapping.attributes, (limits.max_attribute_chars, "OLS_MAX_ATTRIBUTE_CHARS")))
    if mapping.ref:
        bounds[mapping.ref] = (limits.max_ref_chars, "OLS_MAX_REF_CHARS")
    bounds[mapping.label] = (limits.max_label_chars, "OLS_MAX_LABEL_CHARS")
    return bounds


def check_cells(frame: pd.DataFrame, mapping: Mapping, limits: IngestLimits, verdicts: Verdicts) -> None:
    """Reject the rows whose read cells are too long or hold a NUL character."""
    for column, (limit, setting) in cell_limits(mapping, limits).items():
        text = frame[column].astype(str)
        lengths = text.str.len().to_numpy(dtype=np.int64)
        too_long = lengths > limit
        if too_long.any():
            detail = np.full(len(text), None, dtype=object)
            detail[too_long] = [f"{length} caractères, au plus {limit} ({setting})" for length in lengths[too_long]]
            verdicts.reject(too_long, "too_long", column, detail)
        nul = text.str.contains(NUL, regex=False).to_numpy(dtype=bool)
        verdicts.reject(nul, "invalid_text", column, "caractère nul (U+0000) dans la cellule ; ré-exportez le fichier")


def _bounded(value: object) -> str:
    text = str(value).replace(NUL, SHOWN_NUL)
    return text if len(text) <= RAW_CHARS else text[: RAW_CHARS - 1] + "…"


def rejected_raw(frame: pd.DataFrame) -> list[str]:
    """The read cells of rejected rows as JSON lines, each cell bounded (:data:`RAW_CHARS`) and free of NUL."""
    if len(frame) == 0:
        return []
    if frame.shape[1] == 0:
        return ["{}"] * len(frame)
    cells = frame.astype(object).map(_bounded)
    return cells.to_json(orient="records", lines=True, force_ascii=False).splitlines()
