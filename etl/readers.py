"""Readers that turn a partner file into a table of text cells with their line numbers.

Every reader returns text exactly as the partner wrote it (no type guessing, empty cells as
``""``) so that validation can name the line and column of each problem. Geographic formats also
return the x/y of each feature's geometry in the file's CRS.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyogrio
import shapely

from etl.mapping import Mapping
from ols.errors import InvalidInputError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawTable:
    """A partner file as text cells, with the file line of each row and optional geometry."""

    frame: pd.DataFrame
    lines: np.ndarray
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    crs: str | None = None

    def __len__(self) -> int:
        return len(self.frame)


def read_file(path: Path, mapping: Mapping) -> RawTable:
    """Read ``path`` as the mapping's file type says."""
    readers = {"csv": _read_csv, "xlsx": _read_xlsx, "geojson": _read_geo, "gpkg": _read_geo}
    logger.debug("lecture de %s (%s, correspondance %s)", path.name, mapping.format, mapping.name)
    try:
        return readers[mapping.format](path, mapping)
    except (pa.ArrowInvalid, UnicodeDecodeError, ValueError, pyogrio.errors.DataSourceError) as error:
        msg = f"{path.name}: cannot be read as {mapping.format}: {error}"
        raise InvalidInputError(msg) from error


def _header(path: Path, mapping: Mapping) -> list[str]:
    options = mapping.csv
    with path.open(encoding=options.encoding, newline="") as handle:
        for _ in range(options.skip_rows):
            handle.readline()
        first = handle.readline().lstrip("\ufeff").rstrip("\r\n")
    return next(csv.reader([first], delimiter=options.delimiter))


def _read_csv(path: Path, mapping: Mapping) -> RawTable:
    options = mapping.csv
    names = _header(path, mapping)
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(
            encoding=options.encoding, skip_rows=options.skip_rows + 1, column_names=names, block_size=1 << 24
        ),
        parse_options=pacsv.ParseOptions(delimiter=options.delimiter, newlines_in_values=False),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    frame = table.to_pandas()
    lines = np.arange(len(frame), dtype=np.int64) + options.skip_rows + 2
    return RawTable(frame=frame, lines=lines)


def _read_xlsx(path: Path, mapping: Mapping) -> RawTable:
    frame = pd.read_excel(path, sheet_name=mapping.sheet, dtype=str, keep_default_na=False, engine="openpyxl")
    frame.columns = [str(column) for column in frame.columns]
    lines = np.arange(len(frame), dtype=np.int64) + 2
    return RawTable(frame=frame.fillna(""), lines=lines)


def _read_geo(path: Path, mapping: Mapping) -> RawTable:
    gdf = pyogrio.read_dataframe(path, layer=mapping.layer)
    geometry = gdf.geometry.array
    points = shapely.point_on_surface(np.asarray(geometry, dtype=object))
    empty = shapely.is_missing(points) | shapely.is_empty(points)
    x = np.where(empty, np.nan, shapely.get_x(np.where(empty, shapely.Point(0, 0), points)))
    y = np.where(empty, np.nan, shapely.get_y(np.where(empty, shapely.Point(0, 0), points)))
    attributes = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    frame = attributes.astype(str).where(attributes.notna(), "")
    crs = gdf.crs.to_string() if gdf.crs is not None else "EPSG:4326"
    lines = np.arange(len(frame), dtype=np.int64) + 1
    return RawTable(frame=frame.reset_index(drop=True), lines=lines, x=x, y=y, crs=crs)
