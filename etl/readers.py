"""Readers that turn a partner file into a table of text cells with their line numbers.

Every reader returns text exactly as the partner wrote it (no type guessing, empty cells as
``""``) so that validation can name the line and column of each problem. Geographic formats also
return the x/y of each feature's geometry in the file's CRS.

Before any reader runs, the file is checked to be what its mapping says (:mod:`etl.sniff`) and
within ``OLS_MAX_FILE_MB``; each reader then checks its header (:mod:`etl.headers`) and its size
against the limits before reading rows. A file that cannot be read is refused with a French
message naming it, the line or column when there is one, and what to do. A row that cannot be
read while the others can (a CSV line with the wrong number of cells, a geometry GEOS cannot
build) is kept with its problem in ``issues``, to be rejected with the reason like any bad row.
"""

from __future__ import annotations

import csv
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from etl.geofiles import read_geo
from etl.headers import column_names
from etl.mapping import Mapping
from etl.rawtable import RawTable, issues_frame
from etl.sniff import file_name, inspect, refuse
from etl.textscan import Overlong, TextLayout, french, scan_text
from etl.workbook import read_xlsx
from ols.settings import IngestLimits, ingest_limits

__all__ = ["RawTable", "read_file"]

logger = logging.getLogger(__name__)

MIN_BLOCK = 1 << 24
LINE_BREAK = re.compile(r"\r\n|\r|\n")


def read_file(path: Path, mapping: Mapping, limits: IngestLimits | None = None) -> RawTable:
    """Read ``path`` as the mapping's file type says, within ``limits`` (by default the ``OLS_MAX_*`` settings)."""
    limits = limits or ingest_limits()
    kind = inspect(path, mapping, limits)
    logger.debug("lecture de %s (%s, correspondance %s)", file_name(path), mapping.format, mapping.name)
    if mapping.format == "csv":
        return _read_csv(path, mapping, limits, scan_text(path, mapping.csv, kind, limits))
    if mapping.format == "xlsx":
        return read_xlsx(path, mapping, limits)
    return read_geo(path, mapping, limits, kind)


class _Invalid:
    """Rows Arrow could not split into the header's columns: their row number (1-based), cell count and text."""

    def __init__(self) -> None:
        self.rows: list[tuple[int | None, int, str]] = []

    def __call__(self, row: pacsv.InvalidRow) -> str:
        self.rows.append((row.number, row.actual_columns, row.text))
        return "skip"


def _parse(layout: TextLayout, names: list[str], *, threads: bool) -> tuple[pa.Table, _Invalid]:
    """The rows after the header as text columns, and those Arrow could not split (numbered only without threads)."""
    invalid = _Invalid()
    source = pa.BufferReader(layout.rows())
    table = pacsv.read_csv(
        source,
        read_options=pacsv.ReadOptions(
            encoding="utf8" if layout.encoding == "utf_8" else layout.encoding,
            column_names=names,
            block_size=max(MIN_BLOCK, 2 * layout.longest + 2),
            use_threads=threads,
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=layout.delimiter, newlines_in_values=False, invalid_row_handler=invalid
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    )
    return table, invalid


def _split(invalid: _Invalid, delimiter: str, width: int) -> list[tuple[float, list[str], str | None]]:
    """Each refused row as (position among the rows, cells, problem), a row spanning several lines split back.

    An unclosed quote swallows the lines after it into one row: split into its lines again, those
    with the right number of cells are ordinary rows.
    """
    placed: list[tuple[float, list[str], str | None]] = []
    for number, actual, text in invalid.rows:
        parts = LINE_BREAK.split(text)
        for offset, part in enumerate(parts):
            cells = next(csv.reader([part], delimiter=delimiter), [])
            found = actual if len(parts) == 1 else len(cells)
            problem = None
            if found != width:
                problem = (
                    f"{found} cellule{'s' if found > 1 else ''} au lieu de {width} : vérifiez les séparateurs "
                    f"« {delimiter} » et les guillemets de la ligne"
                )
            placed.append(((number or 1) - 1 + offset / len(parts), (cells + [""] * width)[:width], problem))
    return placed


def _with_invalid_rows(frame: pd.DataFrame, invalid: _Invalid, delimiter: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows Arrow read and those it refused, in file order, with the refused ones' issues."""
    placed = _split(invalid, delimiter, frame.shape[1])
    refused_at = np.array([position for position, _, _ in placed])
    read_at = np.setdiff1d(np.arange(len(frame) + len(invalid.rows)), np.floor(refused_at))
    order = np.argsort(np.concatenate((read_at, refused_at)), kind="stable")
    extra = pd.DataFrame([cells for _, cells, _ in placed], columns=frame.columns, dtype=object)
    merged = pd.concat([frame.astype(object), extra], ignore_index=True).iloc[order].reset_index(drop=True)
    problems = [None] * len(frame) + [problem for _, _, problem in placed]
    details = [problems[index] for index in order]
    rows = np.array([index for index, detail in enumerate(details) if detail is not None], dtype=np.int64)
    return merged, issues_frame(len(merged), rows, "malformed_row", None, [details[row] for row in rows])


def _with_overlong(
    frame: pd.DataFrame, issues: pd.DataFrame | None, over: Overlong
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows read and the overlong rows left unread (their cells empty), in file order, these rejected."""
    total = len(frame) + len(over.rows)
    order = np.argsort(np.concatenate((np.setdiff1d(np.arange(total), over.rows), over.rows)), kind="stable")
    blank = pd.DataFrame("", index=range(len(over.rows)), columns=frame.columns, dtype=object)
    merged = pd.concat([frame.astype(object), blank], ignore_index=True).iloc[order].reset_index(drop=True)
    details = [
        f"ligne de {french(int(chars))} caractères, plus que les limites n'en permettent ({french(over.limit)} : "
        "OLS_MAX_COLUMNS × OLS_MAX_*_CHARS) ; non lue"
        for chars in over.chars
    ]
    read = issues if issues is not None else issues_frame(len(frame), np.zeros(0, np.int64), "", None, [])
    unread = issues_frame(len(over.rows), np.arange(len(over.rows)), "too_long", None, details)
    return merged, pd.concat([read, unread], ignore_index=True).iloc[order].reset_index(drop=True)


def _read_csv(path: Path, mapping: Mapping, limits: IngestLimits, layout: TextLayout) -> RawTable:
    """The rows of a delimited text file laid out by :func:`etl.textscan.scan_text`, with their true lines.

    The lines too long for the limits (:class:`etl.textscan.Overlong`) are not parsed: their rows
    come back empty, in their place, rejected with reason ``too_long``.
    """
    where = f"ligne {layout.header_line}"
    names = column_names(path, layout.header, mapping, limits, where=where, delimiter=layout.delimiter)
    if len(layout.lines) == len(layout.overlong.rows):  # no row to parse: an empty batch, or only overlong rows
        empty = pd.DataFrame({name: pd.Series(dtype=object) for name in names})
        if not len(layout.lines):
            return RawTable(frame=empty, lines=layout.lines)
        unread, rejected = _with_overlong(empty, None, layout.overlong)
        return RawTable(frame=unread, lines=layout.lines, issues=rejected)
    try:
        table, invalid = _parse(layout, names, threads=True)
        if invalid.rows and any(number is None for number, _, _ in invalid.rows):
            table, invalid = _parse(layout, names, threads=False)
    except (pa.ArrowInvalid, UnicodeError) as error:
        logger.debug("%s : %s", file_name(path), type(error).__name__)  # not its text: Arrow quotes the row
        raise refuse(
            path,
            "fichier CSV illisible (guillemets ou séparateurs déséquilibrés ?) : vérifiez-le dans "
            "un tableur et ré-exportez-le",
        ) from error
    frame: pd.DataFrame = table.to_pandas()
    issues: pd.DataFrame | None = None
    if invalid.rows:
        frame, issues = _with_invalid_rows(frame, invalid, layout.delimiter)
    over, lines = layout.overlong, layout.lines
    if len(over.rows):
        frame, issues = _with_overlong(frame, issues, over)
    if len(lines) != len(frame):  # values holding line breaks: rows are no longer lines, number them in order
        lines = np.arange(len(frame), dtype=np.int64) + layout.header_line + 1
    return RawTable(frame=frame, lines=np.asarray(lines, dtype=np.int64), issues=issues)
