"""The header of a partner file: its column names, checked against the limits and the mapping before any row is read.

Names are trimmed; an empty one gets a name saying where it is. A name that appears twice is
refused when the mapping reads it (which of the two would it be?) and numbered otherwise (a
repeated column no one reads is harmless). A file with more than ``OLS_MAX_COLUMNS`` columns is
refused, and so is one that lacks a column the mapping reads: the message names the missing
columns, a file column that looks like one of them (« crime type » for « Crime type »), and the
separator the header seems to use when it is not the mapping's. Every name a message quotes is
shortened and stripped of control characters, so that no message grows with the file.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from etl.mapping import Mapping
from etl.sniff import refuse
from ols.names import name_key
from ols.settings import IngestLimits

SHOWN_COLUMNS = 30
SHOWN_CHARS = 40
SEPARATORS = (";", ",", "\t", "|")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def shown(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` as a message may quote it: control characters replaced, at most ``limit`` characters."""
    clean = CONTROL.sub("\ufffd", text)
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def _listing(names: list[str]) -> str:
    listed = ", ".join(shown(name) for name in names[:SHOWN_COLUMNS])
    return listed + (f"… ({len(names)} colonnes)" if len(names) > SHOWN_COLUMNS else "")


def _look_alike(column: str, names: list[str]) -> str | None:
    """A file column that is probably ``column`` written differently (case, accents, spaces, a typo)."""
    key = name_key(column)
    for name in names:
        if name_key(name) == key:
            return name
    close = difflib.get_close_matches(column, names, n=1, cutoff=0.85)
    return close[0] if close else None


def _separator_hint(names: list[str], delimiter: str | None) -> str:
    if delimiter is None or len(names) != 1:
        return ""
    found = [sep for sep in SEPARATORS if sep != delimiter and sep in names[0]]
    if not found:
        return ""
    shown_sep = "tabulation" if found[0] == "\t" else f"« {found[0]} »"
    return f" ; le séparateur semble être {shown_sep} et non « {delimiter} » (csv: delimiter dans la correspondance)"


def require_columns(path: Path, names: list[str], mapping: Mapping, *, delimiter: str | None = None) -> None:
    """Refuse the file when a column the mapping reads is not among ``names``."""
    missing = [column for column in mapping.used_columns() if column not in names]
    if not missing:
        return
    quoted = []
    for column in missing:
        alike = _look_alike(column, names)
        quoted.append(f"« {column} »" + (f" (le fichier a « {shown(alike)} »)" if alike else ""))
    one = len(missing) == 1
    raise refuse(
        path,
        f"{'la colonne' if one else 'les colonnes'} {', '.join(quoted)} "
        f"{'attendue' if one else 'attendues'} par la correspondance « {mapping.name} » "
        f"{'est absente' if one else 'sont absentes'}{_separator_hint(names, delimiter)} "
        f"(colonnes du fichier : {_listing(names)}) : renommez les colonnes du fichier ou choisissez la "
        "correspondance de son format",
    )


def check_width(path: Path, columns: int, limits: IngestLimits) -> None:
    """Refuse a file of more than ``OLS_MAX_COLUMNS`` columns."""
    if columns > limits.max_columns:
        raise refuse(
            path,
            f"le fichier compte {columns} colonnes, au-delà de la limite de {limits.max_columns} "
            "(OLS_MAX_COLUMNS) : supprimez les colonnes inutiles",
        )


def column_names(
    path: Path, cells: list[str], mapping: Mapping, limits: IngestLimits, *, where: str, delimiter: str | None = None
) -> list[str]:
    """The file's column names as its rows will be read, once the header is known to be usable."""
    if not any(cell.strip() for cell in cells):
        raise refuse(path, f"l'en-tête de colonnes ({where}) est vide : la première ligne doit nommer les colonnes")
    check_width(path, len(cells), limits)
    names: list[str] = []
    first: dict[str, int] = {}
    used = set(mapping.used_columns())
    for index, cell in enumerate(cells):
        name = cell.strip() or f"(colonne {index + 1} sans nom)"
        if name in first:
            if name in used:
                raise refuse(
                    path,
                    f"la colonne « {shown(name)} » apparaît deux fois (colonnes {first[name] + 1} "
                    f"et {index + 1}) : renommez l'une des deux ou supprimez celle en trop",
                )
            name = f"{name} ({index + 1})"
        first.setdefault(name, index)
        names.append(name)
    require_columns(path, names, mapping, delimiter=delimiter)
    return names
