"""GeoJSON and GeoPackage files: their attributes as text, and one point per feature in the file's CRS.

The layer is looked up by name (a missing one is named with the layers the file has), and its size
checked against the limits before a feature is read. A GeoJSON must be UTF-8 text beginning with
``{``; GDAL's account of a broken one (« At line 1, character 60: Unterminated string ») becomes
a French message with the line and character. Each feature's geometry is built on its own: one
that GEOS cannot build (an unclosed ring, a line of one point) rejects its row (``invalid_geometry``)
instead of the whole file; a feature without geometry is left to validation (missing coordinates).
"""

from __future__ import annotations

import contextlib
import logging
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely
from pyogrio.raw import read as read_raw
from shapely.errors import GEOSException

from etl.headers import check_width, require_columns, shown
from etl.mapping import Mapping
from etl.rawtable import RawTable, issues_frame
from etl.sniff import Kind, file_name, refuse
from etl.textscan import require_utf8
from ols.settings import IngestLimits

logger = logging.getLogger(__name__)

GDAL_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError)
JSON_POSITION = re.compile(r"At line (\d+), character (\d+)")
NAMES = {"geojson": "GeoJSON", "gpkg": "GeoPackage"}
UNBUILDABLE = "anneau non fermé, trop peu de points ou coordonnées impossibles : corrigez-la dans le SIG"


def _check_geojson_text(path: Path, kind: Kind) -> None:
    """A GeoJSON is UTF-8 text whose first character (after blanks) opens an object."""
    if kind.unicode in ("UTF-16", "UTF-32"):
        raise refuse(
            path,
            f"le fichier semble encodé en {kind.unicode} : réenregistrez-le en UTF-8 (le GeoJSON est "
            "toujours en UTF-8)",
        )
    with path.open("rb") as handle:
        head = handle.read(4096)[kind.bom :].lstrip()
    if not head:
        raise refuse(path, "le fichier ne contient que des blancs : il est vide ; ré-exportez-le")
    if not head.startswith(b"{"):
        raise refuse(
            path,
            "le fichier n'est pas du GeoJSON : il devrait commencer par « { » (un objet "
            "FeatureCollection) ; ré-exportez-le au format GeoJSON",
        )
    require_utf8(path, kind, advice="réenregistrez-le en UTF-8 (le GeoJSON est toujours en UTF-8)")


def _unreadable(path: Path, mapping: Mapping, error: Exception) -> Exception:
    """GDAL's refusal to open the file, in French."""
    logger.debug("%s : %s", file_name(path), type(error).__name__)
    if mapping.format == "geojson":
        found = JSON_POSITION.search(str(error))
        where = f"JSON invalide ligne {found.group(1)}, caractère {found.group(2)}" if found else "JSON invalide"
        return refuse(
            path,
            f"fichier GeoJSON illisible ({where} : fichier tronqué ou qui n'est pas une "
            "FeatureCollection ?) : ré-exportez-le depuis le logiciel du partenaire",
        )
    return refuse(
        path,
        "fichier GeoPackage illisible (base SQLite tronquée, endommagée, ou sans les tables d'un "
        "GeoPackage) : ré-exportez la couche depuis le SIG",
    )


@contextlib.contextmanager
def _gdal_warnings_logged(path: Path) -> Iterator[None]:
    """GDAL's warnings on a partner file (English, about its insides) are counted in the debug log, not shown."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        yield
    if caught:  # counted, not quoted: GDAL quotes field values, which may be personal
        logger.debug("%s : %d avertissement(s) de GDAL", file_name(path), len(caught))


def _check_layer(path: Path, mapping: Mapping) -> None:
    """Refuse a file that does not have the layer the mapping names, naming the layers it has."""
    try:
        with _gdal_warnings_logged(path):
            layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except GDAL_ERRORS as error:
        raise _unreadable(path, mapping, error) from error
    if mapping.layer not in layers:
        raise refuse(
            path,
            f"la couche « {mapping.layer} » est absente (couches du fichier : "
            f"{', '.join(map(shown, layers)) or 'aucune'}) : renommez la couche ou indiquez layer: "
            "dans la correspondance",
        )


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    """Attributes as the partner wrote them: text, empty where absent."""
    return frame.astype(str).where(frame.notna(), "").reset_index(drop=True)


def _points(geometry: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A point on each geometry (NaN where none), and which geometries GEOS could not work with."""
    try:
        points = shapely.point_on_surface(geometry)
        failed = np.zeros(len(geometry), dtype=bool)
    except GEOSException:
        points = np.empty(len(geometry), dtype=object)
        failed = np.zeros(len(geometry), dtype=bool)
        for index, shape in enumerate(geometry):
            try:
                points[index] = shapely.point_on_surface(shape)
            except GEOSException:
                failed[index] = True
    empty = shapely.is_missing(points) | shapely.is_empty(points)
    origin = np.where(empty, shapely.Point(0, 0), points)
    return np.where(empty, np.nan, shapely.get_x(origin)), np.where(empty, np.nan, shapely.get_y(origin)), failed


def _features(path: Path, mapping: Mapping) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, str]:
    """Attributes, geometries, which geometries could not be built, and the CRS of the mapping's layer."""
    try:
        with _gdal_warnings_logged(path):
            try:
                frame = pyogrio.read_dataframe(path, layer=mapping.layer)
                unbuilt = np.zeros(len(frame), dtype=bool)
            except GEOSException:  # a geometry GEOS refuses: read them leniently, then find which ones
                frame = pyogrio.read_dataframe(path, layer=mapping.layer, on_invalid="ignore")
                wkb = read_raw(path, layer=mapping.layer, columns=[])[2]
                unbuilt = np.array([raw is not None for raw in wkb]) & shapely.is_missing(frame.geometry.array)
    except (*GDAL_ERRORS, UnicodeDecodeError) as error:  # a GeoPackage's text is UTF-8 too
        raise _unreadable(path, mapping, error) from error
    crs = frame.crs.to_string() if frame.crs is not None else "EPSG:4326"
    attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return attributes, np.asarray(frame.geometry.array, dtype=object), unbuilt, crs


def read_geo(path: Path, mapping: Mapping, limits: IngestLimits, kind: Kind) -> RawTable:
    """The layer's features as text attributes and points, features GEOS cannot build marked for rejection."""
    if mapping.format == "geojson":
        _check_geojson_text(path, kind)
    if mapping.layer is not None:
        _check_layer(path, mapping)
    attributes, geometry, unbuilt, crs = _features(path, mapping)
    if len(attributes) > limits.max_rows:
        raise refuse(
            path,
            f"le fichier compte plus de {limits.max_rows} entités (OLS_MAX_ROWS) : découpez-le "
            "ou faites relever la limite",
        )
    if len(attributes.columns) or len(attributes):
        check_width(path, len(attributes.columns), limits)
        require_columns(path, [str(name) for name in attributes.columns], mapping)
    else:  # an empty FeatureCollection has no columns: nothing to check, an empty batch
        attributes = pd.DataFrame({column: pd.Series(dtype=object) for column in mapping.used_columns()})
    x, y, failed = _points(geometry)
    broken = np.flatnonzero(unbuilt | failed)
    issues = issues_frame(len(geometry), broken, "invalid_geometry", "geometry", [UNBUILDABLE] * len(broken))
    lines = np.arange(len(attributes), dtype=np.int64) + 1
    return RawTable(frame=_text(attributes), lines=lines, x=x, y=y, crs=crs, issues=issues if len(broken) else None)
