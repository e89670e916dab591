"""Tables for people: CSV that French Excel opens correctly and that cannot run formulas."""

from __future__ import annotations

import io

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix text that a spreadsheet would read as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_excel_csv(frame: pd.DataFrame) -> str:
    """``;``-separated CSV with a UTF-8 BOM and formula injection neutralised."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    frame.map(neutralise).to_csv(buffer, sep=";", index=False, lineterminator="\r\n")
    return buffer.getvalue()
