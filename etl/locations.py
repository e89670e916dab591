"""Where partner rows happened: coordinates, addresses or named places, their territory and H3 cells."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from h3ronpy.vector import coordinates_to_cells
from pyproj import Transformer

from etl.context import Context
from etl.geocode import Geocoder, parse_address
from etl.mapping import Mapping
from etl.readers import RawTable
from etl.verdicts import PerRow, Verdicts, arrow_text, constant, per_unique
from ols.names import name_key

H3_RESOLUTIONS = (8, 9, 10)


def _numbers(values: pd.Series, decimal: str) -> tuple[np.ndarray, np.ndarray]:
    """Parsed floats (NaN where unreadable), and which cells were empty."""
    text = arrow_text(values)
    if decimal != ".":
        text = pc.replace_substring(text, decimal, ".")
    empty = pc.equal(text, "")
    try:
        numbers = pc.cast(pc.if_else(empty, None, text), pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        series = pd.Series(text.to_numpy(zero_copy_only=False))
        numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    return np.asarray(numbers, dtype=float), np.asarray(empty.to_numpy(zero_copy_only=False), dtype=bool)


def coordinates(
    table: RawTable, mapping: Mapping, context: Context, verdicts: Verdicts
) -> tuple[np.ndarray, np.ndarray, PerRow]:
    """Lon/lat in WGS84 and the location precision of each row."""
    spec = mapping.location
    frame = table.frame
    precision = constant(spec.precision, len(frame))
    if spec.type in ("address", "place"):
        return _named_locations(frame, mapping, context, verdicts, precision)
    if spec.type == "geometry":
        x = table.x if table.x is not None else np.full(len(frame), np.nan)
        y = table.y if table.y is not None else np.full(len(frame), np.nan)
        crs, column, empty = table.crs or "EPSG:4326", "geometry", np.isnan(x)
    else:
        x_column, y_column = (spec.lon, spec.lat) if spec.type == "lonlat" else (spec.x, spec.y)
        assert x_column is not None and y_column is not None
        x, x_empty = _numbers(frame[x_column], mapping.csv.decimal)
        y, y_empty = _numbers(frame[y_column], mapping.csv.decimal)
        crs, column, empty = ("EPSG:4326" if spec.type == "lonlat" else spec.crs), x_column, x_empty | y_empty
    verdicts.reject(empty, "missing_coordinates", column)
    verdicts.reject(np.isnan(x) | np.isnan(y), "invalid_coordinates", column)
    if crs != "EPSG:4326":
        x, y = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    lon, lat = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    bad = ~np.isfinite(lon) | ~np.isfinite(lat) | (np.abs(lat) > 90) | (np.abs(lon) > 180) | ((lon == 0) & (lat == 0))
    verdicts.reject(bad, "invalid_coordinates", column)
    return lon, lat, precision


def _named_locations(
    frame: pd.DataFrame, mapping: Mapping, context: Context, verdicts: Verdicts, precision: PerRow
) -> tuple[np.ndarray, np.ndarray, PerRow]:
    spec = mapping.location
    if spec.type == "place":
        assert spec.place is not None
        names = frame[spec.place].astype(str).str.strip()
        found = per_unique(names, lambda name: context.places.get(name_key(name)) or f"{name!r}")
        column: str | None = spec.place
    else:
        names = _address_lines(frame, mapping)
        communes = context.communes()
        geocoder = context.geocoder or Geocoder()
        found = per_unique(names, lambda line: geocoder.locate(parse_address(line), communes))
        column = spec.address or spec.street
    unplaced = np.array([isinstance(item, str) or item is None for item in found])
    verdicts.reject((names == "").to_numpy(), "missing_coordinates", column)
    reason = "unknown_place" if spec.type == "place" else "geocoding_failed"
    detail = np.array([item if isinstance(item, str) else "" for item in found], dtype=object)
    verdicts.reject(unplaced, reason, column, detail)
    lon = np.array([item[0] if not isinstance(item, str) and item else np.nan for item in found], dtype=float)
    lat = np.array([item[1] if not isinstance(item, str) and item else np.nan for item in found], dtype=float)
    if spec.type == "address":
        precision = np.array([item[2] if isinstance(item, tuple) else spec.precision for item in found], dtype=object)
    return lon, lat, precision


def _address_lines(frame: pd.DataFrame, mapping: Mapping) -> pd.Series:
    """One address line per row from the mapping's address columns."""
    spec = mapping.location
    parts = [frame[name].astype(str).str.strip() for name in (spec.address, spec.number, spec.street) if name]
    line = parts[0]
    for part in parts[1:]:
        line = (line + " " + part).str.strip()
    if spec.postcode:
        postcode = frame[spec.postcode].astype(str).str.strip()
        line = line.where(postcode == "", line + ", " + postcode)
    return line


def territories(lon: np.ndarray, lat: np.ndarray, context: Context, verdicts: Verdicts) -> np.ndarray:
    """Index in ``context.territories`` of the territory holding each point, -1 where none does."""
    found = np.full(len(lon), -1, dtype=np.int64)
    located = verdicts.ok
    for index, territory in enumerate(context.territories):
        inside = located & (found < 0)
        inside[inside] = shapely.contains_xy(territory.geom, lon[inside], lat[inside])
        found[inside] = index
    verdicts.reject(found < 0, "outside_territory", None)
    return found


def sectors(lon: np.ndarray, lat: np.ndarray, territory_ids: np.ndarray, context: Context) -> np.ndarray:
    """Id of the deepest sector of its commune holding each point (the smallest), -1 where none does.

    Sectors are tested smallest first, each on the points of its bounding box and its commune not
    placed yet: the points, sorted by longitude once, are cut into contiguous bands (no gather of
    a whole chunk per sector). A sector drawn a little past its commune's border does not take its
    neighbour's facts.
    """
    found = np.full(len(lon), -1, dtype=np.int64)
    index = context.sectors
    if index is None or not len(lon):
        return found
    order = np.argsort(lon)
    xs, ys, communes, placed = lon[order], lat[order], territory_ids[order], np.full(len(lon), -1, dtype=np.int64)
    for k, geom in enumerate(index.geoms):
        west, south, east, north = index.bounds[k]
        start = int(np.searchsorted(xs, west, side="left"))
        band = slice(start, int(np.searchsorted(xs, east, side="right")))
        mine = (ys[band] >= south) & (ys[band] <= north) & (communes[band] == index.territories[k]) & (placed[band] < 0)
        candidates = np.flatnonzero(mine) + start
        placed[candidates[shapely.intersects_xy(geom, xs[candidates], ys[candidates])]] = index.ids[k]
    found[order] = placed
    return found


def h3_cells(lon: np.ndarray, lat: np.ndarray) -> dict[int, np.ndarray]:
    """H3 cells holding each point at resolutions 8, 9 and 10, as signed 64-bit integers (BIGINT).

    Each resolution is indexed from the point itself: H3 cells do not nest exactly, so the parent
    of a point's res-10 cell is not always the res-8 cell the point lies in (the hexagon drawn).
    """

    return {
        resolution: np.asarray(coordinates_to_cells(lat, lon, resolution)).astype(np.uint64).view(np.int64)
        for resolution in H3_RESOLUTIONS
    }
