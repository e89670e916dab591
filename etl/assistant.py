"""The mapping assistant's reading of a sample file: its layout, its columns, and a first draft of its mapping.

A coordinator who receives a partner file of a new format uploads a sample; OLS says how it is
written (CSV separator and encoding, or an Excel workbook), lists its columns with a few example
values, flags every column that names or holds personal data (the header rules and the value
detectors of :mod:`etl.privacy`, the same ones the ingest applies), and guesses which column is the
reference, the label, the date, the time and the location from their headers and values. The guess
is only a draft (:class:`Draft`): the coordinator checks it row by row (:mod:`etl.trial`) before
saving it as a mapping YAML the ingest and the CLI read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from etl.headers import shown
from etl.privacy.headers import nominative_header
from etl.privacy.screen import scan_column
from etl.sniff import file_kind, refuse
from ols.names import fold
from ols.settings import IngestLimits

SEPARATORS = (";", ",", "\t", "|")
EXAMPLES = 3
DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m")  # fmt: skip
# Folded header → the draft's field it probably is; the first rule a header matches wins.
GUESSES = (
    ("ref", re.compile(r"^(?:N|NO|NUM|NUMERO|REF|REFERENCE|ID|IDENTIFIANT|CODE)\b|\b(?:ID|REF|REFERENCE)$")),
    ("time_column", re.compile(r"\b(?:HEURE|HORAIRE|TIME)\b")),
    ("date_column", re.compile(r"\b(?:DATE|JOUR|MOIS|MONTH|DAY)\b")),
    ("lon", re.compile(r"^(?:LON|LNG|LONG|LONGITUDE)\b")),
    ("lat", re.compile(r"^(?:LAT|LATITUDE)\b")),
    ("x", re.compile(r"^(?:X|COORD X|COORDONNEE X|X L93|X LAMBERT)\b")),
    ("y", re.compile(r"^(?:Y|COORD Y|COORDONNEE Y|Y L93|Y LAMBERT)\b")),
    ("address", re.compile(r"\b(?:ADRESSE|ADDRESS|VOIE|RUE)\b")),
    ("place", re.compile(r"\b(?:LIEU|SITE|STATION|ARRET|RESIDENCE|PLACE)\b")),
    ("label", re.compile(r"\b(?:NATURE|TYPE|MOTIF|INFRACTION|LIBELLE|CATEGORIE|OBJET|FAIT|CRIME)\b")),
)


@dataclass(frozen=True)
class Column:
    """One column of the sample: its name, some example values (personal data masked), and why it is refused."""

    name: str
    examples: list[str]
    nominative: str | None = None


@dataclass
class Sample:
    """A sample file as the assistant reads it: its layout, its columns and every row as text."""

    format: str
    delimiter: str
    encoding: str
    frame: pd.DataFrame
    columns: list[Column] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The sample's description for the API (never its rows: only masked examples)."""
        return {"format": self.format, "delimiter": self.delimiter, "encoding": self.encoding, "rows": len(self.frame),
                "columns": [vars(column) for column in self.columns]}  # fmt: skip


def _encoding(head: bytes) -> str:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not merely a character cut at the end of the head
            return "cp1252"
    return "utf-8"


def _read_text(path: Path, limits: IngestLimits) -> tuple[pd.DataFrame, str, str]:
    head = path.read_bytes()[: 1 << 20]
    encoding = _encoding(head)
    first = head.decode(encoding, errors="replace").lstrip("\ufeff").splitlines()[0] if head.strip() else ""
    delimiter = max(SEPARATORS, key=first.count)
    frame = pd.read_csv(path, sep=delimiter, encoding="utf-8-sig" if encoding == "utf-8" else encoding, dtype=str,
                        keep_default_na=False, nrows=limits.max_rows, engine="python")  # fmt: skip
    return frame, delimiter, encoding


def _why(name: str, values: pd.Series) -> str | None:
    """Why the column may not be used: its header names personal data, or its values hold some."""
    if what := nominative_header(name):
        return f"l'en-tête désigne une donnée nominative ({what})"
    scan = scan_column(values.rename(name), bare_names=False)
    return f"des valeurs contiennent {scan.what()}" if scan.flagged.any() else None


def read_sample(path: Path, limits: IngestLimits) -> Sample:
    """The sample's layout and columns; a file the assistant cannot read is refused in French."""
    kind = file_kind(path)
    if kind.name == "xlsx":
        frame = pd.read_excel(path, dtype=str, keep_default_na=False, nrows=limits.max_rows)
        sample = Sample("xlsx", ";", "utf-8", frame)
    elif kind.name == "text" and kind.unicode in (None, "UTF-8"):
        frame, delimiter, encoding = _read_text(path, limits)
        sample = Sample("csv", delimiter, encoding, frame)
    else:
        raise refuse(path, "l'assistant lit les fichiers CSV (UTF-8 ou Windows) et les classeurs Excel (.xlsx)")
    sample.frame.columns = [str(name).strip() or f"(colonne {index + 1} sans nom)"
                            for index, name in enumerate(sample.frame.columns)]  # fmt: skip
    for name in sample.frame.columns:
        values = sample.frame[name].astype(str)
        why = _why(name, values)
        shown_values = [] if why else [shown(value) for value in values[values.str.strip() != ""].unique()[:EXAMPLES]]
        sample.columns.append(Column(name, shown_values, why))
    return sample


def date_formats(values: pd.Series) -> list[str]:
    """The formats that read every non-empty value among the first hundred, the most precise first."""
    cells = [value.strip() for value in values.head(100) if value.strip()]
    fits = []
    for fmt in DATE_FORMATS:
        try:
            for cell in cells:
                datetime.strptime(cell, fmt)
        except ValueError:
            continue
        fits.append(fmt)
    return sorted(fits, key=len, reverse=True)[:1] or ["%d/%m/%Y"]


def draft_of(sample: Sample, name: str = "") -> dict[str, Any]:
    """A first mapping for the sample, in the assistant's fields: the columns guessed from their headers."""
    found: dict[str, str] = {}
    for column in sample.columns:
        if column.nominative:
            continue
        key = fold(column.name)
        for role, pattern in GUESSES:
            if role not in found and pattern.search(key):
                found[role] = column.name
                break
    kind = "lonlat" if {"lon", "lat"} <= found.keys() else "xy" if {"x", "y"} <= found.keys() else None
    kind = kind or ("address" if "address" in found else "place" if "place" in found else "lonlat")
    formats = date_formats(sample.frame[found["date_column"]]) if "date_column" in found else ["%d/%m/%Y"]
    return {"name": name, "description": "", "format": sample.format, "delimiter": sample.delimiter,
            "encoding": sample.encoding, "ref": found.get("ref"), "label": found.get("label"),
            "date_column": found.get("date_column"), "date_formats": formats, "time_column": found.get("time_column"),
            "location_type": kind, "lon": found.get("lon"), "lat": found.get("lat"), "x": found.get("x"),
            "y": found.get("y"), "crs": "EPSG:2154" if kind == "xy" else "EPSG:4326", "address": found.get("address"),
            "place": found.get("place"), "attributes": [], "categories": {}}  # fmt: skip
