"""Excel workbooks, opened only once their archive is known to unpack to a sane size.

An XLSX file is a ZIP archive of XML parts, and a few hundred kilobytes can unpack to gigabytes:
a cell of 150 million characters compresses a thousandfold. The archive's directory says what
each part unpacks to (and Python's ``zipfile`` never unpacks more than that), so the workbook is
refused before it is opened when its parts would unpack beyond ``OLS_MAX_UNPACKED_MB``, when a
part of over a megabyte unpacks to more than :data:`BOMB_RATIO` times its compressed size (an
ordinary sheet compresses five to twenty times), or when it holds more than :data:`MAX_PARTS`
parts. It is then read in openpyxl's read-only mode, row after row, no further than the row limit.
"""

from __future__ import annotations

import logging
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd

from etl.headers import column_names, shown
from etl.mapping import Mapping
from etl.rawtable import RawTable
from etl.sniff import MEGABYTE, file_name, refuse
from ols.settings import IngestLimits

logger = logging.getLogger(__name__)

BOMB_RATIO = 100
BOMB_MIN_BYTES = MEGABYTE
MAX_PARTS = 10_000
UNREADABLE = (
    zipfile.BadZipFile,
    KeyError,
    OSError,
    EOFError,
    ValueError,
    TypeError,
    SyntaxError,
    zlib.error,
    NotImplementedError,
)
RESAVE = "réenregistrez-le depuis Excel et envoyez-le à nouveau"


def _check_parts(path: Path, limits: IngestLimits) -> None:
    """Refuse a workbook whose archive would unpack beyond the limits, from its directory alone."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise refuse(path, f"le classeur est tronqué ou endommagé (archive ZIP illisible) : {RESAVE}") from None
    if len(parts) > MAX_PARTS:
        raise refuse(
            path,
            f"l'archive du classeur contient {len(parts)} fichiers (au plus {MAX_PARTS}) : ce n'est "
            f"pas un classeur ordinaire ; {RESAVE}",
        )
    unpacked = sum(part.file_size for part in parts)
    if unpacked > limits.max_unpacked_mb * MEGABYTE:
        raise refuse(
            path,
            f"le classeur se décompresse en {unpacked // MEGABYTE} Mo, au-delà de la limite de "
            f"{limits.max_unpacked_mb} Mo (OLS_MAX_UNPACKED_MB) : découpez-le ou enregistrez-le en CSV",
        )
    for part in parts:
        if part.file_size > BOMB_MIN_BYTES and part.file_size > BOMB_RATIO * max(part.compress_size, 1):
            raise refuse(
                path,
                f"le classeur se décompresse en {part.file_size // MEGABYTE} Mo ({shown(part.filename)}) pour "
                f"{max(part.compress_size // 1024, 1)} Ko compressés : refusé avant lecture (cellule démesurée ou "
                "« bombe de décompression ») ; vérifiez le classeur, supprimez les cellules et lignes inutiles, ou "
                "enregistrez la feuille en CSV",
            )


def _sheet(path: Path, workbook: Any, mapping: Mapping) -> str:
    names = list(workbook.sheetnames)
    wanted = mapping.sheet
    if isinstance(wanted, int):
        if 0 <= wanted < len(names):
            return str(names[wanted])
        raise refuse(
            path, f"le classeur n'a pas de feuille n° {wanted + 1} (feuilles : {', '.join(map(shown, names))})"
        )
    if wanted not in names:
        raise refuse(
            path,
            f"la feuille « {wanted} » est absente du classeur (feuilles : {', '.join(map(shown, names))}) : renommez "
            "la feuille ou indiquez sheet: dans la correspondance",
        )
    return wanted


def _cells(path: Path, mapping: Mapping, limits: IngestLimits) -> tuple[str, pd.DataFrame]:
    """The sheet's name and its cells as text (the header row first), at most the row limit and two rows more."""
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except UNREADABLE as error:
        logger.debug("%s : %s", file_name(path), type(error).__name__)
        raise refuse(path, f"le classeur est illisible (parties manquantes ou endommagées) : {RESAVE}") from error
    try:
        sheet = _sheet(path, workbook, mapping)
        frame = pd.read_excel(
            workbook, sheet_name=sheet, header=None, dtype=str, keep_default_na=False, nrows=limits.max_rows + 2
        )
    except UNREADABLE as error:
        logger.debug("%s : %s", file_name(path), type(error).__name__)
        raise refuse(path, f"la feuille du classeur est illisible (XML endommagé) : {RESAVE}") from error
    finally:
        workbook.close()
    return sheet, frame


def read_xlsx(path: Path, mapping: Mapping, limits: IngestLimits) -> RawTable:
    """The mapping's sheet as text cells; lines are the sheet's row numbers (the header on row 1)."""
    _check_parts(path, limits)
    sheet, cells = _cells(path, mapping, limits)
    if cells.empty:
        raise refuse(path, f"la feuille « {shown(sheet)} » est vide : aucun en-tête de colonnes")
    if len(cells) - 1 > limits.max_rows:
        raise refuse(
            path,
            f"le fichier compte plus de {limits.max_rows} lignes (OLS_MAX_ROWS) : découpez-le "
            "(par exemple par mois) ou faites relever la limite",
        )
    header = [str(cell) for cell in cells.iloc[0]]
    names = column_names(path, header, mapping, limits, where=f"ligne 1 de la feuille « {shown(sheet)} »")
    frame = cells.iloc[1:].reset_index(drop=True)
    frame.columns = pd.Index(names)
    return RawTable(frame=frame.fillna(""), lines=np.arange(len(frame), dtype=np.int64) + 2)
