"""Row validation: partner cells → harmonised, located, dated facts, or a reason for rejection.

Everything is vectorised over the rows of a chunk. A row gets the first reason that applies, with
the column concerned, so the partner can correct its export; rows that pass become event rows
with their category, date and precision, lon/lat, territory and H3 cells.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from h3ronpy.vector import coordinates_to_cells
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from etl.geocode import Geocoder, parse_address
from etl.mapping import Mapping
from etl.readers import RawTable
from ols.names import name_key
from ols.nomenclature import family_of

REASONS = {
    "missing_label": "libellé absent",
    "unknown_label": "libellé inconnu de la table de correspondance",
    "missing_date": "date absente",
    "invalid_date": "date ou heure illisible",
    "impossible_date": "date impossible (future ou antérieure à 1990)",
    "missing_coordinates": "coordonnées absentes",
    "invalid_coordinates": "coordonnées invalides",
    "geocoding_failed": "adresse non trouvée dans la BAN",
    "unknown_place": "lieu inconnu",
    "outside_territory": "hors territoire",
}
EARLIEST = pd.Timestamp("1990-01-01", tz="UTC")
ISO_SEPARATORS = {"%Y-%m-%d": None, "%Y-%m-%d %H:%M:%S": " ", "%Y-%m-%dT%H:%M:%S": "T"}
PerRow = pd.Categorical | np.ndarray
H3_RESOLUTIONS = (8, 9, 10)


@dataclass(frozen=True)
class TerritoryArea:
    """A loaded territory, as used to assign events."""

    id: int
    code: str
    insee: str | None
    geom: BaseGeometry


@dataclass
class Context:
    """What validation needs from the database, loaded once per ingest."""

    territories: list[TerritoryArea]
    timezone: str  # the territories' (ols.reference.calendar), for mappings that name none
    places: dict[str, tuple[float, float]] = field(default_factory=dict)
    geocoder: Geocoder | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def communes(self) -> list[str]:
        """INSEE codes of the territories, to geocode addresses that do not name their commune."""
        return [territory.insee for territory in self.territories if territory.insee]


class Verdicts:
    """The first rejection reason of each row, with its column and message."""

    def __init__(self, size: int) -> None:
        self.reason = np.full(size, None, dtype=object)
        self.column = np.full(size, None, dtype=object)
        self.message = np.full(size, None, dtype=object)
        self.ok = np.ones(size, dtype=bool)

    def reject(
        self, mask: np.ndarray, reason: str, column: str | None, detail: pd.Series | np.ndarray | str | None = None
    ) -> None:
        """Reject the rows of ``mask`` that have no reason yet (``detail`` adds the offending value)."""
        target = np.asarray(mask, dtype=bool) & self.ok
        if not target.any():
            return
        self.ok &= ~target
        self.reason[target] = reason
        self.column[target] = column
        base = REASONS[reason]
        if detail is None:
            self.message[target] = base
        elif isinstance(detail, str):
            self.message[target] = f"{base}: {detail}"
        else:
            values = detail[target]
            self.message[target] = [f"{base}: {text}" for text in values]


def _per_unique(values: pd.Series, function: Callable[[str], object]) -> np.ndarray:
    """Apply ``function`` once per distinct value (partner columns repeat a lot)."""
    codes, uniques = pd.factorize(values, sort=False)
    results = np.array([function(str(value)) for value in uniques] + [None], dtype=object)
    return results[codes]


def _categorical(codes: np.ndarray, values: list[str | None]) -> pd.Categorical:
    """Per-row values from the values of distinct codes (-1: none), without hashing a row again."""
    categories = list(dict.fromkeys(value for value in values if value is not None))
    position = {value: index for index, value in enumerate(categories)}
    recoded = np.array([-1 if value is None else position[value] for value in values] + [-1], dtype=np.int32)
    return _from_codes(recoded[codes], categories)


def _from_codes(codes: np.ndarray, categories: Iterable[object]) -> pd.Categorical:
    return cast(pd.Categorical, pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(list(categories))))


def _constant(value: str, size: int) -> pd.Categorical:
    return _from_codes(np.zeros(size, dtype=np.int8), [value])


def _labels(
    frame: pd.DataFrame, mapping: Mapping, verdicts: Verdicts
) -> tuple[pd.Categorical, pd.Categorical, pd.Categorical]:
    """The partner's label, its harmonised category and that category's family."""
    text = frame[mapping.label].astype(str).str.strip()
    table = mapping.label_table()
    codes, uniques = pd.factorize(text, sort=False)
    raw = _from_codes(codes, uniques)
    categories = [table.get(name_key(str(label))) for label in uniques]
    category = _categorical(codes, categories)
    family = _categorical(codes, [family_of(code) if code else None for code in categories])
    verdicts.reject((text == "").to_numpy(), "missing_label", mapping.label)
    verdicts.reject(np.asarray(category.isna(), dtype=bool), "unknown_label", mapping.label, text)
    return raw, category, family


def _arrow_text(values: pd.Series) -> pa.Array:
    """The cells as an Arrow string array, trimmed (zero-copy for Arrow-backed columns)."""
    return pc.utf8_trim_whitespace(pa.array(values.astype(str), type=pa.string()))


def _exact(parsed: pa.Array, text: pa.Array, fmt: str) -> pa.Array:
    """Drop dates Arrow rolled over (31/02 → 02/03): they land on days 1-3 and do not round-trip."""
    suspects = np.flatnonzero(pc.fill_null(pc.less_equal(pc.day(parsed), 3), False).to_numpy(zero_copy_only=False))
    if len(suspects) == 0:
        return parsed
    indices = pa.array(suspects)
    exact = pc.equal(pc.strftime(pc.take(parsed, indices), format=fmt), pc.take(text, indices))
    wrong = suspects[~np.asarray(pc.fill_null(exact, False).to_numpy(zero_copy_only=False), dtype=bool)]
    if len(wrong) == 0:
        return parsed
    mask = np.zeros(len(parsed), dtype=bool)
    mask[wrong] = True
    return pc.if_else(pa.array(mask), pa.scalar(None, type=parsed.type), parsed)


def _iso(text: pa.Array, fmt: str) -> pa.Array | None:
    """Arrow's ISO 8601 cast (several times faster than ``strptime``) when every cell has the format's shape."""
    if fmt not in ISO_SEPARATORS or len(text) == 0:
        return None
    separator = ISO_SEPARATORS[fmt]
    if not pc.all(pc.equal(pc.utf8_length(text), 10 if separator is None else 19)).as_py():
        return None
    if separator and not pc.all(pc.equal(pc.utf8_slice_codeunits(text, 10, 11), separator)).as_py():
        return None
    try:
        return pc.cast(text, pa.timestamp("s"))
    except pa.ArrowInvalid:
        return None


def _parse_formats(values: pd.Series, formats: list[str]) -> pd.Series:
    """Datetimes parsed with the first format that fits each cell (NaT where none does).

    Arrow's C++ ISO cast or ``strptime`` does the bulk; cells it cannot parse exactly (unpadded
    numbers, codes Arrow lacks, impossible dates) are retried with pandas, which validates them.
    """
    text = _arrow_text(values)
    parsed: pa.Array = pa.nulls(len(text), type=pa.timestamp("s"))
    for fmt in formats:
        attempt = _iso(text, fmt)
        if attempt is None:
            attempt = _exact(pc.strptime(text, format=fmt, unit="s", error_is_null=True), text, fmt)
        parsed = pc.coalesce(parsed, attempt)
    result = pd.Series(parsed.to_numpy(zero_copy_only=False), index=values.index).astype("datetime64[s]")
    missing = result.isna().to_numpy()
    if not missing.any():
        return result
    retry = missing & np.asarray(pc.not_equal(text, "").to_numpy(zero_copy_only=False), dtype=bool)
    for fmt in formats if retry.any() else []:
        todo = retry & result.isna().to_numpy()
        if todo.any():
            again = pd.to_datetime(values[todo].astype(str).str.strip(), format=fmt, errors="coerce")
            result[todo] = again.astype("datetime64[s]")
    return result


def _time_precision(mapping: Mapping) -> str | None:
    """The time precision of every row of the mapping's files, or None where each row has its own.

    With a separate time column, a row without a time is precise to the day, one with a time to
    the minute (unless the mapping forces a precision).
    """
    spec = mapping.date
    if spec.precision:
        return spec.precision
    if spec.time_column:
        return None
    return "minute" if any("%H" in fmt for fmt in spec.formats) else "day"


def file_constants(mapping: Mapping, context: Context) -> dict[str, object]:
    """Event columns that hold the same value on every row of a file read with ``mapping``.

    Known before the first row is read, they are not sent row by row: the loader gives them as
    column defaults to the table it fills (``etl.load``).
    """
    constants: dict[str, object] = {}
    if len(context.territories) == 1:
        constants["territory_id"] = context.territories[0].id
        constants["commune_insee"] = context.territories[0].insee
    if (time_precision := _time_precision(mapping)) is not None:
        constants["time_precision"] = time_precision
    if mapping.location.type != "address":
        constants["location_precision"] = mapping.location.precision
    return constants


def _dates(
    frame: pd.DataFrame, mapping: Mapping, verdicts: Verdicts, now: datetime, timezone: str
) -> tuple[np.ndarray, pd.Categorical]:
    """Epoch seconds (UTC) and time precision of each row."""
    spec = mapping.date
    values = frame[spec.column].astype(str).str.strip()
    parsed = _parse_formats(values, spec.formats)
    verdicts.reject((values == "").to_numpy(), "missing_date", spec.column)
    verdicts.reject(parsed.isna().to_numpy(), "invalid_date", spec.column, values)
    precision = _constant(_time_precision(mapping) or "day", len(frame))
    if spec.time_column:
        times = frame[spec.time_column].astype(str).str.strip()
        clock = _parse_formats(times, spec.time_formats)
        verdicts.reject(
            ((times != "") & clock.isna()).to_numpy(),
            "invalid_date",
            spec.time_column,
            times,
        )
        offset = (clock - clock.dt.normalize()).fillna(pd.Timedelta(0))
        parsed = parsed + offset
        if _time_precision(mapping) is None:
            precision = _from_codes(clock.notna().to_numpy().astype(np.int8), ["day", "minute"])
    if spec.precision == "month":
        parsed = parsed.dt.to_period("M").dt.to_timestamp()
    local = parsed.dt.tz_localize(
        spec.timezone or timezone, ambiguous=np.ones(len(parsed), dtype=bool), nonexistent="shift_forward"
    )
    utc = local.dt.tz_convert("UTC")
    latest = pd.Timestamp(now + timedelta(days=1))
    verdicts.reject(
        ((utc < EARLIEST) | (utc > latest)).to_numpy(),
        "impossible_date",
        spec.column,
        values,
    )
    seconds = (utc - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    return seconds.fillna(0).astype("int64").to_numpy(), precision


def _numbers(values: pd.Series, decimal: str) -> tuple[np.ndarray, np.ndarray]:
    """Parsed floats (NaN where unreadable), and which cells were empty."""
    text = _arrow_text(values)
    if decimal != ".":
        text = pc.replace_substring(text, decimal, ".")
    empty = pc.equal(text, "")
    try:
        numbers = pc.cast(pc.if_else(empty, None, text), pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        series = pd.Series(text.to_numpy(zero_copy_only=False))
        numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    return np.asarray(numbers, dtype=float), np.asarray(empty.to_numpy(zero_copy_only=False), dtype=bool)


def _coordinates(
    table: RawTable, mapping: Mapping, context: Context, verdicts: Verdicts
) -> tuple[np.ndarray, np.ndarray, PerRow]:
    """Lon/lat in WGS84 and the location precision of each row."""
    spec = mapping.location
    frame = table.frame
    precision = _constant(spec.precision, len(frame))
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
        found = _per_unique(names, lambda name: context.places.get(name_key(name)) or f"{name!r}")
        column: str | None = spec.place
    else:
        names = _address_lines(frame, mapping)
        communes = context.communes()
        geocoder = context.geocoder or Geocoder()
        found = _per_unique(names, lambda line: geocoder.locate(parse_address(line), communes))
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


def _territories(lon: np.ndarray, lat: np.ndarray, context: Context, verdicts: Verdicts) -> np.ndarray:
    """Index in ``context.territories`` of the territory holding each point, -1 where none does."""
    found = np.full(len(lon), -1, dtype=np.int64)
    located = verdicts.ok
    for index, territory in enumerate(context.territories):
        inside = located & (found < 0)
        inside[inside] = shapely.contains_xy(territory.geom, lon[inside], lat[inside])
        found[inside] = index
    verdicts.reject(found < 0, "outside_territory", None)
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


def _objects(values: np.ndarray) -> pd.Series:
    """A column of Python objects, kept as such (no conversion to Arrow strings per chunk)."""
    return pd.Series(values, dtype=object, copy=False)


def _checked(table: RawTable, mapping: Mapping, context: Context) -> pd.DataFrame:
    """All rows with their harmonised values but H3 cells, and ``reason``/``column``/``message`` where rejected."""
    frame = table.frame
    verdicts = Verdicts(len(frame))
    raw_label, category, family = _labels(frame, mapping, verdicts)
    epoch, time_precision = _dates(frame, mapping, verdicts, context.now, context.timezone)
    lon, lat, location_precision = _coordinates(table, mapping, context, verdicts)
    territory = _territories(lon, lat, context, verdicts)
    ids = np.array([t.id for t in context.territories] + [0], dtype=np.int64)
    ref = frame[mapping.ref].astype(str).str.strip() if mapping.ref else pd.Series("", index=frame.index)
    return pd.DataFrame(
        {
            "line": table.lines,
            "category": category,
            "family": family,
            "raw_label": raw_label,
            "occurred_epoch": epoch,
            "time_precision": time_precision,
            "lon": np.where(verdicts.ok, lon, 0.0),
            "lat": np.where(verdicts.ok, lat, 0.0),
            "location_precision": pd.Categorical(location_precision),
            "territory_id": ids[territory],
            "commune_insee": _categorical(territory, [t.insee for t in context.territories]),
            "partner_ref": ref,
            "reason": _objects(verdicts.reason),
            "column": _objects(verdicts.column),
            "message": _objects(verdicts.message),
        }
    )


def _with_cells(rows: pd.DataFrame, cells: dict[int, np.ndarray]) -> pd.DataFrame:
    for resolution, values in cells.items():
        rows[f"h3_r{resolution}"] = values
    return rows


def validate_chunks(
    chunks: Iterable[RawTable], mapping: Mapping, context: Context
) -> Iterator[tuple[RawTable, pd.DataFrame]]:
    """Each chunk with its rows: harmonised values, H3 cells, and ``reason``/``column``/``message`` where rejected.

    A chunk's H3 cells (the costliest step) are computed in a thread while the next chunk is
    checked and the caller handles the previous one (h3ronpy releases the GIL). Rejected rows get a point at (0, 0) and
    its cells; they are never stored as events.
    """
    with ThreadPoolExecutor(1) as pool:
        pending: tuple[RawTable, pd.DataFrame, Future[dict[int, np.ndarray]]] | None = None
        for chunk in chunks:
            rows = _checked(chunk, mapping, context)
            future = pool.submit(h3_cells, rows["lon"].to_numpy(), rows["lat"].to_numpy())
            if pending is not None:
                yield pending[0], _with_cells(pending[1], pending[2].result())
            pending = (chunk, rows, future)
        if pending is not None:
            yield pending[0], _with_cells(pending[1], pending[2].result())
