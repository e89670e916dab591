"""The text a mapping keeps, screened for personal data before validation, and the mapping's policy applied.

Every column of the file that can reach the database as text is searched: the reference, the
label (those of the mapping's table excepted: the mapping's author wrote them), the attributes and
the location's text (address, street, place). What is found is masked in the cells at once, so
that nothing downstream (events, rejected rows, messages, logs) ever sees it; then, as the
mapping's ``nominative.policy`` says, the rows are rejected (reason ``nominative_data``), the
attribute columns dropped, or the file refused. Each distinct value is searched once, and only if
a cheap vectorised pre-filter (RE2, through Arrow) says it may hold something.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from etl.mapping import Mapping
from etl.readers import RawTable
from etl.verdicts import REASONS
from ols.errors import InvalidInputError
from ols.names import name_key
from ols.privacy.detectors import describe, find, mask

logger = logging.getLogger(__name__)

REASON = "nominative_data"
# A superset of what the detectors find (RE2 syntax): values that match none are not searched further.
CANDIDATE = (
    r"@|\d(?:[ .-]?[\dAB]){7}|[A-Za-z]{2}[- ]?\d{3}[- ]?[A-Za-z]{2}|\d[ -][A-Z]{2,3}[ -]\d"
    r"|(?i:\bn[eé]e?[\s(]|naissance|ddn)|\p{Lu}\S*\s+\p{Lu}"
)
LINES_SHOWN = 5


@dataclass(frozen=True)
class ColumnScan:
    """What was found in one column: its masked cells and, per distinct value, the kinds of data found."""

    column: str
    cells: pd.Series
    codes: np.ndarray
    kinds: np.ndarray  # per distinct value, and one more (empty) for the code -1
    flagged: np.ndarray  # per row: something was found

    def what(self) -> str:
        """Every kind found in the column, in French."""
        return describe(set().union(*self.kinds))

    def messages(self, rows: np.ndarray) -> np.ndarray:
        """The rejection message of each of ``rows``: what was found where, never the value."""
        base = REASONS[REASON]
        texts = [f"{base} ({describe(k)}) dans « {self.column} » : valeur masquée" if k else None for k in self.kinds]
        chosen: np.ndarray = np.array(texts, dtype=object)[self.codes[rows]]
        return chosen


def scan_column(values: pd.Series, *, bare_names: bool, exempt: frozenset[str] = frozenset()) -> ColumnScan:
    """Search each distinct value of ``values`` (but the ``exempt`` keys) once; mask what is found."""
    codes, uniques = pd.factorize(values.astype(str), sort=False)
    candidates = np.asarray(pc.match_substring_regex(pa.array(uniques, type=pa.string()), CANDIDATE))
    masked = np.array([*uniques, ""], dtype=object)
    kinds = np.full(len(uniques) + 1, frozenset(), dtype=object)
    for index in np.flatnonzero(candidates):
        value = str(uniques[int(index)])
        if exempt and name_key(value) in exempt:
            continue
        if found := find(value, bare_names=bare_names):
            masked[index], kinds[index] = mask(value, found), frozenset(f.kind for f in found)
    hit = np.fromiter((bool(k) for k in kinds), dtype=bool, count=len(kinds))
    cells = pd.Series(masked[codes], index=values.index, dtype=object) if hit.any() else values
    return ColumnScan(str(values.name), cells, codes, kinds, hit[codes])


def redact_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with personal data masked in every cell (names only after a civility): rejected rows' last guard."""
    return frame.assign(**{str(column): scan_column(frame[column], bare_names=False).cells for column in frame.columns})


def _searched(mapping: Mapping) -> dict[str, bool]:
    """Columns searched, in the order a rejected row names them, and whether bare names are looked for."""
    columns: dict[str, bool] = {}
    for column in [mapping.ref, mapping.label, *mapping.attributes]:
        if column:
            columns.setdefault(column, column not in mapping.nominative.places)
    location = mapping.location
    for column in (location.address, location.street, location.place):
        if column:
            columns.setdefault(column, False)
    return columns


@dataclass
class Screening:
    """A file after screening: its masked cells, the mapping without dropped columns, and the rows to reject."""

    table: RawTable
    mapping: Mapping
    flagged: np.ndarray
    column: np.ndarray
    message: np.ndarray
    dropped: dict[str, str] = field(default_factory=dict)

    def verdicts(self, rows: pd.DataFrame, start: int) -> pd.DataFrame:
        """Validated ``rows`` (file rows ``start`` onwards), those holding personal data rejected with its reason."""
        flagged = self.flagged[start : start + len(rows)]
        if not flagged.any():
            return rows
        reason, column, message = (
            rows[key].to_numpy(dtype=object, copy=True) for key in ("reason", "column", "message")
        )
        reason[flagged] = REASON
        column[flagged] = self.column[start : start + len(rows)][flagged]
        message[flagged] = self.message[start : start + len(rows)][flagged]
        return rows.assign(reason=reason, column=column, message=message)


def _refuse(name: str, scans: list[ColumnScan], lines: np.ndarray) -> None:
    parts = []
    for scan in scans:
        shown = lines[scan.flagged][:LINES_SHOWN]
        more = " …" if scan.flagged.sum() > LINES_SHOWN else ""
        parts.append(f"« {scan.column} » ({scan.what()}, lignes {', '.join(map(str, shown))}{more})")
    msg = (
        f"{name}: fichier refusé, données nominatives interdites dans l'observatoire : {'; '.join(parts)}. "
        "Retirez-les de l'export puis déposez le fichier à nouveau."
    )
    logger.warning(msg)
    raise InvalidInputError(msg)


def _rejections(scans: list[ColumnScan], size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: whether it is rejected, the first column concerned and the message (no value in it)."""
    flagged = np.zeros(size, dtype=bool)
    column = np.full(size, None, dtype=object)
    message = np.full(size, None, dtype=object)
    for scan in scans:
        rows = scan.flagged & ~flagged
        flagged |= rows
        column[rows] = scan.column
        message[rows] = scan.messages(rows)
    return flagged, column, message


def screen(name: str, table: RawTable, mapping: Mapping) -> Screening:
    """Mask the personal data of file ``name``'s searched columns and apply the mapping's policy.

    Raises :class:`InvalidInputError` (naming columns and lines, never values) under ``refuse_file``.
    """
    exempt = frozenset(mapping.label_table())
    scans = [
        scan_column(table.frame[column], bare_names=bare, exempt=exempt if column == mapping.label else frozenset())
        for column, bare in _searched(mapping).items()
    ]
    found = [scan for scan in scans if scan.flagged.any()]
    policy = mapping.nominative.policy
    if found and policy == "refuse_file":
        _refuse(name, found, table.lines)
    dropped = {s.column: s.what() for s in found if policy == "drop_column" and s.column in mapping.attributes}
    for column, what in dropped.items():
        logger.warning("%s: colonne %s écartée : contient %s", name, column, what)
    frame = table.frame.assign(**{scan.column: scan.cells for scan in found})
    flagged, columns, message = _rejections([s for s in found if s.column not in dropped], len(frame))
    if flagged.any():
        logger.warning("%s: %d lignes rejetées pour données nominatives (valeurs masquées)", name, int(flagged.sum()))
    attributes = [column for column in mapping.attributes if column not in dropped]
    return Screening(
        table=replace(table, frame=frame),  # the reader's row issues, geometry and lines kept
        mapping=mapping.model_copy(update={"attributes": attributes}),
        flagged=flagged,
        column=columns,
        message=message,
        dropped=dropped,
    )
